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

  /* The keyboard way to a map's popups: a list of the areas drawn (grouped by set) and a button that shows
   * the chosen one on the map and opens its popup, with the focus inside it (Escape closes it and goes
   * back). items() is asked each time the list is used: [{group, name, code, layer}], layer a Leaflet
   * path with a popup bound, or [{group, name, code, open}], open() showing the area and resolving to its
   * open popup (areas drawn from tiles). options.note() may add a line after the list (what it leaves out).
   * Goes at the end of container (or after options.after); returns {refresh, select}. */
  function keyboardPopups(map, container, items, options) {
    options = options || {};
    var id = (options.id || "map-keyboard") + "-choice";
    var box = el("div", "map-keyboard");
    var label = el("label", null, options.label || "Open an area's details on the map");
    label.htmlFor = id;
    var select = el("select");
    select.id = id;
    var button = el("button", "button secondary", options.button || "Show on the map");
    button.type = "button";
    box.appendChild(label);
    var row = el("span", "map-keyboard-row");
    row.appendChild(select);
    row.appendChild(button);
    box.appendChild(row);
    if (options.after && options.after.parentNode) { options.after.parentNode.insertBefore(box, options.after.nextSibling); }
    else { container.appendChild(box); }
    var found = [];

    function key(item) { return item ? (item.group || "") + "\u0000" + item.code : null; }

    function refresh() {
      var chosen = select.value === "" ? null : key(found[Number(select.value)]);  // kept as the list changes
      found = items().slice().sort(function (a, b) {
        return (a.group || "").localeCompare(b.group || "") || String(a.name).localeCompare(String(b.name));
      });
      select.textContent = "";
      var group = null, parent = select;
      found.forEach(function (item, i) {
        if (item.group && item.group !== group) {
          group = item.group;
          parent = el("optgroup");
          parent.label = group;
          select.appendChild(parent);
        }
        var option = el("option", null, item.name + (item.code && item.code !== item.name ? " (" + item.code + ")" : ""));
        option.value = String(i);
        parent.appendChild(option);
      });
      if (!found.length) {
        var none = el("option", null, options.empty || "No areas are shown on the map yet");
        none.value = "";
        select.appendChild(none);
      }
      var note = options.note ? options.note() : "";
      if (note) {
        var more = el("option", null, note);
        more.value = "";
        more.disabled = true;
        select.appendChild(more);
      }
      button.disabled = !found.length;
      var again = chosen === null ? -1 : found.map(key).indexOf(chosen);
      if (again >= 0) { select.value = String(again); }
    }

    function show() {
      var item = select.value === "" ? null : found[Number(select.value)];
      if (item && item.open) { Promise.resolve(item.open()).then(focusPopup); return; }
      if (!item || !item.layer) { return; }
      var layer = item.layer;
      var where = layer.getBounds ? layer.getBounds() : null;
      if (where && where.isValid()) { map.fitBounds(where, { animate: false, maxZoom: options.maxZoom || 14 }); }
      else if (layer.getLatLng) { map.setView(layer.getLatLng(), Math.max(map.getZoom(), options.maxZoom || 14), { animate: false }); }
      layer.openPopup(where && where.isValid() ? where.getCenter() : undefined);
      focusPopup(layer.getPopup && layer.getPopup());
    }

    // the focus into an open popup; Escape closes it and goes back to the list
    function focusPopup(popup) {
      var node = popup && popup.getElement ? popup.getElement() : null;
      if (!node) { return; }
      var content = node.querySelector(".leaflet-popup-content");
      content.setAttribute("tabindex", "-1");
      content.focus({ preventScroll: true });
      if (!node.getAttribute("data-keyboard")) {
        node.setAttribute("data-keyboard", "true");
        node.addEventListener("keydown", function (event) {
          if (event.key === "Escape") { event.preventDefault(); map.closePopup(); select.focus(); }
        });
      }
    }

    select.addEventListener("focus", refresh);
    button.addEventListener("click", show);
    refresh();
    return { refresh: refresh, select: select };
  }

  window.Atlas = {
    el: el, escapeHtml: escapeHtml, getJSON: getJSON, safeUrl: safeUrl, listText: listText, clip: clip,
    addBasemap: addBasemap, keyboardPopups: keyboardPopups
  };
}());
