/* Partnership Atlas: small things every page does once its HTML is in.
 *
 * - On a phone the main menu and the account links fold behind a "Menu" button, so that the page (and the
 *   home map) starts near the top of the screen; without script they are simply shown.
 * - Every data table sits in a box that scrolls sideways when the table is wider than the screen, so the
 *   page itself never does. A box that scrolls can be reached and scrolled with the keyboard (it takes the
 *   focus, named after its table); one that does not stays out of the way.
 */
(function () {
  "use strict";

  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 640px)") : null;

  function menu() {
    var header = document.querySelector(".site-header");
    var nav = header ? header.querySelector("nav") : null;
    if (!nav || header.querySelector(".menu-toggle")) { return; }
    nav.id = nav.id || "site-menu";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "menu-toggle";
    button.textContent = "Menu";
    var account = header.querySelector(".site-account");
    if (account) { account.id = account.id || "site-account"; }
    button.setAttribute("aria-controls", nav.id + (account ? " " + account.id : ""));
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = !header.classList.contains("menu-open");
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    header.insertBefore(button, nav);
    document.documentElement.classList.add("js-menu");
  }

  function nameOf(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var by = table.getAttribute("aria-labelledby");
    var label = by ? document.getElementById(by.split(" ")[0]) : null;
    if (label && label.textContent.trim()) { return label.textContent.trim(); }
    return table.getAttribute("aria-label") || "Table";
  }

  // a box that scrolls must be reachable by keyboard; one that does not, must not be a stop
  function fit(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    var table = box.querySelector("table");
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("data-atlas-scroll", "true");
      if (!box.getAttribute("role")) { box.setAttribute("role", "region"); }
      if (!box.getAttribute("aria-label") && !box.getAttribute("aria-labelledby") && table) {
        box.setAttribute("aria-label", nameOf(table) + " (scrolls sideways)");
      }
    } else if (!scrolls && box.getAttribute("data-atlas-scroll") === "true") {
      box.removeAttribute("tabindex");
      box.removeAttribute("data-atlas-scroll");
    }
  }

  var watcher = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var box = entry.target.classList.contains("table-wrap") ? entry.target : entry.target.closest(".table-wrap");
      if (box) { fit(box); }
    });
  }) : null;

  function wrapTables(scope) {
    (scope || document).querySelectorAll("table.data, table.atlas-table").forEach(function (table) {
      var box = table.parentElement;
      if (!box || !box.classList.contains("table-wrap")) {
        if (table.closest(".table-wrap") || table.closest(".leaflet-container")) { return; }
        box = document.createElement("div");
        box.className = "table-wrap";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      if (box.getAttribute("data-atlas-watched")) { return; }
      box.setAttribute("data-atlas-watched", "true");
      fit(box);
      if (watcher) { watcher.observe(box); watcher.observe(table); }
    });
  }

  function start() {
    menu();
    wrapTables();
    if (window.MutationObserver) {
      var pending = false;
      new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; wrapTables(); });
      }).observe(document.body, { childList: true, subtree: true });
    }
    if (!watcher) { window.addEventListener("resize", function () { document.querySelectorAll(".table-wrap").forEach(fit); }); }
    if (PHONE && PHONE.addEventListener) {
      PHONE.addEventListener("change", function () { document.querySelectorAll(".table-wrap").forEach(fit); });
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
