/* Partnership Atlas: the map of two forum proposals compared (templates/proposals/compare.html).
 *
 * The [data-atlas-compare] element holds the block and container GeoJSON URLs, each side's assignment
 * (block code to forum), forum labels and colours, and the codes of the blocks in different forums.
 * Those blocks are drawn strongly (SVG paths with the class "differs"), the others faded ("same"); the
 * map can also be coloured by A's or B's forums. Text from data is set with textContent only.
 * Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-atlas-compare]");
  if (!root || !window.L || !document.getElementById("compare-map")) { return; }
  var config = JSON.parse(root.getAttribute("data-atlas-compare"));
  var differs = {};
  (config.differs || []).forEach(function (code) { differs[code] = true; });
  var statusLine = document.getElementById("compare-status");
  var chooser = document.getElementById("colour-by");
  var mode = "differences";
  var blocks = {};  // code -> {name, layer}
  var unit = config.unit || "block";                         // "ward", "LSOA"
  var Unit = unit.charAt(0).toUpperCase() + unit.slice(1);

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  var getJSON = Atlas.getJSON;

  function forumOf(side, code) {
    var forum = config[side].assignment[code];
    return forum ? (config[side].labels[forum] || forum) : "no forum";
  }

  function tooltipText(code) {
    var block = blocks[code];
    var label = block.name && block.name !== code ? block.name + " (" + code + ")" : code;
    return Unit + " " + label + ": " + forumOf("a", code) + " in A, " + forumOf("b", code) + " in B" +
      (differs[code] ? " (different forums)" : "");
  }

  function styleFor(code) {
    var different = !!differs[code];
    if (mode === "differences") {
      return different ? { color: "#0b0c0c", weight: 3, fillColor: "#d4351c", fillOpacity: 0.75 }
        : { color: "#b1b4b6", weight: 1, fillColor: "#e6e6e6", fillOpacity: 0.8 };
    }
    var forum = config[mode].assignment[code];
    var colour = forum ? config[mode].colours[forum] : null;
    return { color: different ? "#0b0c0c" : "#505a5f", weight: different ? 3 : 1,
      fillColor: colour || "#f3f2f1", fillOpacity: colour ? (different ? 0.8 : 0.45) : 0.9 };
  }

  function restyle() {
    Object.keys(blocks).forEach(function (code) { blocks[code].layer.setStyle(styleFor(code)); });
    Object.keys(blocks).forEach(function (code) { if (differs[code]) { blocks[code].layer.bringToFront(); } });
    if (containerLayer) { containerLayer.bringToFront(); }
  }

  var map = L.map("compare-map", { zoomSnap: 0.25 });
  var blockLayer = null;
  var containerLayer = null;

  if (chooser) {
    chooser.addEventListener("change", function (event) {
      if (event.target && event.target.name === "colour-by") {
        mode = event.target.value;
        restyle();
        say(mode === "differences" ? "The map shows the " + unit + "s in different forums."
          : "The map shows " + (mode === "a" ? "A" : "B") + "'s forums; " + unit +
            "s in different forums have a thick outline.");
      }
    });
  }

  Promise.all([getJSON(config.blocks), getJSON(config.containers)]).then(function (found) {
    blockLayer = L.geoJSON(found[0], {
      style: function (feature) { return styleFor(feature.properties.code); },
      onEachFeature: function (feature, layer) {
        var code = feature.properties.code;
        blocks[code] = { name: feature.properties.name || code, layer: layer };
        layer.bindTooltip(function () { return Atlas.el("span", null, tooltipText(code)); }, { sticky: true });
      }
    }).addTo(map);
    containerLayer = L.geoJSON(found[1], { interactive: false,
      style: { color: "#0b0c0c", weight: 3, fill: false, dashArray: null } }).addTo(map);
    map.fitBounds(blockLayer.getBounds());  // the paths are drawn once the map has a view
    Object.keys(blocks).forEach(function (code) {
      var path = blocks[code].layer.getElement ? blocks[code].layer.getElement() : null;
      if (path) {
        path.classList.add(differs[code] ? "differs" : "same");
        path.setAttribute("data-block", code);
      }
    });
    restyle();
    if (chooser) { chooser.hidden = false; }
    var count = (config.differs || []).length;
    say(count ? count + " " + unit + (count === 1 ? " is" : "s are") +
      " in different forums, highlighted on the map." : "No " + unit + " is in a different forum.");
    root.setAttribute("data-ready", "true");
  }).catch(function (error) {
    say("The map could not load (" + error.message + "). The table below lists the same facts.");
    root.setAttribute("data-ready", "error");
  });

  window.AtlasProposalCompare = { map: map, blocks: blocks };
}());
