/* Partnership Atlas home map: colour a boundary set by an indicator without reloading the page.
 *
 * The "Colour the map by" form names an indicator, a geography (boundary set) and a classification;
 * on every change this fetches /indicators/<id>/<set>/classes.json, paints that set's areas by class
 * (grey and dashed for no data), puts it on top so hovering shows each area's value, and writes the
 * legend (class ranges with counts, source, period, method) and a sortable table of the same figures
 * beside the map. The choice is kept in the page's address (?indicator=&set=&scheme=) so it can be
 * shared. Text from the data is set with textContent only. Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var atlas = window.AtlasMap;
  var form = document.getElementById("choropleth-form");
  if (!atlas || !form) { return; }
  var legend = document.getElementById("choropleth-legend");
  var fields = { indicator: form.elements.indicator, set: form.elements.set, scheme: form.elements.scheme,
    breaks: form.elements.breaks };
  var breaksField = document.getElementById("choropleth-breaks-field");
  var KEYS = ["indicator", "set", "scheme", "breaks"];
  var painted = null;
  var asked = 0;

  var el = Atlas.el;

  function fill(template, indicator, set) {
    return template.replace("INDICATOR", encodeURIComponent(indicator)).replace("SET", encodeURIComponent(set));
  }

  function layerFor(setId) {
    return atlas.layers.filter(function (conf) { return conf.id === setId; })[0] || null;
  }

  function number(value, factor, unit) {
    if (value === null || value === undefined) { return "no data"; }
    var shown = value * factor;
    var digits = Math.abs(shown) >= 1000 ? 0 : (Math.abs(shown) >= 10 ? 1 : 2);
    var text = shown.toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits });
    return unit === "%" ? text + "%" : (unit ? text + " " + unit : text);
  }

  function clearPaint() {
    if (!painted) { return; }
    var conf = painted;
    painted = null;
    conf.paint = null;
    conf.tip = null;
    conf.onTop = false;
    if (conf.geojson) { conf.geojson.eachLayer(function (layer) { layer.unbindTooltip(); }); }
    atlas.repaint(conf);
    atlas.restack();
  }

  function paint(conf, data) {
    var colours = data.colours;
    var unit = data.indicator.unit;
    conf.paint = function (feature) {
      var area = data.areas[feature.properties.code];
      if (!area || area["class"] === null) {
        return { fillColor: data.no_data.colour, fillOpacity: 0.55, dashArray: "4 3" };
      }
      return { fillColor: colours[area["class"]], fillOpacity: 0.8, dashArray: null };
    };
    conf.onTop = true;
    // the area's name and value, shown on hover (by atlas-map.js for a set drawn from tiles)
    conf.tip = function (props) {
      var area = data.areas[props.code];
      var tip = el("span", "atlas-value-tip");
      tip.appendChild(el("strong", null, props.name));
      tip.appendChild(document.createTextNode(": " + number(area ? area.value : null, data.display_factor, unit)));
      return tip;
    };
    atlas.repaint(conf);
    if (conf.geojson) {
      conf.geojson.eachLayer(function (layer) {
        layer.bindTooltip(conf.tip(layer.feature.properties), { sticky: true, direction: "top", className: "atlas-value-tooltip" });
      });
    }
    painted = conf;
    atlas.restack();
  }

  function swatch(colour, dashed) {
    var box = el("span", "choropleth-swatch" + (dashed ? " choropleth-swatch-none" : ""));
    box.style.backgroundColor = colour;
    box.setAttribute("aria-hidden", "true");
    return box;
  }

  function sortableTable(data, tableUrl) {
    var factor = data.display_factor;
    var unit = data.indicator.unit;
    var rows = Object.keys(data.areas).map(function (code) {
      var area = data.areas[code];
      return { code: code, name: area.name, value: area.value, cls: area["class"] };
    });
    var wrap = el("details", "choropleth-table");
    wrap.appendChild(el("summary", null, "Table of these " + rows.length + " areas"));
    var table = el("table");
    table.appendChild(el("caption", "visually-hidden", data.indicator.title + " by " + data.geography.name));
    var head = el("tr");
    var body = el("tbody");
    var sortKey = "value";
    var ascending = false;
    var columns = [["name", "Area"], ["value", "Value"]];

    function render() {
      rows.sort(function (a, b) {
        var x = a[sortKey], y = b[sortKey];
        if (x === null || x === undefined) { return 1; }
        if (y === null || y === undefined) { return -1; }
        var order = typeof x === "string" ? x.localeCompare(y) : x - y;
        return ascending ? order : -order;
      });
      body.textContent = "";
      rows.forEach(function (row) {
        var tr = el("tr");
        var name = el("th", null, row.name);
        name.scope = "row";
        tr.appendChild(name);
        var value = el("td", "num");
        if (row.cls !== null && row.cls !== undefined) { value.appendChild(swatch(data.colours[row.cls])); }
        value.appendChild(document.createTextNode(number(row.value, factor, unit)));
        tr.appendChild(value);
        body.appendChild(tr);
      });
      Array.prototype.forEach.call(head.children, function (th) {
        th.setAttribute("aria-sort", th.dataset.key === sortKey ? (ascending ? "ascending" : "descending") : "none");
      });
    }

    columns.forEach(function (column) {
      var th = el("th");
      th.scope = "col";
      th.dataset.key = column[0];
      var button = el("button", "choropleth-sort", column[1]);
      button.type = "button";
      button.addEventListener("click", function () {
        ascending = sortKey === column[0] ? !ascending : column[0] === "name";
        sortKey = column[0];
        render();
      });
      th.appendChild(button);
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    table.appendChild(body);
    wrap.appendChild(table);
    var more = el("a", null, "Full table with intervals and comparison with the borough");
    more.href = tableUrl;
    var para = el("p");
    para.appendChild(more);
    wrap.appendChild(para);
    render();
    return wrap;
  }

  function showLegend(data, tableUrl) {
    legend.textContent = "";
    var factor = data.display_factor;
    var unit = data.indicator.unit;
    legend.appendChild(el("h3", null, data.indicator.title));
    legend.appendChild(el("p", "map-note", data.geography.name + (data.period ? ", " + data.period : "") +
      ". " + ({ quantiles: "Quantiles", fisher_jenks: "Natural breaks (Fisher-Jenks)",
        equal_interval: "Equal intervals", user: "Your breaks" }[data.scheme] || data.scheme) +
      "; darker is " + (data.indicator.polarity === "neither" || !data.indicator.polarity ? "higher" : "worse") + "."));
    var list = el("ul", "choropleth-classes");
    data.legend.forEach(function (item) {
      var li = el("li");
      li.appendChild(swatch(item.colour));
      li.appendChild(document.createTextNode(number(item.lower, factor, unit) + " to " +
        number(item.upper, factor, unit) + " (" + item.count + (item.count === 1 ? " area)" : " areas)")));
      list.appendChild(li);
    });
    if (data.no_data.count) {
      var none = el("li");
      none.appendChild(swatch(data.no_data.colour, true));
      none.appendChild(document.createTextNode("No data (" + data.no_data.count +
        (data.no_data.count === 1 ? " area)" : " areas)")));
      list.appendChild(none);
    }
    legend.appendChild(list);
    (data.notes || []).forEach(function (note) { legend.appendChild(el("p", "map-note", note)); });
    legend.appendChild(el("p", "map-note", "Source: " + data.source + ". " + (data.licence || "")));
    legend.appendChild(sortableTable(data, tableUrl));
  }

  function remember(choice) {
    var url = new URL(window.location.href);
    KEYS.forEach(function (key) {
      if (choice.indicator && choice[key] && (key !== "breaks" || choice.scheme === "user")) { url.searchParams.set(key, choice[key]); } else { url.searchParams.delete(key); }
    });
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  // Breaks typed as the legend shows them (45 for 45%) and sent as stored (0.45).
  function storedBreaks(text) {
    var option = fields.indicator.selectedOptions[0];
    var factor = Number(option && option.dataset.factor) || 1;
    var parts = text.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
    if (!parts.length || parts.some(function (part) { return !isFinite(Number(part)); })) { return null; }
    return parts.map(function (part) { return String(Number(part) / factor); }).join(",");
  }

  function apply() {
    var choice = { indicator: fields.indicator.value, set: fields.set.value, scheme: fields.scheme.value,
      breaks: fields.breaks.value };
    var mine = ++asked;
    breaksField.hidden = choice.scheme !== "user";
    remember(choice);
    atlas.root.removeAttribute("data-choropleth");
    if (!choice.indicator) {
      clearPaint();
      legend.textContent = "";
      return Promise.resolve();
    }
    var conf = layerFor(choice.set);
    if (!conf) { return Promise.resolve(); }
    legend.textContent = "Colouring the map…";
    var url = fill(form.dataset.classesUrl, choice.indicator, choice.set) + "?scheme=" + encodeURIComponent(choice.scheme);
    if (choice.scheme === "user") {
      var breaks = storedBreaks(choice.breaks);
      if (breaks === null) {
        legend.textContent = "Type the breaks as numbers separated by commas, then press Enter.";
        return Promise.resolve();
      }
      url += "&breaks=" + encodeURIComponent(breaks);
    }
    var tableUrl = fill(form.dataset.tableUrl, choice.indicator, choice.set);
    if (!atlas.map.hasLayer(conf.group)) { atlas.map.addLayer(conf.group); }
    return Promise.all([
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.description || ("the server answered " + response.status)); }
          return body;
        });
      }),
      atlas.loadLayer(conf)
    ]).then(function (results) {
      if (mine !== asked) { return; }
      clearPaint();
      if (!conf.geojson && !conf.grid) { throw new Error("the areas of " + conf.name + " did not load"); }
      paint(conf, results[0]);
      showLegend(results[0], tableUrl);
      atlas.root.setAttribute("data-choropleth", choice.indicator + "/" + choice.set);
    }).catch(function (error) {
      if (mine !== asked) { return; }
      legend.textContent = "Could not colour the map: " + error.message;
    });
  }

  function fromAddress() {
    var params = new URL(window.location.href).searchParams;
    KEYS.forEach(function (key) {
      var wanted = params.get(key);
      var field = fields[key];
      if (wanted && (!field.options || Array.prototype.some.call(field.options, function (o) { return o.value === wanted; }))) {
        field.value = wanted;
      }
    });
  }

  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  fromAddress();
  if (fields.indicator.value) { apply(); }
}());
