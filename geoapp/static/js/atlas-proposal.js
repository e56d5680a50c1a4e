/* Partnership Atlas: draw a forum proposal by grouping wards (blocks) into forums on a Leaflet map.
 *
 * The [data-atlas-proposal] element holds the proposal's id, whether the user may edit, the word for a
 * block (block_unit: ward, LSOA, parish) and the URLs of its JSON API and of the block and container
 * GeoJSON. Every change (a click on a ward, a paint stroke, a box, a shape, a choice in the list of wards,
 * a forum renamed or locked) is one undo step and is checked by the server (check.json) once, and the
 * statistics and rules redrawn. Undo and redo keep every step in memory.
 *
 * Tools: Click toggles one block; Paint and Erase act on every block the pointer passes over while
 * pressed (found with elementFromPoint along the pointer's path, so a fast stroke misses nothing); Box
 * takes the blocks whose inside point lies in a dragged rectangle; Shape (Leaflet-Geoman) sends a drawn
 * polygon to fit.json and takes the blocks the server answers. Blocks of a locked forum never change.
 * Text from data is set with textContent only.
 *
 * Nothing is lost: a moment after each change the unsaved assignment is kept on the server as the user's
 * draft (and at once when the page is hidden), offered back on return ("restore / discard"); leaving with
 * unsaved changes asks first; the settings are saved without leaving the page, and the other forms of the
 * page carry the drawing through their reload. After a save the versions, downloads and adoption panels
 * are redrawn from the page. balance.json says where a forum count cannot be met within the tolerance
 * with whole blocks, and how close the best split comes.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-atlas-proposal]");
  if (!root || !window.L) { return; }
  var config = JSON.parse(root.getAttribute("data-atlas-proposal"));
  var editable = !!config.editable;
  var PALETTE = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#b58840", "#28a197", "#f499be",
    "#5694ca", "#85994b", "#912b88", "#6f72af"];
  var HATCH = "atlas-proposal-hatch";
  var UNIT = config.block_unit || "ward";
  var UNITS = config.block_unit_plural || plural(UNIT);
  var DRAG_TOOLS = ["paint", "erase", "box"];
  var TOOL_HELP = {
    click: "Click a " + UNIT + " to put it in the current forum; click it again to take it out.",
    paint: "Press and drag across the map: every " + UNIT + " you pass over goes in the current forum. " +
      "One stroke is one step to undo.",
    erase: "Click a " + UNIT + ", or press and drag across several, to take them out of their forum.",
    box: "Drag a box on the map: every " + UNIT + " whose centre is inside it goes in the current forum.",
    shape: "Click the corners of a shape on the map and click the first corner again to close it. The " +
      UNITS + " it covers go in the current forum."
  };

  var state = { assignment: {}, forums: {}, order: [] };  // order: forum codes in the picker
  var current = null;            // the forum clicks assign to
  var version = 0;               // the version the edit started from
  var undoStack = [];
  var redoStack = [];
  var changes = 0;               // bumped on every change; the check shown answers changes === checked
  var blocks = {};               // code -> {name, container, containerName, layer, select}
  var flagged = {};              // codes named by failing rules
  var tool = "click";            // the drawing tool chosen in the tool bar
  var drag = null;               // the paint, erase or box stroke under way
  var lastShape = null;          // outline of the last shape sent to fit.json
  var loaded = false;
  var savedKey = null;           // the saved version's assignment and forums, as a canonical string
  var lastReport = null;         // the latest statistics and rules from check.json
  var containers = {};           // container code -> name
  var draftTimer = null;         // the pending autosave of the draft
  var draftKept = !!config.draft; // whether the server holds a draft of this user's
  var draftOffered = false;      // a draft from an earlier visit awaits "restore" or "discard"
  var leaving = false;           // the page is going away by one of its own forms (no warning)
  var DRAFT_DELAY = 1200;        // ms after the last change before the draft is kept
  var RESUME = "atlas-proposal-resume-" + config.proposal;

  var statusLine = document.getElementById("proposal-status");
  var versionLine = document.getElementById("proposal-version");
  var forumList = document.getElementById("forum-list");
  var rulesList = document.getElementById("rules");
  var statsBody = document.querySelector("#statistics tbody");
  var wardBody = document.querySelector("#ward-list tbody");

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function say(text) { statusLine.textContent = text; }

  function plural(word) { return /(s|x|z|ch|sh)$/i.test(word) ? word + "es" : word + "s"; }

  function count(n, one, many) { return n + " " + (n === 1 ? (one || UNIT) : (many || UNITS)); }

  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body) }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(url + " answered " + r.status); }
        return r.json();
      });
  }

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  function snapshot() { return { assignment: copy(state.assignment), forums: copy(state.forums), order: state.order.slice() }; }

  function isLocked(forum) { return !!(forum && state.forums[forum] && state.forums[forum].locked); }

  // why a block may not go to a forum (null when it may): its own forum or the target forum is locked
  function lockReason(code, forum) {
    var from = state.assignment[code] || null;
    if (isLocked(from)) {
      return blocks[code].name + " is in " + forumLabel(from) + ", which is locked. Unlock " + forumLabel(from) +
        " to change it.";
    }
    if (forum && isLocked(forum)) { return lockedForumReason(forum); }
    return null;
  }

  function lockedForumReason(forum) {
    return forumLabel(forum) + " is locked, so no " + UNIT + " can be added to it or taken out. " +
      "Unlock it first, or choose another forum.";
  }

  function lockedNote(n) {
    return n ? " " + capital(count(n)) + (n === 1 ? " was" : " were") + " left as " + (n === 1 ? "it was" : "they were") +
      " because " + (n === 1 ? "its" : "their") + " forum is locked." : "";
  }

  function forumLabel(code) {
    var forum = state.forums[code] || {};
    return forum.name && forum.name !== code ? forum.name + " (" + code + ")" : code;
  }

  function nextForumCode() {
    var n = state.order.length + 1;
    while (state.forums["F" + n]) { n += 1; }
    return "F" + n;
  }

  // a colour no forum has yet (the palette again once every colour is taken)
  function freeColour() {
    var taken = {};
    Object.keys(state.forums).forEach(function (code) { taken[(state.forums[code].colour || "").toLowerCase()] = true; });
    var free = PALETTE.filter(function (c) { return !taken[c]; });
    return free.length ? free[0] : PALETTE[state.order.length % PALETTE.length];
  }

  function addForum(code, container) {
    code = code || nextForumCode();
    if (!state.forums[code]) {
      state.forums[code] = { name: code, colour: freeColour() };
      if (container) {
        var siblings = state.order.filter(function (f) { return (state.forums[f] || {}).container === container; });
        state.forums[code].container = container;
        state.forums[code].name = (containers[container] || container) + " " + (siblings.length + 1);
      }
    } else if (!state.forums[code].colour) {
      state.forums[code].colour = freeColour();  // e.g. imported with a name but no colour
    }
    if (state.order.indexOf(code) < 0) { state.order.push(code); }
    return code;
  }

  // the forums a new proposal starts with: N in each container, named after it, or F1, F2... tied to none
  function seedForums() {
    var wanted = config.forums_per_container;
    var codes = Object.keys(containers).sort(function (a, b) { return containers[a].localeCompare(containers[b]); });
    if (config.seed_forums === "container" && codes.length) {
      codes.forEach(function (container) {
        var n = typeof wanted === "number" ? wanted : (wanted && wanted[container]) || 1;
        for (var i = 0; i < n; i += 1) {
          var code = addForum(null, container);
          if (n === 1) { state.forums[code].name = containers[container]; }
        }
      });
      return;
    }
    var total = typeof wanted === "number" ? wanted * config.container_count : 2;
    for (var k = 0; k < Math.max(total, 1); k += 1) { addForum(); }
  }

  // ---- what is saved, and what is not ----
  function canonical(value) {
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
    }
    return JSON.stringify(value === undefined ? null : value);
  }

  function keyOf(assignment, forums) { return canonical({ assignment: assignment || {}, forums: forums || {} }); }

  function dirty() { return loaded && savedKey !== null && keyOf(state.assignment, state.forums) !== savedKey; }

  // ---- the map ----
  var map = L.map("proposal-map", { zoomSnap: 0.25 });
  var blockLayer = null;
  var containerLayer = null;

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

  function styleFor(code) {
    var forum = state.assignment[code];
    var colour = forum && state.forums[forum] ? state.forums[forum].colour : null;
    var style = colour ? { color: "#505a5f", weight: 1, fillColor: colour, fillOpacity: 0.55 }
      : { color: "#505a5f", weight: 1, fillColor: "url(#" + HATCH + ")", fillOpacity: 1 };
    if (flagged[code]) { style.color = "#d4351c"; style.weight = 4; }
    return style;
  }

  function restyle() {
    Object.keys(blocks).forEach(function (code) {
      var block = blocks[code];
      block.layer.setStyle(styleFor(code));
      var forum = state.assignment[code];
      var path = block.layer.getElement ? block.layer.getElement() : null;
      if (path) { path.setAttribute("data-forum", forum || ""); path.setAttribute("data-block", code); }
      if (block.select) { block.select.value = forum || ""; }
      if (block.layer.isTooltipOpen()) { block.layer.getTooltip().update(); }
    });
    if (containerLayer) { containerLayer.bringToFront(); }
  }

  function tooltipText(code) {
    var block = blocks[code];
    var forum = state.assignment[code];
    return block.name + " (" + code + "): " + (forum ? forumLabel(forum) + (isLocked(forum) ? " (locked)" : "") : "no forum");
  }

  // ---- the forum picker ----
  function renderForums(figuresOnly) {
    // the list is redrawn on every change: keep the keyboard focus on the same control
    var focused = document.activeElement && forumList.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-focus") : null;
    forumList.textContent = "";
    var figures = {};
    ((lastReport && lastReport.forums) || []).forEach(function (f) { figures[f.code] = f; });
    var grouped = state.order.some(function (code) { return (state.forums[code] || {}).container; });
    var shownGroup = null;
    state.order.slice().sort(function (a, b) {
      if (!grouped) { return 0; }
      var x = containers[(state.forums[a] || {}).container] || "\uffff", y = containers[(state.forums[b] || {}).container] || "\uffff";
      return x.localeCompare(y) || state.order.indexOf(a) - state.order.indexOf(b);
    }).forEach(function (code) {
      var container = (state.forums[code] || {}).container;
      if (grouped && container !== shownGroup) {
        shownGroup = container;
        forumList.appendChild(el("p", container ? (containers[container] || container) : "Not placed in any " +
          (config.container_unit || "area"), "forum-group"));
      }
      var locked = isLocked(code);
      var row = el("div", null, "forum-row" + (locked ? " is-locked" : ""));
      var label = el("label", null, "forum-choice");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "current-forum";
      radio.value = code;
      radio.checked = code === current;
      radio.setAttribute("data-focus", "choose:" + code);
      radio.addEventListener("change", function () { if (radio.checked) { choose(code); } });
      var swatch = el("span", null, "swatch");
      swatch.style.backgroundColor = state.forums[code].colour || "#ccc";
      var n = Object.keys(state.assignment).filter(function (b) { return state.assignment[b] === code; }).length;
      label.appendChild(radio);
      label.appendChild(swatch);
      label.appendChild(el("span", forumLabel(code), "forum-name"));
      label.appendChild(el("span", count(n), "forum-count"));
      label.appendChild(forumFigures(figures[code], n));
      row.appendChild(label);
      if (editable) {
        var lock = el("button", null, "forum-lock");
        lock.type = "button";
        lock.appendChild(el("span", null, "lock-icon")).setAttribute("aria-hidden", "true");
        lock.appendChild(document.createTextNode("Lock"));
        lock.setAttribute("aria-pressed", locked ? "true" : "false");
        lock.setAttribute("aria-label", "Lock " + forumLabel(code));
        lock.setAttribute("data-focus", "lock:" + code);
        lock.setAttribute("data-forum", code);
        lock.title = locked ? "Locked: its " + UNITS + " cannot be changed. Press to unlock."
          : "Lock this forum when it is finished, so that its " + UNITS + " cannot be changed by mistake.";
        lock.addEventListener("click", function () { toggleLock(code); });
        row.appendChild(lock);
      } else if (locked) {
        row.appendChild(el("span", "Locked", "forum-locked"));
      }
      forumList.appendChild(row);
    });
    if (focused) {
      var again = forumList.querySelector('[data-focus="' + CSS.escape(focused) + '"]');
      if (again) { again.focus(); }
    }
    if (editable) {
      var name = document.getElementById("forum-name");
      var colour = document.getElementById("forum-colour");
      var forum = state.forums[current] || {};
      if (document.activeElement !== name) { name.value = forum.name || ""; }  // not under someone typing
      if (document.activeElement !== colour) { colour.value = forum.colour || "#cccccc"; }
      name.disabled = colour.disabled = !current;
    }
    if (!figuresOnly) { renderWardOptions(); }  // new figures alone leave the list of wards (and any open choice) be
  }

  // one line of live figures under a forum's name: blocks, people, and how far from the ideal
  function forumFigures(figure, n) {
    var line = el("span", null, "forum-figures");
    if (figure && n) {
      if (figure.population !== null && figure.population !== undefined) {
        line.appendChild(el("span", number(figure.population) + " people", "forum-population"));
      }
      if (figure.deviation !== null && figure.deviation !== undefined) {
        var outside = figure.within_tolerance === false;
        var dev = el("span", (figure.deviation > 0 ? "+" : "") + number(figure.deviation * 100, 1) + "%" +
          (outside ? " (outside ±" + number(tolerance() * 100, 1) + "%)" : ""), "forum-deviation" + (outside ? " out-of-tolerance" : ""));
        dev.setAttribute("data-deviation", String(figure.deviation));
        line.appendChild(dev);
      }
    }
    return line;
  }

  function tolerance() { return typeof config.tolerance === "number" ? config.tolerance : 0.05; }

  function choose(code) {
    current = code;
    renderForums();
  }

  function toggleLock(code) {
    var locking = !isLocked(code);
    change(function () {
      if (locking) { state.forums[code].locked = true; } else { delete state.forums[code].locked; }
    });
    say(locking ? forumLabel(code) + " is locked: its " + UNITS + " cannot be changed until you unlock it."
      : forumLabel(code) + " is unlocked: its " + UNITS + " can be changed again.");
  }

  // ---- the count of blocks in no forum ----
  var unassignedLine = document.getElementById("unassigned-count");

  function updateUnassigned() {
    if (!unassignedLine || !loaded) { return; }
    var n = Object.keys(blocks).filter(function (code) { return !state.assignment[code]; }).length;
    unassignedLine.textContent = n ? count(n) + " in no forum (hatched grey)" : "Every " + UNIT + " is in a forum";
    unassignedLine.setAttribute("data-count", String(n));
  }

  // ---- the list of wards (the keyboard alternative to the map) ----
  function renderWardOptions() {
    Object.keys(blocks).forEach(function (code) {
      var select = blocks[code].select;
      if (!select) { return; }
      select.textContent = "";
      var own = state.assignment[code] || "";
      var none = el("option", "No forum");
      none.value = "";
      select.appendChild(none);
      state.order.forEach(function (forum) {
        var locked = isLocked(forum);
        var option = el("option", forumLabel(forum) + (locked ? " (locked)" : ""));
        option.value = forum;
        option.disabled = locked && forum !== own;
        select.appendChild(option);
      });
      select.value = own;
      var held = isLocked(own);
      select.disabled = !editable || held;
      if (blocks[code].lockNote) { blocks[code].lockNote.hidden = !(editable && held); }
    });
  }

  function renderWardList() {
    wardBody.textContent = "";
    var codes = Object.keys(blocks).sort(function (a, b) {
      var x = blocks[a], y = blocks[b];
      return (x.containerName || "").localeCompare(y.containerName || "") || x.name.localeCompare(y.name);
    });
    codes.forEach(function (code) {
      var block = blocks[code];
      var row = el("tr");
      row.appendChild(el("th", block.name)).setAttribute("scope", "row");
      row.appendChild(el("td", code));
      row.appendChild(el("td", block.containerName || ""));
      var cell = el("td");
      var select = el("select");
      select.setAttribute("aria-label", "Forum for " + block.name);
      select.disabled = !editable;
      select.addEventListener("change", function () { assign(code, select.value || null); });
      cell.appendChild(select);
      block.lockNote = el("span", " Its forum is locked", "lock-note");
      block.lockNote.hidden = true;
      cell.appendChild(block.lockNote);
      row.appendChild(cell);
      block.select = select;
      wardBody.appendChild(row);
    });
    renderWardOptions();
  }

  // ---- changes, undo and redo ----
  function change(apply) {
    undoStack.push(snapshot());
    redoStack = [];
    apply();
    changed();
  }

  function changed() {
    changes += 1;
    root.setAttribute("data-changes", String(changes));
    updateButtons();
    renderForums();
    restyle();
    updateUnassigned();
    scheduleDraft();
    check();
  }

  function assign(code, forum) {
    if ((state.assignment[code] || null) === (forum || null)) { return; }
    var reason = lockReason(code, forum);
    if (reason) {
      say(reason);
      if (blocks[code].select) { blocks[code].select.value = state.assignment[code] || ""; }
      return;
    }
    change(function () {
      if (forum) { state.assignment[code] = forum; } else { delete state.assignment[code]; }
    });
    var block = blocks[code];
    say(block.name + (forum ? " is now in " + forumLabel(forum) + "." : " is now in no forum.") + elsewhere(code, forum));
  }

  // a word when a block goes to a forum placed in another container than the block's own
  function elsewhere(code, forum) {
    var home = forum && state.forums[forum] ? state.forums[forum].container : null;
    var block = blocks[code];
    if (!home || !block || !block.container || block.container === home) { return ""; }
    return " Note: " + block.name + " is in " + (block.containerName || block.container) + ", but " + forumLabel(forum) +
      " is a forum of " + (containers[home] || home) + ".";
  }

  function clicked(code) {
    if (!editable || tool !== "click") { return; }
    if (!current) { say("Choose a forum first."); return; }
    assign(code, state.assignment[code] === current ? null : current);
  }

  function restore(saved) {
    state = saved;
    if (state.order.indexOf(current) < 0) { current = state.order[0] || null; }
  }

  function undo() {
    if (drag) { cancelDrag(); }
    if (!undoStack.length) { return; }
    redoStack.push(snapshot());
    restore(undoStack.pop());
    say("Undone.");
    changed();
  }

  function redo() {
    if (drag) { cancelDrag(); }
    if (!redoStack.length) { return; }
    undoStack.push(snapshot());
    restore(redoStack.pop());
    say("Redone.");
    changed();
  }

  function updateButtons() {
    if (!editable) { return; }
    document.getElementById("undo").disabled = !undoStack.length;
    document.getElementById("redo").disabled = !redoStack.length;
  }

  // ---- checking: statistics and rules ----
  function number(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return Number(value).toLocaleString("en-GB", { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
  }

  function check() {
    var asked = changes;
    root.setAttribute("data-checking", "true");
    return post(config.urls.check, { assignment: state.assignment, forums: state.forums }).then(function (answer) {
      if (asked !== changes) { return; }  // a newer change is being checked
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

  var FIXED_COLUMNS = 8;         // forum, APB, wards, councillors, population, deviation, area, Polsby-Popper

  function indicatorText(value, unit) {
    if (value === null || value === undefined) { return "–"; }
    return unit === "share" ? number(value * 100, 1) + "%" : number(value, 1);
  }

  function showIndicatorHeads(indicators) {
    var head = document.getElementById("statistics-head");
    while (head.children.length > FIXED_COLUMNS) { head.removeChild(head.lastChild); }
    indicators.forEach(function (m) {
      var cell = el("th", m.label, "num");
      cell.setAttribute("scope", "col");
      head.appendChild(cell);
    });
  }

  function showCheck(report) {
    lastReport = report;
    renderForums(true);
    var indicators = report.indicators || [];
    showIndicatorHeads(indicators);
    statsBody.textContent = "";
    (report.forums || []).forEach(function (forum) {
      var row = el("tr");
      var head = el("th");
      head.setAttribute("scope", "row");
      var swatch = el("span", null, "swatch");
      swatch.style.backgroundColor = (state.forums[forum.code] || {}).colour || "#ccc";
      head.appendChild(swatch);
      head.appendChild(el("span", forumLabel(forum.code)));
      row.appendChild(head);
      row.appendChild(el("td", forum.container_name || forum.container || "–"));
      row.appendChild(el("td", number(forum.block_count), "num"));
      row.appendChild(el("td", forum.councillors === null ? "not known" : number(forum.councillors), "num"));
      row.appendChild(el("td", number(forum.population), "num"));
      var deviation = forum.deviation === null || forum.deviation === undefined ? "–"
        : (forum.deviation > 0 ? "+" : "") + number(forum.deviation * 100, 1) + "%";
      row.appendChild(el("td", deviation, "num" + (forum.within_tolerance === false ? " out-of-tolerance" : "")));
      row.appendChild(el("td", number(forum.area_km2, 1), "num"));
      row.appendChild(el("td", number(forum.polsby_popper, 2), "num"));
      indicators.forEach(function (m) {
        row.appendChild(el("td", indicatorText((forum.indicators || {})[m.id], m.unit), "num"));
      });
      statsBody.appendChild(row);
    });
    if (!(report.forums || []).length) {
      var empty = el("tr");
      var cell = el("td", "No " + (config.block_unit || "ward") + " is in a forum yet.");
      cell.colSpan = FIXED_COLUMNS + indicators.length;
      empty.appendChild(cell);
      statsBody.appendChild(empty);
    }
    rulesList.textContent = "";
    flagged = {};
    (report.rules || []).forEach(function (rule) {
      var item = el("li", null, rule.passed ? "rule-pass" : "rule-fail");
      item.setAttribute("data-rule", rule.rule);
      item.appendChild(el("strong", (rule.passed ? "Pass: " : "Fail: ") + rule.title));
      item.appendChild(el("span", rule.message, "rule-message"));
      rulesList.appendChild(item);
      // wards in no forum are already hatched: outline the wards the other failing rules name
      if (!rule.passed && rule.rule !== "complete") {
        (rule.blocks || []).forEach(function (code) { flagged[code] = true; });
      }
    });
    (report.notes || []).forEach(function (note) { rulesList.appendChild(el("li", note, "rule-note")); });
    restyle();
  }

  // ---- saving ----
  function showVersion(text) { versionLine.textContent = text; }

  function save(event) {
    event.preventDefault();
    var note = document.getElementById("save-note");
    var conflict = document.getElementById("save-conflict");
    conflict.hidden = true;
    say("Saving…");
    var sent = { assignment: copy(state.assignment), forums: copy(state.forums) };
    post(config.urls.save, { assignment: sent.assignment, forums: sent.forums, note: note.value,
      expected_version: version, keep_draft: draftOffered }).then(function (answer) {
      if (answer.status === 201) {
        version = answer.data.number;
        root.setAttribute("data-version", String(version));
        savedKey = keyOf(sent.assignment, sent.forums);
        draftKept = draftOffered;  // the server dropped the draft with the save, unless one is on offer
        if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
        if (dirty()) { scheduleDraft(); }  // changed again while the save was on its way
        // the server-rendered restore forms must now start from the version just saved
        document.querySelectorAll('.restore-form input[name="expected_version"]').forEach(function (input) {
          input.value = String(version);
        });
        note.value = "";
        showVersion("Version " + version + ", saved by " + (answer.data.saved_by || "you") + ".");
        say("Saved as version " + version + ".");
        showDraftStatus();
        refreshPanels();
      } else if (answer.status === 409) {
        document.getElementById("conflict-message").textContent = answer.data.description || "Someone has saved since.";
        var details = document.getElementById("conflict-details");
        details.textContent = "";
        (answer.data.details || []).forEach(function (line) { details.appendChild(el("li", line)); });
        conflict.hidden = false;
        conflict.setAttribute("data-save-as-copy", answer.data.save_as_copy || config.urls.duplicate);
        say("Not saved: someone else has saved since.");
      } else {
        say("Not saved: " + (answer.data.description || ("the server answered " + answer.status)));
      }
    }).catch(function (error) { say("Not saved (" + error.message + ")."); });
  }

  function saveAsCopy() {
    var conflict = document.getElementById("save-conflict");
    var url = conflict.getAttribute("data-save-as-copy") || config.urls.duplicate;
    post(url, { assignment: state.assignment, forums: state.forums,
      note: document.getElementById("save-note").value }).then(function (answer) {
      if (answer.status === 201) {
        // the changes are saved in the copy: no draft of them stays on this proposal, and no warning on leaving
        leaving = true;
        if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
        var go = function () { window.location.assign(config.urls.index + answer.data.id); };
        post(config.urls.discard, {}).then(go, go);
      } else {
        say("The copy was not saved: " + (answer.data.description || answer.status));
      }
    });
  }

  // after a save: the versions, downloads and adoption panels as the server now renders them
  function refreshPanels() {
    root.setAttribute("data-refreshing", "true");
    return fetch(config.urls.editor, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("the page answered " + r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-refresh][id]").forEach(function (old) {
          var found = fresh.getElementById(old.id);
          if (found) { old.replaceWith(document.importNode(found, true)); }
        });
        wireLeaving();
        root.setAttribute("data-panels-version", String(version));
      }).catch(function (error) {
        say("Saved as version " + version + "; reload the page to see it in the list of versions (" + error.message + ").");
      }).then(function () { root.removeAttribute("data-refreshing"); });
  }

  // ---- drafts: unsaved changes kept on the server, offered back on return ----
  function timeText(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return iso; }
    var today = new Date();
    var clock = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    return when.toDateString() === today.toDateString() ? clock + " today"
      : clock + " on " + when.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  }

  var draftStatus = document.getElementById("draft-status");

  function showDraftStatus(text) {
    if (!draftStatus) { return; }
    if (text) { draftStatus.textContent = text; return; }
    draftStatus.textContent = !dirty() ? "No unsaved changes." : draftOffered
      ? "Unsaved changes. Restore or discard the earlier unsaved changes above before these are kept."
      : "Unsaved changes.";
    root.setAttribute("data-dirty", dirty() ? "true" : "false");
  }

  function scheduleDraft() {
    if (!editable || !loaded) { return; }
    root.setAttribute("data-dirty", dirty() ? "true" : "false");
    if (draftTimer) { clearTimeout(draftTimer); }
    draftTimer = setTimeout(function () { draftTimer = null; sendDraft(false); }, DRAFT_DELAY);
    showDraftStatus();
  }

  // keep the unsaved changes (or drop the draft when there are none); keepalive lets it outlive the page
  function sendDraft(keepalive) {
    if (!editable || !loaded || draftOffered) { return Promise.resolve(); }
    var unsaved = dirty();
    if (!unsaved && !draftKept) { showDraftStatus(); return Promise.resolve(); }
    var url = unsaved ? config.urls.draft : config.urls.discard;
    var body = unsaved ? { assignment: state.assignment, forums: state.forums, base_version: version } : {};
    root.setAttribute("data-draft-saving", "true");
    return fetch(url, { method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body) }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.description || "the server answered " + response.status); }
        draftKept = unsaved;
        if (unsaved) {
          showDraftStatus("Unsaved changes, kept as a draft at " + timeText(data.saved_at) + ": they are offered back if you leave and return.");
          root.setAttribute("data-draft-saved", data.saved_at || "");
        } else {
          showDraftStatus();
        }
      });
    }).catch(function (error) {
      showDraftStatus("Unsaved changes. They could not be kept as a draft (" + error.message + "): save a version soon.");
    }).then(function () { root.removeAttribute("data-draft-saving"); });
  }

  function flushDraft(keepalive) {
    if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
    return sendDraft(keepalive);
  }

  // a draft from an earlier visit: offer it back, unless it holds nothing new
  function offerDraft(draft) {
    var offer = document.getElementById("draft-offer");
    if (!draft || !offer) { return; }
    if (keyOf(draft.assignment, draft.forums) === savedKey) {  // nothing in it beyond the saved version
      draftOffered = false;
      flushDraft(false);
      return;
    }
    var resume = false;
    try { resume = sessionStorage.getItem(RESUME) === "1"; sessionStorage.removeItem(RESUME); } catch (e) { resume = false; }
    if (resume && draft.base_version === version) {  // this page's own form reloaded it: carry on drawing
      applyDraft(draft, "Your unsaved changes are still here: they were kept while the page reloaded.");
      return;
    }
    draftOffered = true;
    var text = "You have unsaved changes from " + timeText(draft.saved_at) + ": " + count(draft.blocks || 0) + " in forums";
    text += draft.base_version === version ? "." : ", made to version " + draft.base_version + ". Version " + version +
      " has been saved since: if you restore them, saving will ask whether to overwrite it or save a copy.";
    document.getElementById("draft-offer-text").textContent = text;
    offer.hidden = false;
    root.setAttribute("data-draft-offered", "true");
    showDraftStatus();
  }

  function applyDraft(draft, message) {
    undoStack.push(snapshot());
    redoStack = [];
    state.assignment = copy(draft.assignment || {});
    state.forums = copy(draft.forums || {});
    state.order = [];
    Object.keys(state.forums).sort(function (a, b) { return a.localeCompare(b, "en", { numeric: true }); })
      .forEach(function (code) { state.order.push(code); });
    Object.keys(state.assignment).forEach(function (code) { addForum(state.assignment[code]); });
    if (state.order.indexOf(current) < 0) { current = state.order[0] || null; }
    if (draft.base_version !== version) { version = draft.base_version; root.setAttribute("data-version", String(version)); }
    say(message);
    changed();
  }

  function answerDraft(restoring) {
    var offer = document.getElementById("draft-offer");
    var draft = config.draft;
    draftOffered = false;
    offer.hidden = true;
    root.removeAttribute("data-draft-offered");
    if (restoring) {
      applyDraft(draft, "Your unsaved changes from " + timeText(draft.saved_at) + " are restored.");
    } else {
      draftKept = true;  // drop it on the server now (or keep the changes made meanwhile instead)
      flushDraft(false);
      say("The unsaved changes from " + timeText(draft.saved_at) + " are discarded.");
    }
    showDraftStatus();
    var focusTo = document.getElementById("proposal-status");
    if (focusTo) { focusTo.setAttribute("tabindex", "-1"); focusTo.focus({ preventScroll: true }); }
  }

  // ---- leaving the page ----
  window.addEventListener("beforeunload", function (event) {
    if (!editable || leaving || !dirty()) { return undefined; }
    flushDraft(true);
    event.preventDefault();
    event.returnValue = "";  // the browser asks whether to leave: the changes are not saved as a version
    return "";
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && draftTimer) { flushDraft(true); }
  });
  window.addEventListener("pagehide", function () { if (draftTimer) { flushDraft(true); } });

  // the page's other forms (publish, share, rename) reload it: keep the drawing and pick it up again
  function wireLeaving() {
    document.querySelectorAll("form[data-keeps-drawing]").forEach(function (form) {
      if (form.getAttribute("data-wired")) { return; }
      form.setAttribute("data-wired", "true");
      form.addEventListener("submit", function (event) {
        if (!dirty() || draftOffered) { leaving = true; return; }
        event.preventDefault();
        flushDraft(false).then(function () {
          try { sessionStorage.setItem(RESUME, "1"); } catch (e) { /* the draft is offered instead */ }
          leaving = true;
          form.submit();
        });
      });
    });
  }

  // ---- settings, saved without leaving the page ----
  function wireSettings() {
    var form = document.getElementById("settings-form");
    if (!form) { return; }
    var line = document.getElementById("settings-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var wanted = form.elements.forums_per_container.value.trim();
      var tol = form.elements.tolerance.value.trim();
      var settings = { indicators: Array.prototype.map.call(form.querySelectorAll('input[name="indicators"]:checked'),
        function (box) { return box.value; }) };
      if (wanted && !/^[0-9]+$/.test(wanted)) {
        line.textContent = "The number of forums must be a whole number, or blank for no fixed number.";
        line.className = "settings-status settings-error";
        return;
      }
      settings.forums_per_container = wanted ? parseInt(wanted, 10) : null;
      if (tol) {
        if (isNaN(Number(tol))) {
          line.textContent = "The population tolerance must be a number of per cent, such as 5.";
          line.className = "settings-status settings-error";
          return;
        }
        settings.tolerance = Number(tol) / 100;
      }
      line.className = "settings-status";
      line.textContent = "Saving the settings…";
      root.setAttribute("data-settings-saving", "true");
      post(config.urls.update, { settings: settings }).then(function (answer) {
        root.removeAttribute("data-settings-saving");
        if (answer.status !== 200) {
          line.className = "settings-status settings-error";
          line.textContent = "The settings were not saved: " + (answer.data.description || "the server answered " + answer.status) +
            " Your drawing is unchanged.";
          return;
        }
        var saved = answer.data.settings || {};
        config.forums_per_container = saved.forums_per_container;
        config.tolerance = saved.tolerance;
        line.textContent = "Settings saved. Your drawing is unchanged" + (dirty() ? " (and still not saved as a version)." : ".");
        changes += 1;  // the rules depend on the settings: check again
        root.setAttribute("data-changes", String(changes));
        check();
        loadBalance();
      }).catch(function (error) {
        root.removeAttribute("data-settings-saving");
        line.className = "settings-status settings-error";
        line.textContent = "The settings were not saved (" + error.message + "). Your drawing is unchanged.";
      });
    });
  }

  // ---- can each APB's forum count be met within the tolerance with whole blocks? ----
  var balanceBox = document.getElementById("balance");
  var balance = null;

  function percent(value) { return number(value * 100, 1) + "%"; }

  function loadBalance() {
    if (!balanceBox || !config.urls.balance) { return Promise.resolve(); }
    root.setAttribute("data-balance", "loading");
    return getJSON(config.urls.balance).then(function (found) {
      balance = found;
      showBalance();
      root.setAttribute("data-balance", "ready");
    }).catch(function (error) {
      balanceBox.textContent = "";
      balanceBox.appendChild(el("p", "Whether the forum count can be met was not worked out (" + error.message + ").", "rule-note"));
      root.setAttribute("data-balance", "failed");
    });
  }

  function showBalance() {
    balanceBox.textContent = "";
    var rows = (balance && balance.containers) || [];
    if (!rows.length) { return; }
    var tol = "±" + number(balance.tolerance * 100, 1) + "%";
    var unit = balance.block_unit || UNIT;
    var units = plural(unit);
    var cannot = rows.filter(function (c) { return !c.within; });
    balanceBox.appendChild(el("h3", "Can the forum count be met?"));
    var list = el("ul", null, "rules balance-list");
    if (!cannot.length) {
      var ok = el("li", null, "rule-pass");
      ok.appendChild(el("strong", "Yes: "));
      ok.appendChild(document.createTextNode("every " + (balance.container_unit || "area") + " can be split into its forums within " + tol +
        " of the ideal population using whole " + units + "."));
      list.appendChild(ok);
    }
    cannot.forEach(function (c) {
      var item = el("li", null, "rule-fail balance-fail");
      item.setAttribute("data-container", c.code);
      var how = c.exact ? "every split of its " + count(c.blocks, unit, units) + " into " + c.forums + " forums in one piece was tried"
        : "found by a heuristic search, not every split was tried: a closer one may exist";
      item.appendChild(el("strong", c.name + ": " + c.forums + (c.forums === 1 ? " forum" : " forums") + " within " + tol + " cannot be made from whole " + units + "."));
      item.appendChild(el("span", c.possible
        ? "The closest possible is " + percent(c.best_deviation) + " from the ideal (" + how + ")."
        : "Its " + units + " cannot make " + c.forums + " forums in one piece each.", "rule-message"));
      if (c.possible) { item.setAttribute("data-best", String(c.best_deviation)); }
      if (editable && c.possible && c.split && c.split.length) {
        var use = el("button", "Use this closest split", "button secondary balance-use");
        use.type = "button";
        use.appendChild(el("span", " for " + c.name, "visually-hidden"));
        use.addEventListener("click", function () { useSplit(c); });
        item.appendChild(use);
      }
      list.appendChild(item);
    });
    balanceBox.appendChild(list);
    if (cannot.length) {
      balanceBox.appendChild(el("p", "Widen the tolerance or change the number of forums in Settings, or accept the closest split.", "rule-note"));
    }
  }

  // put the blocks of a container into its forums as the closest split has them (one step to undo)
  function useSplit(c) {
    var held = c.split.some(function (part) { return part.some(function (code) { return isLocked(state.assignment[code]); }); });
    var mine = state.order.filter(function (f) { return (state.forums[f] || {}).container === c.code; });
    if (held || mine.some(isLocked)) {
      say("A forum of " + c.name + " is locked: unlock it to use the closest split.");
      return;
    }
    change(function () {
      // the forums the APB's blocks are in now (or those placed in it), then new ones as needed
      var used = [];
      c.split.forEach(function (part) {
        part.forEach(function (code) {
          var f = state.assignment[code];
          if (f && used.indexOf(f) < 0 && mine.indexOf(f) < 0) { used.push(f); }
        });
      });
      var targets = mine.concat(used);
      c.split.forEach(function (part, i) {
        var forum = targets[i] || addForum(null, c.code);
        part.forEach(function (code) { state.assignment[code] = forum; });
      });
    });
    say(c.name + " is split as closely as whole " + UNITS + " allow (" + percent(c.best_deviation) + "): one step to undo.");
  }

  // ---- a panel beside the map that can be opened on a tablet ----
  function wireSidePanel() {
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
      if (event.key === "Escape" && root.classList.contains("side-open") && !drag) { open(false); }
    });
  }

  // ---- drawing tools: paint, erase, box and shape ----
  var mapElement = document.getElementById("proposal-map");
  var toolHelp = document.getElementById("tool-help");
  var shapeResult = document.getElementById("shape-result");
  var shapeAvailable = !!(editable && config.urls.fit && L.PM && map.pm && document.getElementById("tool-shape"));

  // a point inside the block (the label point when the GeoJSON gives one): its "centre" for the Box tool
  function ringArea(ring) {
    var sum = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      sum += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    }
    return sum / 2;
  }

  function ringCentroid(ring) {
    var area = ringArea(ring), x = 0, y = 0;
    if (!area) { return ring[0]; }
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      x += (ring[j][0] + ring[i][0]) * f;
      y += (ring[j][1] + ring[i][1]) * f;
    }
    return [x / (6 * area), y / (6 * area)];
  }

  function insidePolygon(point, rings) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
        if ((ring[i][1] > point[1]) !== (ring[j][1] > point[1]) &&
            point[0] < (ring[j][0] - ring[i][0]) * (point[1] - ring[i][1]) / (ring[j][1] - ring[i][1]) + ring[i][0]) {
          inside = !inside;
        }
      }
    });
    return inside;
  }

  function insidePoint(feature) {
    var label = feature.properties.label;
    if (label) { return L.latLng(label[1], label[0]); }
    var geometry = feature.geometry || {};
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    if (!polygons.length) { return null; }
    var rings = polygons.slice().sort(function (a, b) { return Math.abs(ringArea(b[0])) - Math.abs(ringArea(a[0])); })[0];
    var centre = ringCentroid(rings[0]);
    if (!insidePolygon(centre, rings)) {
      // the middle of the widest stretch of the polygon along the centre's latitude
      var xs = [];
      rings.forEach(function (ring) {
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
          var a = ring[j], b = ring[i];
          if ((a[1] > centre[1]) !== (b[1] > centre[1])) { xs.push(a[0] + (centre[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])); }
        }
      });
      xs.sort(function (a, b) { return a - b; });
      var widest = -1;
      for (var k = 0; k + 1 < xs.length; k += 2) {
        if (xs[k + 1] - xs[k] > widest) { widest = xs[k + 1] - xs[k]; centre = [(xs[k] + xs[k + 1]) / 2, centre[1]]; }
      }
    }
    return L.latLng(centre[1], centre[0]);
  }

  function setTool(name) {
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
    var from = state.assignment[code] || null;
    var to = drag.kind === "erase" ? null : drag.forum;
    if (from === to) { drag.already += 1; return; }
    if (isLocked(from)) { drag.locked += 1; return; }
    if (to) { state.assignment[code] = to; } else { delete state.assignment[code]; }
    drag.changed += 1;
    blocks[code].layer.setStyle(styleFor(code));
    if (blocks[code].layer.isTooltipOpen()) { blocks[code].layer.getTooltip().update(); }
    var path = blocks[code].layer.getElement();
    if (path) { path.setAttribute("data-forum", to || ""); }
    updateUnassigned();
  }

  function pointOf(event) { return { x: event.clientX, y: event.clientY }; }

  function startDrag(event) {
    if (!editable || !loaded || drag || DRAG_TOOLS.indexOf(tool) < 0 || event.button !== 0) { return; }
    if (event.target.closest && event.target.closest(".leaflet-control")) { return; }
    event.preventDefault();
    if (tool !== "erase") {
      if (!current) { say("Choose a forum first."); return; }
      if (isLocked(current)) { say(lockedForumReason(current)); return; }
    }
    drag = { kind: tool, forum: tool === "erase" ? null : current, before: snapshot(), seen: {}, changed: 0,
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
      undoStack.push(done.before);
      redoStack = [];
      changed();
    }
    say((text + lockedNote(done.locked)).trim());
  }

  function cancelDrag() {
    if (!drag) { return; }
    var done = drag;
    drag = null;
    stopListening();
    if (done.box) { map.removeLayer(done.box); }
    if (done.changed) {
      state = done.before;
      restyle();
      updateUnassigned();
    }
    say("Stopped: nothing changed.");
  }

  // ---- the Shape tool: a polygon drawn with Leaflet-Geoman, fitted to blocks by the server ----
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
    var forum = current;
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
    if (!state.forums[forum]) { say("The forum was removed while the shape was being matched."); return; }
    if (isLocked(forum)) { say(lockedForumReason(forum)); return; }
    var before = snapshot();
    var moved = 0, already = 0, locked = 0;
    (data.blocks || []).filter(function (code) { return blocks[code]; }).forEach(function (code) {
      var from = state.assignment[code] || null;
      if (from === forum) { already += 1; } else if (isLocked(from)) { locked += 1; } else { state.assignment[code] = forum; moved += 1; }
    });
    if (moved) {
      undoStack.push(before);
      redoStack = [];
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

  // ---- wiring ----
  if (editable) {
    document.getElementById("forum-add").addEventListener("click", function () {
      var code = null;
      var container = current && state.forums[current] ? state.forums[current].container : null;
      change(function () { code = addForum(null, container); });
      choose(code);
      say("Added forum " + forumLabel(code) + (container ? " in " + (containers[container] || container) : "") +
        "; clicks now put " + UNITS + " in it.");
    });
    var nameInput = document.getElementById("forum-name");
    nameInput.addEventListener("change", function () {
      if (!current || !nameInput.value.trim()) { return; }
      var code = current;
      change(function () { state.forums[code].name = nameInput.value.trim(); });
    });
    var colourInput = document.getElementById("forum-colour");
    colourInput.addEventListener("change", function () {
      if (!current) { return; }
      var code = current;
      change(function () { state.forums[code].colour = colourInput.value; });
    });
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
    document.getElementById("undo").addEventListener("click", undo);
    document.getElementById("redo").addEventListener("click", redo);
    document.getElementById("save-form").addEventListener("submit", save);
    document.getElementById("conflict-reload").addEventListener("click", function () { leaving = true; window.location.reload(); });
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
      if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
      else if (key === "y" || (key === "z" && event.shiftKey)) { event.preventDefault(); redo(); }
    });
  }

  wireSidePanel();

  function containerOf(feature) {
    var found = (feature.properties.containers || []).filter(function (c) { return c.set === config.container_set; })
      .sort(function (a, b) { return (b.share || 0) - (a.share || 0); })[0];
    return found || {};
  }

  Promise.all([getJSON(config.urls.show), getJSON(config.urls.blocks), getJSON(config.urls.containers)])
    .then(function (found) {
      var shown = found[0], blockData = found[1], containerData = found[2];
      config.container_set = shown.proposal.container_set;
      version = shown.proposal.version || 0;
      root.setAttribute("data-version", String(version));
      showVersion(shown.version ? "Version " + shown.version.number + ", saved by " + (shown.version.saved_by || "someone") +
        (shown.version.note ? ": " + shown.version.note : ".") : "Not saved yet.");
      (containerData.features || []).forEach(function (feature) {
        containers[feature.properties.code] = feature.properties.name || feature.properties.code;
      });
      state.assignment = shown.assignment || {};
      state.forums = shown.forums || {};
      Object.keys(state.forums).sort(function (a, b) { return a.localeCompare(b, "en", { numeric: true }); })
        .forEach(function (code) { state.order.push(code); });
      Object.keys(state.forums).forEach(function (code) { addForum(code); });  // every forum in colour
      Object.keys(state.assignment).forEach(function (code) { addForum(state.assignment[code]); });
      if (!state.order.length && editable) { seedForums(); }
      current = state.order[0] || null;
      savedKey = keyOf(state.assignment, state.forums);

      blockLayer = L.geoJSON(blockData, { pmIgnore: true,
        style: function (feature) { return styleFor(feature.properties.code); },
        onEachFeature: function (feature, layer) {
          var code = feature.properties.code;
          var container = containerOf(feature);
          blocks[code] = { name: feature.properties.name || code, container: container.code,
            containerName: container.name, layer: layer, point: insidePoint(feature) };
          layer.bindTooltip(function () { return el("span", tooltipText(code)); }, { sticky: true });
          layer.on("click", function () { clicked(code); });
        }
      }).addTo(map);
      containerLayer = L.geoJSON(containerData, { interactive: false, pmIgnore: true,
        style: { color: "#0b0c0c", weight: 3, fill: false } }).addTo(map);
      map.fitBounds(blockLayer.getBounds());
      addHatch();
      loaded = true;
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

  window.AtlasProposal = {
    map: map,
    state: function () { return snapshot(); },
    tool: function () { return tool; },
    undoDepth: function () { return undoStack.length; },
    dirty: function () { return dirty(); },
    flushDraft: function () { return flushDraft(false); },
    blocks: blocks
  };
}());
