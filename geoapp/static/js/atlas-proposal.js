/* Partnership Atlas: draw a forum proposal by grouping wards (blocks) into forums on a Leaflet map.
 *
 * The [data-atlas-proposal] element holds the proposal's id, whether the user may edit, and the URLs of
 * its JSON API and of the block and container GeoJSON. Every change (a click on a ward, a choice in the
 * list of wards, a forum renamed) is checked by the server (check.json) and the statistics and rules
 * redrawn. Undo and redo keep every step in memory. Text from data is set with textContent only.
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

  var state = { assignment: {}, forums: {}, order: [] };  // order: forum codes in the picker
  var current = null;            // the forum clicks assign to
  var version = 0;               // the version the edit started from
  var undoStack = [];
  var redoStack = [];
  var changes = 0;               // bumped on every change; the check shown answers changes === checked
  var blocks = {};               // code -> {name, container, containerName, layer, select}
  var flagged = {};              // codes named by failing rules

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

  function forumLabel(code) {
    var forum = state.forums[code] || {};
    return forum.name && forum.name !== code ? forum.name + " (" + code + ")" : code;
  }

  function nextForumCode() {
    var n = state.order.length + 1;
    while (state.forums["F" + n]) { n += 1; }
    return "F" + n;
  }

  function addForum(code) {
    code = code || nextForumCode();
    if (!state.forums[code]) {
      state.forums[code] = { name: code, colour: PALETTE[state.order.length % PALETTE.length] };
    }
    if (state.order.indexOf(code) < 0) { state.order.push(code); }
    return code;
  }

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
    });
    if (containerLayer) { containerLayer.bringToFront(); }
  }

  function tooltipText(code) {
    var block = blocks[code];
    var forum = state.assignment[code];
    return block.name + " (" + code + "): " + (forum ? forumLabel(forum) : "no forum");
  }

  // ---- the forum picker ----
  function renderForums() {
    forumList.textContent = "";
    state.order.forEach(function (code) {
      var label = el("label", null, "forum-choice");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "current-forum";
      radio.value = code;
      radio.checked = code === current;
      radio.addEventListener("change", function () { if (radio.checked) { choose(code); } });
      var swatch = el("span", null, "swatch");
      swatch.style.backgroundColor = state.forums[code].colour || "#ccc";
      var count = Object.keys(state.assignment).filter(function (b) { return state.assignment[b] === code; }).length;
      label.appendChild(radio);
      label.appendChild(swatch);
      label.appendChild(el("span", forumLabel(code), "forum-name"));
      label.appendChild(el("span", count + (count === 1 ? " ward" : " wards"), "forum-count"));
      forumList.appendChild(label);
    });
    if (editable) {
      var name = document.getElementById("forum-name");
      var colour = document.getElementById("forum-colour");
      var forum = state.forums[current] || {};
      name.value = forum.name || "";
      colour.value = forum.colour || "#cccccc";
      name.disabled = colour.disabled = !current;
    }
    renderWardOptions();
  }

  function choose(code) {
    current = code;
    renderForums();
  }

  // ---- the list of wards (the keyboard alternative to the map) ----
  function renderWardOptions() {
    Object.keys(blocks).forEach(function (code) {
      var select = blocks[code].select;
      if (!select) { return; }
      select.textContent = "";
      var none = el("option", "No forum");
      none.value = "";
      select.appendChild(none);
      state.order.forEach(function (forum) {
        var option = el("option", forumLabel(forum));
        option.value = forum;
        select.appendChild(option);
      });
      select.value = state.assignment[code] || "";
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
    check();
  }

  function assign(code, forum) {
    if ((state.assignment[code] || null) === (forum || null)) { return; }
    change(function () {
      if (forum) { state.assignment[code] = forum; } else { delete state.assignment[code]; }
    });
    var block = blocks[code];
    say(block.name + (forum ? " is now in " + forumLabel(forum) + "." : " is now in no forum."));
  }

  function clicked(code) {
    if (!editable) { return; }
    if (!current) { say("Choose a forum first."); return; }
    assign(code, state.assignment[code] === current ? null : current);
  }

  function restore(saved) {
    state = saved;
    if (state.order.indexOf(current) < 0) { current = state.order[0] || null; }
  }

  function undo() {
    if (!undoStack.length) { return; }
    redoStack.push(snapshot());
    restore(undoStack.pop());
    say("Undone.");
    changed();
  }

  function redo() {
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

  function showCheck(report) {
    var score = (report.indicators || []).filter(function (m) { return /_average_score$/.test(m.id); })[0];
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
      row.appendChild(el("td", number(forum.population), "num"));
      var deviation = forum.deviation === null || forum.deviation === undefined ? "–"
        : (forum.deviation > 0 ? "+" : "") + number(forum.deviation * 100, 1) + "%";
      row.appendChild(el("td", deviation, "num" + (forum.within_tolerance === false ? " out-of-tolerance" : "")));
      row.appendChild(el("td", number(forum.polsby_popper, 2), "num"));
      row.appendChild(el("td", score ? number((forum.indicators || {})[score.id], 1) : "–", "num"));
      statsBody.appendChild(row);
    });
    if (!(report.forums || []).length) {
      var empty = el("tr");
      var cell = el("td", "No ward is in a forum yet.");
      cell.colSpan = 7;
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
    post(config.urls.save, { assignment: state.assignment, forums: state.forums, note: note.value,
      expected_version: version }).then(function (answer) {
      if (answer.status === 201) {
        version = answer.data.number;
        root.setAttribute("data-version", String(version));
        // the server-rendered restore forms must now start from the version just saved
        document.querySelectorAll('.restore-form input[name="expected_version"]').forEach(function (input) {
          input.value = String(version);
        });
        note.value = "";
        showVersion("Version " + version + ", saved by " + (answer.data.saved_by || "you") + ".");
        say("Saved as version " + version + ".");
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
        window.location.assign(config.urls.index + answer.data.id);
      } else {
        say("The copy was not saved: " + (answer.data.description || answer.status));
      }
    });
  }

  // ---- wiring ----
  if (editable) {
    document.getElementById("forum-add").addEventListener("click", function () {
      var code = null;
      change(function () { code = addForum(); });
      choose(code);
      say("Added forum " + code + "; clicks now put wards in it.");
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
    document.getElementById("undo").addEventListener("click", undo);
    document.getElementById("redo").addEventListener("click", redo);
    document.getElementById("save-form").addEventListener("submit", save);
    document.getElementById("conflict-reload").addEventListener("click", function () { window.location.reload(); });
    document.getElementById("conflict-copy").addEventListener("click", saveAsCopy);
    document.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey)) { return; }
      var target = event.target;
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) { return; }
      var key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
      else if (key === "y" || (key === "z" && event.shiftKey)) { event.preventDefault(); redo(); }
    });
  }

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
      state.assignment = shown.assignment || {};
      state.forums = shown.forums || {};
      Object.keys(state.forums).sort().forEach(function (code) { state.order.push(code); });
      Object.keys(state.assignment).forEach(function (code) { addForum(state.assignment[code]); });
      if (!state.order.length && editable) {
        var wanted = config.forums_per_container;
        var total = typeof wanted === "number" ? wanted * config.container_count : 2;
        for (var i = 0; i < Math.max(total, 1); i += 1) { addForum(); }
      }
      current = state.order[0] || null;

      blockLayer = L.geoJSON(blockData, {
        style: function (feature) { return styleFor(feature.properties.code); },
        onEachFeature: function (feature, layer) {
          var code = feature.properties.code;
          var container = containerOf(feature);
          blocks[code] = { name: feature.properties.name || code, container: container.code,
            containerName: container.name, layer: layer };
          layer.bindTooltip(function () { return el("span", tooltipText(code)); }, { sticky: true });
          layer.on("click", function () { clicked(code); });
        }
      }).addTo(map);
      containerLayer = L.geoJSON(containerData, { interactive: false,
        style: { color: "#0b0c0c", weight: 3, fill: false } }).addTo(map);
      map.fitBounds(blockLayer.getBounds());
      addHatch();
      renderWardList();
      renderForums();
      restyle();
      updateButtons();
      return check();
    }).then(function () {
      root.setAttribute("data-ready", "true");
    }).catch(function (error) {
      say("The proposal could not load (" + error.message + ").");
    });

  window.AtlasProposal = {
    map: map,
    state: function () { return snapshot(); },
    blocks: blocks
  };
}());
