/* The editor's requests to the proposals API: JSON in and out, with the page's CSRF token. */

export function csrfToken() {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

export function post(url, body) {
  return fetch(url, { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body) }).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      return { status: response.status, data: data };
    });
  });
}

export function getJSON(url) {
  return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) {
      if (!r.ok) { throw new Error(url + " answered " + r.status); }
      return r.json();
    });
}
