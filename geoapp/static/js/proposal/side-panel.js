/* The panel beside the map, opened and closed by a button on a tablet. */

import { root } from "./state.js";
import { dragging } from "./tools.js";

export function wireSidePanel() {
  var toggle = document.getElementById("side-toggle");
  var close = document.getElementById("side-close");
  var side = document.getElementById("proposal-side");
  if (!toggle || !side) { return; }
  root.classList.add("has-side-toggle");
  toggle.hidden = false;
  close.hidden = false;
  function open(opened) {
    root.classList.toggle("side-open", opened);
    toggle.setAttribute("aria-expanded", opened ? "true" : "false");
    if (opened) { side.setAttribute("tabindex", "-1"); side.focus({ preventScroll: true }); } else { toggle.focus({ preventScroll: true }); }
  }
  toggle.addEventListener("click", function () { open(!root.classList.contains("side-open")); });
  close.addEventListener("click", function () { open(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.classList.contains("side-open") && !dragging()) { open(false); }
  });
}
