/* Changes to the drawing: each one an undo step, the statistics and rules then checked by the server
 * (check.json) once. Undo and redo keep every step in memory. */

import { scheduleDraft } from "./drafts.js";
import { restyle } from "./map.js";
import { renderForums, showCheck, updateUnassigned } from "./panels.js";
import { post } from "./server.js";
import {
  UNITS, blocks, config, drawing, editable, editor, elsewhere, forumLabel, isLocked, lockReason, root, say,
  setDrawing, snapshot
} from "./state.js";

export function change(apply) {
  editor.undoStack.push(snapshot());
  editor.redoStack = [];
  apply();
  changed();
}

export function changed() {
  editor.changes += 1;
  root.setAttribute("data-changes", String(editor.changes));
  updateButtons();
  renderForums();
  restyle();
  updateUnassigned();
  scheduleDraft();
  check();
}

export function assign(code, forum) {
  if ((drawing.assignment[code] || null) === (forum || null)) { return; }
  var reason = lockReason(code, forum);
  if (reason) {
    say(reason);
    if (blocks[code].select) { blocks[code].select.value = drawing.assignment[code] || ""; }
    return;
  }
  change(function () {
    if (forum) { drawing.assignment[code] = forum; } else { delete drawing.assignment[code]; }
  });
  var block = blocks[code];
  say(block.name + (forum ? " is now in " + forumLabel(forum) + "." : " is now in no forum.") + elsewhere(code, forum));
}

function restore(saved) {
  setDrawing(saved);
  if (drawing.order.indexOf(editor.current) < 0) { editor.current = drawing.order[0] || null; }
}

export function undo() {
  if (!editor.undoStack.length) { return; }
  editor.redoStack.push(snapshot());
  restore(editor.undoStack.pop());
  say("Undone.");
  changed();
}

export function redo() {
  if (!editor.redoStack.length) { return; }
  editor.undoStack.push(snapshot());
  restore(editor.redoStack.pop());
  say("Redone.");
  changed();
}

export function updateButtons() {
  if (!editable) { return; }
  document.getElementById("undo").disabled = !editor.undoStack.length;
  document.getElementById("redo").disabled = !editor.redoStack.length;
}

export function check() {
  var asked = editor.changes;
  root.setAttribute("data-checking", "true");
  return post(config.urls.check, { assignment: drawing.assignment, forums: drawing.forums }).then(function (answer) {
    if (asked !== editor.changes) { return; }  // a newer change is being checked
    if (answer.status !== 200) {
      say("The proposal could not be checked: " + (answer.data.description || answer.status));
    } else {
      showCheck(answer.data);
    }
    root.setAttribute("data-checked", String(asked));
    root.removeAttribute("data-checking");
  }).catch(function (error) {
    say("The proposal could not be checked (" + error.message + ").");
  });
}

export function toggleLock(code) {
  var locking = !isLocked(code);
  change(function () {
    if (locking) { drawing.forums[code].locked = true; } else { delete drawing.forums[code].locked; }
  });
  say(locking ? forumLabel(code) + " is locked: its " + UNITS + " cannot be changed until you unlock it."
    : forumLabel(code) + " is unlocked: its " + UNITS + " can be changed again.");
}
