/* The drawing tools. Click toggles one block; Paint and Erase act on every block the pointer passes over while
 * pressed (found with elementFromPoint along the pointer's path, so a fast stroke misses nothing); Box takes the
 * blocks whose inside point lies in a dragged rectangle; Shape (Leaflet-Geoman) sends a drawn polygon to
 * fit.json and takes the blocks the server answers. Blocks of a locked forum never change. */

import { assign, changed } from "./edits.js";
import { map, restyle, styleFor } from "./map.js";
import { updateUnassigned } from "./panels.js";
import { post } from "./server.js";
import {
  UNIT, UNITS, blocks, config, count, drawing, editable, editor, forumLabel, isLocked, lockedForumReason,
  lockedNote, root, say, setDrawing, snapshot
} from "./state.js";
import { capital, el, plural } from "./text.js";

const DRAG_TOOLS = ["paint", "erase", "box"];
const TOOL_HELP = {
  click: "Click a " + UNIT + " to put it in the current forum; click it again to take it out.",
  paint: "Press and drag across the map: every " + UNIT + " you pass over goes in the current forum. " +
    "One stroke is one step to undo.",
  erase: "Click a " + UNIT + ", or press and drag across several, to take them out of their forum.",
  box: "Drag a box on the map: every " + UNIT + " whose centre is inside it goes in the current forum.",
  shape: "Click the corners of a shape on the map and click the first corner again to close it. The " +
    UNITS + " it covers go in the current forum."
};
const mapElement = document.getElementById("proposal-map");
const toolHelp = document.getElementById("tool-help");
const shapeResult = document.getElementById("shape-result");
let tool = "click";          // the drawing tool chosen in the tool bar
let drag = null;             // the paint, erase or box stroke under way
let lastShape = null;        // outline of the last shape sent to fit.json
let shapeAvailable = false;  // Leaflet-Geoman is loaded and the Shape tool is offered

export function currentTool() { return tool; }

export function dragging() { return !!drag; }

// the tool bar, the Shape tool's hints, strokes on the map, and Escape to stop a stroke or a shape
export function wireTools() {
  shapeAvailable = !!(editable && config.urls.fit && L.PM && map.pm && document.getElementById("tool-shape"));
  document.querySelectorAll('input[name="tool"]').forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { setTool(radio.value); } });
  });
  if (!shapeAvailable) {
    var shapeRadio = document.getElementById("tool-shape");
    if (shapeRadio) { shapeRadio.disabled = true; shapeRadio.closest(".tool").hidden = true; }
  } else {
    // Geoman's hints in the page's own words ("corner", not "vertex" or "marker")
    map.pm.setLang("atlas", { tooltips: { firstVertex: "Click to place the first corner",
      continueLine: "Click to place the next corner", finishPoly: "Click the first corner to close the shape" } }, "en");
    map.on("pm:create", shapeDrawn);
  }
  mapElement.addEventListener("pointerdown", startDrag);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    if (drag) { event.preventDefault(); cancelDrag(); }
    else if (tool === "shape" && shapeAvailable && map.pm.globalDrawModeEnabled()) {
      map.pm.disableDraw();  // drop the corners placed so far, and start again
      startShape();
      say("The shape was dropped: click its first corner again to start a new one.");
    }
  });
}

export function clicked(code) {
  if (!editable || tool !== "click") { return; }
  if (!editor.current) { say("Choose a forum first."); return; }
  assign(code, drawing.assignment[code] === editor.current ? null : editor.current);
}

export function setTool(name) {
  if (name === "shape" && !shapeAvailable) { name = "click"; }
  if (drag) { cancelDrag(); }
  tool = name;
  root.setAttribute("data-tool", name);
  DRAG_TOOLS.concat(["click", "shape"]).forEach(function (t) { mapElement.classList.toggle("tool-" + t, t === name); });
  var dragging = DRAG_TOOLS.indexOf(name) >= 0;
  // the map must stay still while a stroke or a box is drawn, and Leaflet's shift-drag zoom keep out of it
  [map.dragging, map.boxZoom].forEach(function (handler) {
    if (dragging) { handler.disable(); } else { handler.enable(); }
  });
  if (dragging || name === "shape") { map.doubleClickZoom.disable(); } else { map.doubleClickZoom.enable(); }
  if (shapeAvailable) {
    if (name === "shape") { startShape(); } else if (map.pm.globalDrawModeEnabled()) { map.pm.disableDraw(); }
    if (name !== "shape") { clearShape(); }
  }
  if (toolHelp) { toolHelp.textContent = TOOL_HELP[name]; }
  var radio = document.querySelector('input[name="tool"][value="' + name + '"]');
  if (radio && !radio.checked) { radio.checked = true; }
}

function blockAt(x, y) {
  var node = document.elementFromPoint(x, y);
  var code = node && node.getAttribute ? node.getAttribute("data-block") : null;
  return code && blocks[code] ? code : null;
}

// every block under the pointer's path from one event to the next, every 3 pixels
function alongPath(from, to) {
  var dx = to.x - from.x, dy = to.y - from.y;
  var steps = Math.max(1, Math.ceil(Math.sqrt(dx * dx + dy * dy) / 3));
  for (var i = 1; i <= steps; i += 1) { touch(blockAt(from.x + dx * i / steps, from.y + dy * i / steps)); }
}

