/* The Leaflet map (the vendored global window.L) of the blocks in their forums' colours, hatched grey when in
 * no forum, with the containers outlined. */

import { insidePoint } from "./geometry.js";
import { blocks, config, drawing, editor, forumLabel, isLocked } from "./state.js";
import { el } from "./text.js";

const HATCH = "atlas-proposal-hatch";
export let map = null;
let blockLayer = null;
let containerLayer = null;

export function createMap() {
  map = L.map("proposal-map", { zoomSnap: 0.25 });
  return map;
}

// the blocks (onClick: what a click on one does) and the containers over them, the map fitted to the blocks
export function drawLayers(blockData, containerData, onClick) {
  blockLayer = L.geoJSON(blockData, { pmIgnore: true,
    style: function (feature) { return styleFor(feature.properties.code); },
    onEachFeature: function (feature, layer) {
      var code = feature.properties.code;
      var container = containerOf(feature);
      blocks[code] = { name: feature.properties.name || code, container: container.code,
        containerName: container.name, layer: layer, point: insidePoint(feature) };
      layer.bindTooltip(function () { return el("span", tooltipText(code)); }, { sticky: true });
      layer.on("click", function () { onClick(code); });
    }
  }).addTo(map);
  containerLayer = L.geoJSON(containerData, { interactive: false, pmIgnore: true,
    style: { color: "#0b0c0c", weight: 3, fill: false } }).addTo(map);
  map.fitBounds(blockLayer.getBounds());
  addHatch();
}

function addHatch() {
  var svg = map.getPanes().overlayPane.querySelector("svg");
  if (!svg || svg.querySelector("#" + HATCH)) { return; }
  var ns = "http://www.w3.org/2000/svg";
  var defs = document.createElementNS(ns, "defs");
  var pattern = document.createElementNS(ns, "pattern");
  pattern.setAttribute("id", HATCH);
  pattern.setAttribute("patternUnits", "userSpaceOnUse");
  pattern.setAttribute("width", "8");
  pattern.setAttribute("height", "8");
  pattern.setAttribute("patternTransform", "rotate(45)");
  var back = document.createElementNS(ns, "rect");
  back.setAttribute("width", "8");
  back.setAttribute("height", "8");
  back.setAttribute("fill", "#f3f2f1");
  var line = document.createElementNS(ns, "line");
  line.setAttribute("x1", "0");
  line.setAttribute("y1", "0");
  line.setAttribute("x2", "0");
  line.setAttribute("y2", "8");
  line.setAttribute("stroke", "#8a8a8a");
  line.setAttribute("stroke-width", "3");
  pattern.appendChild(back);
  pattern.appendChild(line);
  defs.appendChild(pattern);
  svg.insertBefore(defs, svg.firstChild);
}

export function styleFor(code) {
  var forum = drawing.assignment[code];
  var colour = forum && drawing.forums[forum] ? drawing.forums[forum].colour : null;
  var style = colour ? { color: "#505a5f", weight: 1, fillColor: colour, fillOpacity: 0.55 }
    : { color: "#505a5f", weight: 1, fillColor: "url(#" + HATCH + ")", fillOpacity: 1 };
  if (editor.flagged[code]) { style.color = "#d4351c"; style.weight = 4; }
  return style;
}

export function restyle() {
  Object.keys(blocks).forEach(function (code) {
    var block = blocks[code];
    block.layer.setStyle(styleFor(code));
    var forum = drawing.assignment[code];
    var path = block.layer.getElement ? block.layer.getElement() : null;
    if (path) { path.setAttribute("data-forum", forum || ""); path.setAttribute("data-block", code); }
    if (block.select) { block.select.value = forum || ""; }
    if (block.layer.isTooltipOpen()) { block.layer.getTooltip().update(); }
  });
  if (containerLayer) { containerLayer.bringToFront(); }
}

function tooltipText(code) {
  var block = blocks[code];
  var forum = drawing.assignment[code];
  return block.name + " (" + code + "): " + (forum ? forumLabel(forum) + (isLocked(forum) ? " (locked)" : "") : "no forum");
}

function containerOf(feature) {
  var found = (feature.properties.containers || []).filter(function (c) { return c.set === config.container_set; })
    .sort(function (a, b) { return (b.share || 0) - (a.share || 0); })[0];
  return found || {};
}
