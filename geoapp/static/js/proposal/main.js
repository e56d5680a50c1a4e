/* Partnership Atlas: draw a forum proposal by grouping wards (blocks) into forums on a Leaflet map.
 *
 * The [data-atlas-proposal] element holds the proposal's id, whether the user may edit, the word for a
 * block (block_unit: ward, LSOA, parish), the forum colours new forums take in turn, and the URLs of its
 * JSON API and of the block and container GeoJSON. Every change (a click on a ward, a paint stroke, a box,
 * a shape, a choice in the list of wards, a forum renamed or locked) is one undo step and is checked by
 * the server (check.json) once, and the statistics and rules redrawn. Text from data is set with
 * textContent only.
 *
 * Nothing is lost: a moment after each change the unsaved assignment is kept on the server as the user's
 * draft, offered back on return; leaving with unsaved changes asks first; the settings are saved without
 * leaving the page, and the other forms of the page carry the drawing through their reload. After a save
 * the versions, downloads and adoption panels are redrawn from the page.
 *
 * This module wires the page and loads the proposal; the other modules of this folder hold the drawing
 * (state.js), the map (map.js), the tools (tools.js), the panels (panels.js), changes (edits.js), drafts
 * (drafts.js, draft-offer.js), saving (saving.js), the settings (settings.js) and the forum balance
 * (balance.js). Leaflet (and Leaflet-Geoman for the Shape tool) are the vendored globals.
 */

import { loadBalance } from "./balance.js";
import { answerDraft, offerDraft } from "./draft-offer.js";
import { flushDraft, showDraftStatus, watchLeaving, wireLeaving } from "./drafts.js";
import { assign, change, check, redo, toggleLock, undo, updateButtons } from "./edits.js";
import { createMap, drawLayers, map, restyle } from "./map.js";
import { choose, handlers, renderForums, renderWardList, showVersion, updateUnassigned } from "./panels.js";
import { save, saveAsCopy } from "./saving.js";
import { getJSON } from "./server.js";
import { wireSettings } from "./settings.js";
import { wireSidePanel } from "./side-panel.js";
import {
  UNITS, addForum, blocks, config, containers, dirty, drawing, editable, editor, forumLabel, keyOf, root,
  say, seedForums, snapshot
} from "./state.js";
import { cancelDrag, clicked, currentTool, setTool, wireTools } from "./tools.js";

// a stroke under way stops first: undo and redo act on whole steps
function undoStep() { cancelDrag(); undo(); }

function redoStep() { cancelDrag(); redo(); }

// the forum picker's forms, the tools, undo and redo, saving, drafts and settings (only when editable)
function wireEditing() {
  document.getElementById("forum-add").addEventListener("click", function () {
    var code = null;
    var container = editor.current && drawing.forums[editor.current] ? drawing.forums[editor.current].container : null;
    change(function () { code = addForum(null, container); });
    choose(code);
    say("Added forum " + forumLabel(code) + (container ? " in " + (containers[container] || container) : "") +
      "; clicks now put " + UNITS + " in it.");
  });
  var nameInput = document.getElementById("forum-name");
  nameInput.addEventListener("change", function () {
    if (!editor.current || !nameInput.value.trim()) { return; }
    var code = editor.current;
    change(function () { drawing.forums[code].name = nameInput.value.trim(); });
  });
  var colourInput = document.getElementById("forum-colour");
  colourInput.addEventListener("change", function () {
    if (!editor.current) { return; }
    var code = editor.current;
    change(function () { drawing.forums[code].colour = colourInput.value; });
  });
  wireTools();
  document.getElementById("undo").addEventListener("click", undoStep);
  document.getElementById("redo").addEventListener("click", redoStep);
  document.getElementById("save-form").addEventListener("submit", save);
  document.getElementById("conflict-reload").addEventListener("click", function () { editor.leaving = true; window.location.reload(); });
  document.getElementById("draft-restore").addEventListener("click", function () { answerDraft(true); });
  document.getElementById("draft-discard").addEventListener("click", function () { answerDraft(false); });
  wireSettings();
  wireLeaving();
  document.getElementById("conflict-copy").addEventListener("click", saveAsCopy);
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey)) { return; }
    var target = event.target;
    if (target && ((target.tagName === "INPUT" && ["radio", "checkbox", "button"].indexOf(target.type) < 0) ||
      target.tagName === "TEXTAREA")) { return; }
    var key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); undoStep(); }
    else if (key === "y" || (key === "z" && event.shiftKey)) { event.preventDefault(); redoStep(); }
  });
}

// the proposal, its blocks and its containers from the server, then the map, the panels and the first check
function load() {
  return Promise.all([getJSON(config.urls.show), getJSON(config.urls.blocks), getJSON(config.urls.containers)])
    .then(function (found) {
      var shown = found[0], blockData = found[1], containerData = found[2];
      config.container_set = shown.proposal.container_set;
      editor.version = shown.proposal.version || 0;
      root.setAttribute("data-version", String(editor.version));
      showVersion(shown.version ? "Version " + shown.version.number + ", saved by " + (shown.version.saved_by || "someone") +
        (shown.version.note ? ": " + shown.version.note : ".") : "Not saved yet.");
      (containerData.features || []).forEach(function (feature) {
        containers[feature.properties.code] = feature.properties.name || feature.properties.code;
      });
      drawing.assignment = shown.assignment || {};
      drawing.forums = shown.forums || {};
      Object.keys(drawing.forums).sort(function (a, b) { return a.localeCompare(b, "en", { numeric: true }); })
        .forEach(function (code) { drawing.order.push(code); });
      Object.keys(drawing.forums).forEach(function (code) { addForum(code); });  // every forum in colour
      Object.keys(drawing.assignment).forEach(function (code) { addForum(drawing.assignment[code]); });
      if (!drawing.order.length && editable) { seedForums(); }
      editor.current = drawing.order[0] || null;
      editor.savedKey = keyOf(drawing.assignment, drawing.forums);
      drawLayers(blockData, containerData, clicked);
      editor.loaded = true;
      if (editable) { setTool("click"); }
      updateUnassigned();
      renderWardList();
      renderForums();
      restyle();
      updateButtons();
      if (editable) {
        offerDraft(config.draft);
        showDraftStatus();
      }
      loadBalance();
      return check();
    }).then(function () {
      root.setAttribute("data-ready", "true");
    }).catch(function (error) {
      say("The proposal could not load (" + error.message + ").");
    });
}

if (root && window.L) {
  handlers.toggleLock = toggleLock;
  handlers.assign = assign;
  createMap();
  watchLeaving();
  if (editable) { wireEditing(); }
  wireSidePanel();
  load();
  window.AtlasProposal = {
    map: map,
    state: function () { return snapshot(); },
    tool: currentTool,
    undoDepth: function () { return editor.undoStack.length; },
    dirty: dirty,
    flushDraft: function () { return flushDraft(false); },
    blocks: blocks
  };
}