// one block met by a stroke (or inside a box): change it now on the map; it is checked when the stroke ends
function touch(code) {
  if (!code || drag.seen[code]) { return; }
  drag.seen[code] = true;
  var from = drawing.assignment[code] || null;
  var to = drag.kind === "erase" ? null : drag.forum;
  if (from === to) { drag.already += 1; return; }
  if (isLocked(from)) { drag.locked += 1; return; }
  if (to) { drawing.assignment[code] = to; } else { delete drawing.assignment[code]; }
  drag.changed += 1;
  blocks[code].layer.setStyle(styleFor(code));
  if (blocks[code].layer.isTooltipOpen()) { blocks[code].layer.getTooltip().update(); }
  var path = blocks[code].layer.getElement();
  if (path) { path.setAttribute("data-forum", to || ""); }
  updateUnassigned();
}

function pointOf(event) { return { x: event.clientX, y: event.clientY }; }

function startDrag(event) {
  if (!editable || !editor.loaded || drag || DRAG_TOOLS.indexOf(tool) < 0 || event.button !== 0) { return; }
  if (event.target.closest && event.target.closest(".leaflet-control")) { return; }
  event.preventDefault();
  if (tool !== "erase") {
    if (!editor.current) { say("Choose a forum first."); return; }
    if (isLocked(editor.current)) { say(lockedForumReason(editor.current)); return; }
  }
  drag = { kind: tool, forum: tool === "erase" ? null : editor.current, before: snapshot(), seen: {}, changed: 0,
    already: 0, locked: 0, last: pointOf(event), pointer: event.pointerId };
  root.setAttribute("data-dragging", tool);
  if (tool === "box") {
    drag.start = map.mouseEventToLatLng(event);
    drag.box = L.rectangle(L.latLngBounds(drag.start, drag.start), { interactive: false, pmIgnore: true,
      color: "#0b0c0c", weight: 2, dashArray: "6 4", fillColor: "#ffdd00", fillOpacity: 0.15 }).addTo(map);
  } else {
    touch(blockAt(drag.last.x, drag.last.y));
  }
  window.addEventListener("pointermove", moveDrag);
  window.addEventListener("pointerup", endDrag);
  window.addEventListener("pointercancel", cancelDrag);
}

function moveDrag(event) {
  if (!drag || event.pointerId !== drag.pointer) { return; }
  if (event.pointerType === "mouse" && !event.buttons) { endDrag(event); return; }  // released outside the window
  event.preventDefault();
  var point = pointOf(event);
  if (drag.kind === "box") {
    drag.box.setBounds(L.latLngBounds(drag.start, map.mouseEventToLatLng(event)));
  } else {
    alongPath(drag.last, point);
  }
  drag.last = point;
}

function stopListening() {
  window.removeEventListener("pointermove", moveDrag);
  window.removeEventListener("pointerup", endDrag);
  window.removeEventListener("pointercancel", cancelDrag);
  root.removeAttribute("data-dragging");
}

function endDrag(event) {
  if (!drag || (event && event.pointerId !== drag.pointer)) { return; }
  var done = drag;
  drag = null;
  stopListening();
  if (done.kind === "box") {
    var bounds = done.box.getBounds();
    map.removeLayer(done.box);
    var size = map.latLngToContainerPoint(bounds.getNorthEast()).subtract(map.latLngToContainerPoint(bounds.getSouthWest()));
    if (Math.abs(size.x) < 4 && Math.abs(size.y) < 4) {
      say("Press and drag to draw a box around the " + UNITS + " you want.");
      return;
    }
    drag = done;  // touch() works on the stroke under way
    Object.keys(blocks).forEach(function (code) {
      var point = blocks[code].point;
      if (point && bounds.contains(point)) { touch(code); }
    });
    drag = null;
  }
  var label = done.forum ? forumLabel(done.forum) : "";
  var text;
  if (done.kind === "erase") {
    text = done.changed ? capital(count(done.changed)) + " taken out of " + (done.changed === 1 ? "its forum." : "their forums.")
      : done.locked ? "" : "Nothing to take out: no forum there.";
  } else if (done.kind === "box") {
    var found = done.changed + done.already + done.locked;
    text = !found ? "No " + UNIT + " has its centre inside the box."
      : done.changed ? capital(count(done.changed)) + " put in " + label + " (every " + UNIT + " whose centre is inside the box)." +
        (done.already ? " " + capital(count(done.already)) + (done.already === 1 ? " was" : " were") + " in it already." : "")
      : done.locked ? "" : "Every " + UNIT + " inside the box was in " + label + " already.";
  } else {
    text = done.changed ? capital(count(done.changed)) + " put in " + label + "."
      : done.locked ? "" : "Nothing changed: " + (done.already ? "those " + UNITS + " were in " + label + " already."
        : "press on a " + UNIT + " and drag across the others.");
  }
  if (done.changed) {
    editor.undoStack.push(done.before);
    editor.redoStack = [];
    changed();
  }
  say((text + lockedNote(done.locked)).trim());
}

