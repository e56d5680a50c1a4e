/* Partnership Atlas: the map of two boundary sets together (templates/alignment/index.html).
 *
 * The [data-alignment] element holds each set's display GeoJSON URL and words, the URLs of the parts
 * outside each area's best fit (side "a" and "b"), and each area's best fit. Set A is drawn with solid
 * blue outlines, set B with dashed purple ones, on top of everything; the parts outside the best fit are
 * filled with a red hatch (an SVG pattern) and a dark red edge, slivers grey with a dotted edge, so that
 * colour is never the only signal. The key's tick boxes show and hide each layer; its radio buttons choose
 * whose parts are hatched; "Show on the map" buttons added to the tables' rows zoom to an area's parts.
 * Text from data is set with textContent only. Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-alignment]");
  if (!root) { return; }
  var status = document.getElementById("alignment-status");
  function say(text) { if (status) { status.textContent = text; } }
  if (!window.L) {
    say("The map could not start: its script did not load. The tables below hold the same facts.");
    return;
  }
  var config = JSON.parse(root.getAttribute("data-alignment"));
  var HATCH = "alignment-hatch";
  var STYLE = {
    a: { color: "#1d70b8", weight: 2, fill: false, dashArray: null, className: "set-a" },
    b: { color: "#912b88", weight: 3.5, fill: false, dashArray: "8 6", className: "set-b" },
    part: { color: "#942514", weight: 1.5, fillColor: "url(#" + HATCH + ")", fillOpacity: 1,
      className: "misaligned-part" },
    sliver: { color: "#505a5f", weight: 2, dashArray: "2 3", fillColor: "#b1b4b6", fillOpacity: 0.9,
      className: "sliver-part" },
    chosen: { color: "#0b0c0c", weight: 4 }  // the parts of the area a "Show" button zoomed to
  };

  var el = Atlas.el;

  function pct(v) {
    if (v === null || v === undefined) { return "–"; }
    if (v > 0 && v < 0.0005) { return "less than 0.1%"; }
    if (v < 1 && v >= 0.9995) { return "more than 99.9%"; }
    return (v * 100).toFixed(1) + "%";
  }

  function plural(n, one, many) { return n.toLocaleString("en-GB") + " " + (n === 1 ? one : many); }

  function getJSON(url) {
    return Atlas.getJSON(url, { accept: "application/geo+json", name: url.split("?")[0] });
  }

  var map = L.map(root, { zoomSnap: 0.25, maxZoom: 18 });
  Atlas.addBasemap(map, config);
  // Transparent areas of A (for pointing at), both sets' outlines, then the hatched parts on top (parts
  // often follow a boundary closely and would vanish under its line).
  [["alignment-areas", 400], ["alignment-lines", 410], ["alignment-parts", 420]].forEach(function (pane) {
    map.createPane(pane[0]).style.zIndex = String(pane[1]);
  });

  function other(side) { return side === "a" ? "b" : "a"; }

  function areaWords(side, code) {
    var fit = (config.fits[side] || {})[code];
    var own = config[side], them = config[other(side)];
    if (!fit) { return code; }
    var text = fit[0] + " (" + own.one + ")";
    if (!fit[1]) { return text + ": overlaps no " + them.one + "."; }
    return text + ": " + pct(fit[2]) + " of its " + (fit[3] === "area" ? "land" : "population") +
      " in " + fit[1] + ", its best-fit " + them.one + ".";
  }

  function partWords(side, props) {
    var own = config[side], them = config[other(side)];
    var where = props.in_name ? "lies in " + props.in_name : "lies outside every " + them.one;
    var text = (props.sliver ? "Sliver of " : "Part of ") + props.name + " (" + own.one + ") that " + where +
      ", not in its best-fit " + them.one + (props.best_fit_name ? ", " + props.best_fit_name : "") + ".";
    if (props.area_km2 !== null && props.area_km2 !== undefined) {
      text += " " + (props.area_km2 < 0.01 ? "Under 0.01" : props.area_km2.toFixed(2)) + " km².";
    }
    return text;
  }

  function tip(layer, words) {
    layer.bindTooltip(function () { return el("span", null, words); }, { sticky: true, direction: "top" });
  }

  /* Each path keeps its set's class (Leaflet's className) and its area's code, also when shown again. */
  function coded(feature, layer) {
    layer.on("add", function () {
      var node = layer.getElement && layer.getElement();
      if (node) { node.setAttribute("data-code", feature.properties.code); }
    });
  }

  function ensureHatch() {
    var svg = map.getPane("alignment-parts").querySelector("svg");
    if (!svg || svg.querySelector("#" + HATCH)) { return; }
    var ns = "http://www.w3.org/2000/svg";
    function make(tagName, attributes) {
      var node = document.createElementNS(ns, tagName);
      Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
      return node;
    }
    var defs = make("defs", {});
    var pattern = make("pattern", { id: HATCH, width: "8", height: "8", patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" });
    pattern.appendChild(make("rect", { width: "8", height: "8", fill: "#f6d7d2", "fill-opacity": "0.75" }));
    pattern.appendChild(make("line", { x1: "0", y1: "0", x2: "0", y2: "8", stroke: "#d4351c", "stroke-width": "3.5" }));
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
  }

  var layers = { a: null, b: null, parts: null, slivers: null, areas: null };
  var counts = { a: 0, b: 0 };
  var partsCache = {};
  var side = "a";

  function shown(name) {
    var box = document.querySelector("input[data-layer='" + name + "']");
    return !box || box.checked;
  }

  function place(name, layer) {
    if (layers[name]) { map.removeLayer(layers[name]); }
    layers[name] = layer;
    if (layer && shown(name)) { layer.addTo(map); }
  }

  function drawParts(collection) {
    var own = config[side];
    var parts = L.geoJSON(collection, {
      pane: "alignment-parts", style: STYLE.part,
      filter: function (f) { return !f.properties.sliver; },
      onEachFeature: function (f, layer) { coded(f, layer); tip(layer, partWords(side, f.properties)); }
    });
    var slivers = L.geoJSON(collection, {
      pane: "alignment-parts", style: STYLE.sliver,
      filter: function (f) { return !!f.properties.sliver; },
      onEachFeature: function (f, layer) { coded(f, layer); tip(layer, partWords(side, f.properties)); }
    });
    place("parts", parts);
    place("slivers", config.ignore_slivers ? null : slivers);
    ensureHatch();
    var n = parts.getLayers().length, m = slivers.getLayers().length;
    var them = config[other(side)];
    say("The map shows " + plural(counts.a, config.a.one, config.a.name) + " (solid blue) and " +
      plural(counts.b, config.b.one, config.b.name) + " (dashed purple). " +
      (n ? plural(n, "part", "parts") + " of " + own.name + " lie outside the best-fit " + them.one +
        " (red hatching)" : "No part of " + own.name + " lies outside its best-fit " + them.one) +
      (config.ignore_slivers ? "; slivers are ignored." :
        (m ? "; " + plural(m, "sliver", "slivers") + " in grey." : "; there are no slivers.")));
    root.setAttribute("data-side", side);
  }

  function loadParts(chosen) {
    side = chosen;
    root.setAttribute("data-ready", "loading");
    var found = partsCache[side] ? Promise.resolve(partsCache[side]) : getJSON(config.parts[side]);
    return found.then(function (collection) {
      partsCache[chosen] = collection;
      if (chosen === side) { drawParts(collection); }
      root.setAttribute("data-ready", "true");
    });
  }

  function failed(error) {
    say("The map could not load (" + error.message + "). The tables below hold the same facts.");
    root.setAttribute("data-ready", "error");
  }

  Promise.all([getJSON(config.a.geojson), getJSON(config.b.geojson)]).then(function (found) {
    var areas = L.geoJSON(found[0], {
      pane: "alignment-areas", style: { stroke: false, fill: true, fillOpacity: 0 },
      onEachFeature: function (f, layer) { tip(layer, areaWords("a", f.properties.code)); }
    });
    var a = L.geoJSON(found[0], { pane: "alignment-lines", interactive: false, style: STYLE.a, onEachFeature: coded });
    var b = L.geoJSON(found[1], { pane: "alignment-lines", interactive: false, style: STYLE.b, onEachFeature: coded });
    counts.a = a.getLayers().length;
    counts.b = b.getLayers().length;
    map.fitBounds(a.getBounds(), { padding: [8, 8] });
    place("areas", areas);
    place("a", a);
    place("b", b);  // dashed on top of solid: where the two sets share a line, both show
    if (!config.parts) {  // the parts are data for those who may export tables
      say("The map shows " + plural(counts.a, config.a.one, config.a.name) + " (solid blue) and " +
        plural(counts.b, config.b.one, config.b.name) + " (dashed purple). The tables below list the areas " +
        "that lie partly outside their best fit.");
      root.setAttribute("data-ready", "true");
      return null;
    }
    return loadParts("a");
  }).catch(failed);

  Array.prototype.forEach.call(document.querySelectorAll("input[data-layer]"), function (box) {
    box.addEventListener("change", function () {
      var layer = layers[box.getAttribute("data-layer")];
      if (!layer) { return; }
      if (box.checked) { layer.addTo(map); ensureHatch(); } else { map.removeLayer(layer); }
      if (box.getAttribute("data-layer") === "a") {  // pointing at an area names it only while A is shown
        if (box.checked) { layers.areas.addTo(map); } else { map.removeLayer(layers.areas); }
      }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[name='side']"), function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) { loadParts(radio.value).catch(failed); }
    });
  });

  /* "Show on the map" in each row of the tables: hatch that side's parts and zoom to the area's. */
  function zoomTo(chosenSide, code, name) {
    if (!config.parts) { return; }
    var radio = document.getElementById("side-" + chosenSide);
    if (radio && !radio.checked) { radio.checked = true; }
    var ready = chosenSide === side && partsCache[side] ? Promise.resolve() : loadParts(chosenSide);
    ready.then(function () {
      var bounds = L.latLngBounds([]);
      var first = null;
      [["parts", STYLE.part], ["slivers", STYLE.sliver]].forEach(function (kind) {
        if (!layers[kind[0]]) { return; }
        layers[kind[0]].eachLayer(function (path) {
          var mine = path.feature.properties.code === code;
          path.setStyle(mine ? STYLE.chosen : { color: kind[1].color, weight: kind[1].weight });
          if (mine) {
            bounds.extend(path.getBounds());
            first = first || path;
            path.bringToFront();
          }
        });
      });
      if (!bounds.isValid()) { return; }
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 16 });
      if (map.hasLayer(first)) { first.openTooltip(first.getCenter()); }
      root.scrollIntoView({ block: "center" });
      root.focus();
      root.setAttribute("data-zoomed", code);
      say("Zoomed to the parts of " + name + " outside its best fit, hatched in red.");
    }).catch(failed);
  }

  Array.prototype.forEach.call(config.parts ? document.querySelectorAll("table.fits") : [], function (table) {
    var tableSide = table.getAttribute("data-side");
    var head = el("th", null, "Map");
    head.scope = "col";
    table.tHead.rows[0].appendChild(head);
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var name = row.querySelector("th[scope=row]").textContent.trim();
      var button = el("button", "link-button zoom-button", "Show");
      button.type = "button";
      button.setAttribute("aria-label", "Show " + name + " on the map");
      button.addEventListener("click", function () { zoomTo(tableSide, row.getAttribute("data-code"), name); });
      row.appendChild(el("td")).appendChild(button);
    });
  });

  window.AtlasAlignment = { map: map, layers: layers };
}());
