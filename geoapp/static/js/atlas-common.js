/* Partnership Atlas: the small helpers the page scripts share (window.Atlas).
 *
 * Load it with a plain <script src> before the page's own script. Text from data goes into the page
 * with textContent (Atlas.el) or, where Leaflet wants an HTML string (a tile layer's attribution), through
 * Atlas.escapeHtml; nothing here parses HTML.
 */
(function () {
  "use strict";

  /* An element with an optional class and text (set as textContent, so markup in it shows as text). */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* Text made safe to put where HTML is read: & < > " and ' become entities. */
  function escapeHtml(value) {
    return (value === undefined || value === null ? "" : String(value))
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* The JSON at url (same-origin credentials). options.accept: the Accept header (application/json);
   * options.name: what a failure calls the URL ("<name> answered 404"; the URL itself by default). */
  function getJSON(url, options) {
    options = options || {};
    return fetch(url, { credentials: "same-origin", headers: { "Accept": options.accept || "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error((options.name || url) + " answered " + response.status); }
        return response.json();
      });
  }

  /* A URL only if it is http(s), resolved against the page; anything else (javascript:, data:) gives null. */
  function safeUrl(value) {
    try {
      var url = new URL(String(value), window.location.href);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  /* A list as "a, b, c"; anything else as it is ("" for nothing). */
  function listText(value) { return Array.isArray(value) ? value.join(", ") : (value || ""); }

  /* Text cut to at most max characters, ending with "…" when cut. */
  function clip(value, max) {
    var text = String(value);
    return text.length > max ? text.slice(0, max - 3) + "…" : text;
  }

  /* No "Leaflet" prefix in the attribution, and the basemap's tiles when the config names them. */
  function addBasemap(map, config) {
    map.attributionControl.setPrefix(false);
    if (config.basemap) {
      L.tileLayer(config.basemap, { maxZoom: 18, attribution: escapeHtml(config.attribution) }).addTo(map);
    }
  }

  window.Atlas = {
    el: el, escapeHtml: escapeHtml, getJSON: getJSON, safeUrl: safeUrl, listText: listText, clip: clip,
    addBasemap: addBasemap
  };
}());
