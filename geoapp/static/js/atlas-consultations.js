/* Partnership Atlas: consultation and engagement pages (templates/consultations/).
 *
 * On the list page, the [data-atlas-consultations] element names two URLs: the activity counts per area
 * (activity.json, with the page's filters) and the boundary set's display GeoJSON. Each area is filled by
 * its count's class, or hatched when no activity is recorded; pointing at an area shows its count, and
 * selecting it lists its activities with links. On the form, long lists of tick boxes get a box to filter
 * them by name, and the area lists hide while "The whole borough" is chosen.
 * Text from the data is set with textContent only. Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var el = Atlas.el;
  var getJSON = Atlas.getJSON;

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function dateText(iso) {
    if (!iso) { return ""; }
    var parts = iso.split("-");
    var d = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  /* ---- the map of activity by area ---- */
  function activityMap(root) {
    var config = JSON.parse(root.getAttribute("data-atlas-consultations"));
    var status = document.getElementById("map-status");
    var mapNode = document.getElementById("consultation-map");
    if (!window.L || !mapNode) { return; }
    var say = function (text) { if (status) { status.textContent = text; } };
    var map = L.map(mapNode, { zoomSnap: 0.25 });
    var areas = {};
    say("Loading the map…");

    function styleFor(area) {
      if (!area || !area.count) {
        return { color: "#505a5f", weight: 1, fillColor: "url(#consult-hatch)", fillOpacity: 1 };
      }
      return { color: "#0b0c0c", weight: 1, fillColor: area.colour, fillOpacity: 0.9 };
    }

    function tipFor(name, area) {
      var tip = el("span");
      tip.appendChild(el("strong", null, name));
      var count = area ? area.count : 0;
      tip.appendChild(document.createTextNode(": " + (count ? plural(count, "activity", "activities") +
        (area.latest ? ", latest " + dateText(area.latest) : "") : "no activity recorded")));
      return tip;
    }

    function popupFor(name, area) {
      var box = el("div", "consult-popup");
      box.appendChild(el("h3", null, name));
      if (!area || !area.count) {
        box.appendChild(el("p", null, "No activity recorded in this period."));
        return box;
      }
      box.appendChild(el("p", null, plural(area.count, "activity", "activities") + ":"));
      var list = el("ul");
      area.activities.slice(0, 8).forEach(function (a) {
        var item = el("li");
        var link = el("a", null, a.title);
        link.href = a.url;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" (" + a.organiser + ", " + dateText(a.starts_on) + ")"));
        list.appendChild(item);
      });
      box.appendChild(list);
      if (area.activities.length > 8) {
        box.appendChild(el("p", null, "and " + (area.activities.length - 8) + " more: see the list below."));
      }
      return box;
    }

    Promise.all([getJSON(config.activity), getJSON(config.areas)]).then(function (found) {
      var data = found[0];
      data.areas.forEach(function (area) {
        areas[area.code] = area;
        area.colour = area["class"] === null ? null : data.classes[area["class"]].colour;
      });
      var layer = L.geoJSON(found[1], {
        style: function (feature) { return styleFor(areas[feature.properties.code]); },
        onEachFeature: function (feature, path) {
          var name = feature.properties.name || feature.properties.code;
          var area = areas[feature.properties.code];
          path.bindTooltip(function () { return tipFor(name, area); }, { sticky: true });
          path.bindPopup(function () { return popupFor(name, area); });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      Atlas.keyboardPopups(map, mapNode.parentNode, function () {
        var found = [];
        layer.eachLayer(function (path) {
          var props = path.feature.properties;
          found.push({ name: props.name || props.code, code: props.code, layer: path });
        });
        return found;
      }, { id: "consultation-map", label: "Open an area's activities (for the keyboard)" });
      layer.eachLayer(function (path) {
        var node = path.getElement ? path.getElement() : null;
        var area = areas[path.feature.properties.code];
        if (node) {
          node.classList.add(area && area.count ? "activity-some" : "activity-none");
          node.setAttribute("data-code", path.feature.properties.code);
        }
      });
      var none = data.no_activity.areas;
      var unit = data.set.unit;
      say("The map shows " + plural(data.areas.length - none, unit, unit + "s") + " with activity recorded and " +
        plural(none, unit, unit + "s") + " with none (hatched).");
      root.setAttribute("data-ready", "true");
    }).catch(function (error) {
      say("The map could not load (" + error.message + "). The timeline table below gives the same counts.");
      root.setAttribute("data-ready", "error");
    });
    window.AtlasConsultations = { map: map, areas: areas };
  }

  /* ---- the form: filter long lists, hide the area lists for the whole borough ---- */
  function filterBox(list) {
    var items = list.querySelectorAll("[data-name]");
    if (items.length < 10) { return; }
    var id = list.id + "-filter";
    var wrap = el("div", "list-filter");
    var label = el("label", null, "Filter the list by name");
    label.htmlFor = id;
    var input = el("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    var count = el("span", "hint");
    count.setAttribute("aria-live", "polite");
    count.id = id + "-count";
    input.setAttribute("aria-describedby", count.id);
    wrap.appendChild(label);
    wrap.appendChild(input);
    wrap.appendChild(count);
    list.parentNode.insertBefore(wrap, list);
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(items, function (item) {
        var match = !words || item.getAttribute("data-name").toLowerCase().indexOf(words) !== -1;
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = words ? shown + " of " + items.length + " shown" : "";
    });
  }

  function reachChoice(form) {
    var areas = document.getElementById("area-lists");
    var radios = form.querySelectorAll("input[name=reach]");
    if (!areas || !radios.length) { return; }
    function update() {
      var named = form.querySelector("input[name=reach][value=areas]").checked;
      areas.hidden = !named;
    }
    Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", update); });
    update();
  }

  var root = document.querySelector("[data-atlas-consultations]");
  if (root) { activityMap(root); }
  var form = document.getElementById("consultation-form");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-filter-list]"), filterBox);
    reachChoice(form);
  }
}());
