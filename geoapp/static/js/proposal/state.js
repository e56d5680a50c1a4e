/* The proposal being drawn: the page's configuration, the forums and their blocks, what is saved, and the
 * status line. The other modules read and change the drawing through these objects. */

import { canonical, capital, copy, plural } from "./text.js";

export const root = document.querySelector("[data-atlas-proposal]");
export const config = root ? JSON.parse(root.getAttribute("data-atlas-proposal")) : {};
export const editable = !!config.editable;
export const UNIT = config.block_unit || "ward";
export const UNITS = config.block_unit_plural || plural(UNIT);
// block code -> forum code; forum code -> {name, colour, container, locked}; the forum codes in the picker
export const drawing = { assignment: {}, forums: {}, order: [] };
export const editor = {
  current: null,              // the forum clicks assign to
  version: 0,                 // the version the edit started from
  undoStack: [],
  redoStack: [],
  changes: 0,                 // bumped on every change; the check shown answers changes === checked
  flagged: {},                // codes named by failing rules
  loaded: false,
  savedKey: null,             // the saved version's assignment and forums, as a canonical string
  draftKept: !!config.draft,  // whether the server holds a draft of this user's
  draftOffered: false,        // a draft from an earlier visit awaits "restore" or "discard"
  leaving: false              // the page is going away by one of its own forms (no warning)
};
export const blocks = {};            // code -> {name, container, containerName, layer, point, select, lockNote}
export const containers = {};        // container code -> name
const statusLine = document.getElementById("proposal-status");

// a snapshot (or a draft) put in place of the drawing
export function setDrawing(saved) {
  drawing.assignment = saved.assignment;
  drawing.forums = saved.forums;
  drawing.order = saved.order;
}

export function say(text) { statusLine.textContent = text; }

export function count(n, one, many) { return n + " " + (n === 1 ? (one || UNIT) : (many || UNITS)); }

export function tolerance() { return typeof config.tolerance === "number" ? config.tolerance : 0.05; }

export function snapshot() { return { assignment: copy(drawing.assignment), forums: copy(drawing.forums), order: drawing.order.slice() }; }

export function keyOf(assignment, forums) { return canonical({ assignment: assignment || {}, forums: forums || {} }); }

export function dirty() { return editor.loaded && editor.savedKey !== null && keyOf(drawing.assignment, drawing.forums) !== editor.savedKey; }

export function isLocked(forum) { return !!(forum && drawing.forums[forum] && drawing.forums[forum].locked); }

// why a block may not go to a forum (null when it may): its own forum or the target forum is locked
export function lockReason(code, forum) {
  var from = drawing.assignment[code] || null;
  if (isLocked(from)) {
    return blocks[code].name + " is in " + forumLabel(from) + ", which is locked. Unlock " + forumLabel(from) +
      " to change it.";
  }
  if (forum && isLocked(forum)) { return lockedForumReason(forum); }
  return null;
}

export function lockedForumReason(forum) {
  return forumLabel(forum) + " is locked, so no " + UNIT + " can be added to it or taken out. " +
    "Unlock it first, or choose another forum.";
}

export function lockedNote(n) {
  return n ? " " + capital(count(n)) + (n === 1 ? " was" : " were") + " left as " + (n === 1 ? "it was" : "they were") +
    " because " + (n === 1 ? "its" : "their") + " forum is locked." : "";
}

export function forumLabel(code) {
  var forum = drawing.forums[code] || {};
  return forum.name && forum.name !== code ? forum.name + " (" + code + ")" : code;
}

function nextForumCode() {
  var n = drawing.order.length + 1;
  while (drawing.forums["F" + n]) { n += 1; }
  return "F" + n;
}

// a colour no forum has yet (the palette again once every colour is taken)
function freeColour() {
  var taken = {};
  Object.keys(drawing.forums).forEach(function (code) { taken[(drawing.forums[code].colour || "").toLowerCase()] = true; });
  var free = config.colours.filter(function (c) { return !taken[c]; });
  return free.length ? free[0] : config.colours[drawing.order.length % config.colours.length];
}

export function addForum(code, container) {
  code = code || nextForumCode();
  if (!drawing.forums[code]) {
    drawing.forums[code] = { name: code, colour: freeColour() };
    if (container) {
      var siblings = drawing.order.filter(function (f) { return (drawing.forums[f] || {}).container === container; });
      drawing.forums[code].container = container;
      drawing.forums[code].name = (containers[container] || container) + " " + (siblings.length + 1);
    }
  } else if (!drawing.forums[code].colour) {
    drawing.forums[code].colour = freeColour();  // e.g. imported with a name but no colour
  }
  if (drawing.order.indexOf(code) < 0) { drawing.order.push(code); }
  return code;
}

// the forums a new proposal starts with: N in each container, named after it, or F1, F2... tied to none
export function seedForums() {
  var wanted = config.forums_per_container;
  var codes = Object.keys(containers).sort(function (a, b) { return containers[a].localeCompare(containers[b]); });
  if (config.seed_forums === "container" && codes.length) {
    codes.forEach(function (container) {
      var n = typeof wanted === "number" ? wanted : (wanted && wanted[container]) || 1;
      for (var i = 0; i < n; i += 1) {
        var code = addForum(null, container);
        if (n === 1) { drawing.forums[code].name = containers[container]; }
      }
    });
    return;
  }
  var total = typeof wanted === "number" ? wanted * config.container_count : 2;
  for (var k = 0; k < Math.max(total, 1); k += 1) { addForum(); }
}

// a word when a block goes to a forum placed in another container than the block's own
export function elsewhere(code, forum) {
  var home = forum && drawing.forums[forum] ? drawing.forums[forum].container : null;
  var block = blocks[code];
  if (!home || !block || !block.container || block.container === home) { return ""; }
  return " Note: " + block.name + " is in " + (block.containerName || block.container) + ", but " + forumLabel(forum) +
    " is a forum of " + (containers[home] || home) + ".";
}