export function cancelDrag() {
  if (!drag) { return; }
  var done = drag;
  drag = null;
  stopListening();
  if (done.box) { map.removeLayer(done.box); }
  if (done.changed) {
    setDrawing(done.before);
    restyle();
    updateUnassigned();
  }
  say("Stopped: nothing changed.");
}

function startShape() {
  map.pm.enableDraw("Polygon", { snappable: false, continueDrawing: true, allowSelfIntersection: false,
    finishOn: null, templineStyle: { color: "#0b0c0c", weight: 2 },
    hintlineStyle: { color: "#0b0c0c", dashArray: [5, 5] },
    pathOptions: { color: "#0b0c0c", weight: 2, dashArray: "6 4", fillColor: "#ffdd00", fillOpacity: 0.15 } });
}

function clearShape() {
  if (lastShape) { map.removeLayer(lastShape); lastShape = null; }
  if (shapeResult) { shapeResult.hidden = true; }
}

function shapeDrawn(event) {
  var layer = event.layer;
  var geometry = layer.toGeoJSON().geometry;
  map.removeLayer(layer);
  clearShape();
  lastShape = L.geoJSON(geometry, { interactive: false, pmIgnore: true,
    style: { color: "#0b0c0c", weight: 2, dashArray: "6 4", fill: false } }).addTo(map);
  var forum = editor.current;
  if (!forum) { say("Choose a forum first."); return; }
  if (isLocked(forum)) { say(lockedForumReason(forum)); return; }
  root.setAttribute("data-fitting", "true");
  say("Finding the " + UNITS + " inside the shape…");
  post(config.urls.fit, { geometry: geometry }).then(function (answer) {
    root.removeAttribute("data-fitting");
    if (answer.status === 200) {
      shapeFitted(answer.data, forum);
    } else if (answer.status === 422) {
      say("That shape could not be used: " + (answer.data.description || "draw it again over the " + UNITS + "."));
    } else {
      say("The shape could not be matched to " + UNITS + ": " + (answer.data.description || "the server answered " + answer.status) + ".");
    }
  }).catch(function (error) {
    root.removeAttribute("data-fitting");
    say("The shape could not be matched to " + UNITS + " (" + error.message + ").");
  });
}

function shapeFitted(data, forum) {
  var unit = data.unit || UNIT;
  var units = data.unit && data.unit !== UNIT ? plural(data.unit) : UNITS;
  var counted = function (n) { return n + " " + (n === 1 ? unit : units); };
  if (!drawing.forums[forum]) { say("The forum was removed while the shape was being matched."); return; }
  if (isLocked(forum)) { say(lockedForumReason(forum)); return; }
  var before = snapshot();
  var moved = 0, already = 0, locked = 0;
  (data.blocks || []).filter(function (code) { return blocks[code]; }).forEach(function (code) {
    var from = drawing.assignment[code] || null;
    if (from === forum) { already += 1; } else if (isLocked(from)) { locked += 1; } else { drawing.assignment[code] = forum; moved += 1; }
  });
  if (moved) {
    editor.undoStack.push(before);
    editor.redoStack = [];
    changed();
  }
  var taken = moved + already + locked;
  var text = !taken ? "No " + unit + " is inside the shape by that rule, so nothing changed."
    : capital(counted(taken)) + " taken by the shape" + (moved === taken ? " and put in " + forumLabel(forum) + "."
      : ": " + moved + " put in " + forumLabel(forum) + ".") +
      (already ? " " + capital(counted(already)) + (already === 1 ? " was" : " were") + " in it already." : "") +
      (locked ? " " + capital(counted(locked)) + " left as " + (locked === 1 ? "it was" : "they were") +
        " because " + (locked === 1 ? "its" : "their") + " forum is locked." : "");
  say(taken ? capital(counted(moved)) + " put in " + forumLabel(forum) + " from the shape." : text);
  if (!shapeResult) { return; }
  document.getElementById("shape-rule").textContent = data.rule || "";
  var takenLine = document.getElementById("shape-taken");
  takenLine.textContent = text;
  takenLine.setAttribute("data-taken", String(taken));
  var partialBox = document.getElementById("shape-partial");
  partialBox.textContent = "";
  var partial = (data.partial || []).slice().sort(function (a, b) { return (b.share || 0) - (a.share || 0); });
  if (partial.length) {
    partialBox.appendChild(el("p", "Partly inside the shape but left out (" + counted(partial.length) + "):"));
    var list = el("ul", null, "shape-partial-list");
    partial.forEach(function (item) {
      var name = item.name || (blocks[item.code] || {}).name || item.code;
      var share = typeof item.share === "number" ? " – " + Math.round(item.share * 100) + "% inside" : "";
      var entry = el("li", name + " (" + item.code + ")" + share);
      entry.setAttribute("data-block", item.code);
      list.appendChild(entry);
    });
    partialBox.appendChild(list);
  } else {
    partialBox.appendChild(el("p", "No " + unit + " is only partly inside the shape."));
  }
  shapeResult.hidden = false;
}
