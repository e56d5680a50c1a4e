/* Partnership Atlas: the maps and tables of community groups by area (templates/groups/coverage.html,
 * templates/groups/gaps.html).
 *
 * The [data-group-coverage] element holds the set's display GeoJSON URL, and for each area code its
 * colour, its words (shown when pointing at it) and, on the gaps page, whether it is flagged "high need,
 * few groups" (drawn with a thick black outline). Clicking an area opens its profile. Tables with the
 * class "sortable" get a button in each column heading that sorts by that column. Text from data is set
 * with textContent only; colours are set through Leaflet's SVG attributes, never style attributes.
 * Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var el = Atlas.el;

  /* --- sortable tables ------------------------------------------------------------------------ */

  function sortable(table) {
    var heads = table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];
    var body = table.tBodies[0];
    if (!body) { return; }
    var state = { index: -1, ascending: true };

    function valueOf(row, index, kind) {
      var cell = row.cells[index];
      var raw = cell ? (cell.getAttribute("data-value") !== null ? cell.getAttribute("data-value") : cell.textContent) : "";
      if (kind === "number") { return raw === "" ? null : Number(raw); }
      return raw.trim().toLocaleLowerCase();
    }

    function sortBy(index, kind, ascending) {
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = valueOf(a, index, kind), y = valueOf(b, index, kind);
        if (x === null && y === null) { return 0; }
        if (x === null) { return 1; }
        if (y === null) { return -1; }
        var order = kind === "number" ? x - y : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      heads.forEach(function (th, i) {
        th.setAttribute("aria-sort", i === index ? (ascending ? "ascending" : "descending") : "none");
      });
    }

    heads.forEach(function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      var button = el("button", "sort-button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      button.appendChild(el("span", "sort-mark"));
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = state.index === index ? !state.ascending : kind === "text";
        state = { index: index, ascending: ascending };
        sortBy(index, kind, ascending);
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

  /* --- the map -------------------------------------------------------------------------------- */

  var root = document.querySelector("[data-group-coverage]");
  if (!root) { return; }
  var status = document.getElementById("coverage-status");
  function say(text) { if (status) { status.textContent = text; } }
  if (!window.L) {
    say("The map could not start: its script did not load. The table below has the same figures.");
    return;
  }
  var config = JSON.parse(root.getAttribute("data-group-coverage"));
  var map = L.map(root, { zoomSnap: 0.25, maxZoom: 18 });
  Atlas.addBasemap(map, config);

  function styleFor(code) {
    var area = config.areas[code];
    if (!area) { return { color: "#505a5f", weight: 1, fillColor: "#ffffff", fillOpacity: 0.5, dashArray: "4 3" }; }
    if (area.flagged) { return { color: "#0b0c0c", weight: 4, fillColor: area.colour, fillOpacity: 0.9, dashArray: null }; }
    return { color: "#505a5f", weight: 1, fillColor: area.colour, fillOpacity: 0.85, dashArray: null };
  }

  function profileUrl(code) { return config.profile.replace("CODE", encodeURIComponent(code)); }

  Atlas.getJSON(config.geojson, { accept: "application/geo+json", name: "the boundaries" })
    .then(function (collection) {
      var flagged = [];
      var layer = L.geoJSON(collection, {
        filter: function (feature) { return !!(feature.properties && feature.properties.code); },
        style: function (feature) { return styleFor(feature.properties.code); },
        onEachFeature: function (feature, path) {
          var code = feature.properties.code;
          var area = config.areas[code];
          var words = area ? area.label : (feature.properties.name || code) + ": no figures";
          path.bindTooltip(function () { return el("span", null, words); }, { sticky: true, direction: "top" });
          path.on("click", function () { window.location.href = profileUrl(code); });
          path.on("add", function () {
            var node = path.getElement && path.getElement();
            if (node) {
              node.setAttribute("data-code", code);
              node.classList.add("coverage-area");
              if (area && area.flagged) { node.classList.add("coverage-flagged"); }
            }
          });
          if (area && area.flagged) { flagged.push(path); }
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      flagged.forEach(function (path) { path.bringToFront(); });
      var count = layer.getLayers().length;
      say("The map shows " + count + " area" + (count === 1 ? "" : "s") +
        (flagged.length ? "; " + flagged.length + " with high need and few groups have a thick black outline." : "."));
      root.setAttribute("data-ready", "true");
    })
    .catch(function (error) {
      say("The map could not load (" + error.message + "). The table below has the same figures.");
      root.setAttribute("data-ready", "error");
    });
}());
