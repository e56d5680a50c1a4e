/* Partnership Atlas home map: fills the layer groups folium made with GeoJSON fetched from the app.
 *
 * The page's [data-atlas-map] element carries the configuration (built by layers/maps.py): the
 * names of folium's map and layer-group variables, each boundary set's GeoJSON URL and style, and
 * the community groups URL. Boundary sets switched off at first are fetched when first switched on.
 * A large set (conf.tiles) is drawn from vector tiles instead (Leaflet.VectorGrid), in a pane above
 * the GeoJSON sets; a click fetches the area's popup details, and the keyboard list beside the map
 * names the areas of the view, fetched from the server as the map moves.
 * Popups and labels are built as DOM nodes with textContent, never from HTML strings, so names
 * holding markup are shown as text. Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var el = Atlas.el;
  var list = Atlas.listText;
  var root = document.querySelector("[data-atlas-map]");
  if (!root) { return; }
  var status = root.querySelector(".map-status");
  var config = JSON.parse(root.getAttribute("data-atlas-map"));
  var map = window[config.map];
  var kindWords = config.kindWords || {};
  var failures = [];

  function say(text) { if (status) { status.textContent = text; } }

  if (!window.L || !map) {
    say("The map could not start: its script did not load.");
    return;
  }

  function classSafe(value) { return String(value).replace(/[^A-Za-z0-9_-]/g, "_"); }

  function shareText(container) {
    var share = Number(container.share);
    return share < 0.995 ? ", " + Math.round(share * 100) + "% of this area" : "";
  }

  // "In: Chester (APB), Cheshire West and Chester (borough)"; service areas listed apart, by set.
  function areaPopup(props) {
    var box = el("div", "atlas-popup");
    box.appendChild(el("h3", "atlas-popup-title", props.name));
    box.appendChild(el("p", "atlas-popup-meta", props.set_name + " · " + props.code));
    var containers = props.containers || [];
    var areas = containers.filter(function (c) { return c.kind !== "service"; });
    var services = containers.filter(function (c) { return c.kind === "service"; });
    if (areas.length) {
      var line = el("p", "atlas-popup-in");
      line.appendChild(el("strong", null, "In: "));
      line.appendChild(document.createTextNode(areas.map(function (c) {
        return c.name + " (" + (kindWords[c.kind] || c.kind) + shareText(c) + ")";
      }).join(", ")));
      box.appendChild(line);
    }
    var profile = root.getAttribute("data-profile-url");
    if (profile && props.set) {
      var link = el("a", "atlas-popup-profile", "Open the profile of " + props.name);
      link.href = profile.replace("SET", encodeURIComponent(props.set)).replace("CODE", encodeURIComponent(props.code));
      var para = el("p");
      para.appendChild(link);
      box.appendChild(para);
    }
    if (services.length) {
      box.appendChild(el("p", "atlas-popup-services-title", "Service areas:"));
      var list = el("ul", "atlas-popup-services");
      services.forEach(function (c) {
        list.appendChild(el("li", null, c.set_name + ": " + c.name + (shareText(c) ? " (" + shareText(c).slice(2) + ")" : "")));
      });
      box.appendChild(list);
    }
    return box;
  }

  function groupPopup(props) {
    var box = el("div", "atlas-popup");
    box.appendChild(el("h3", "atlas-popup-title", props.name));
    if (props.group_type) { box.appendChild(el("p", "atlas-popup-meta", props.group_type)); }
    if (list(props.themes)) { box.appendChild(el("p", null, "Themes: " + list(props.themes))); }
    if (list(props.serves)) { box.appendChild(el("p", null, "For: " + list(props.serves))); }
    if (props.description) {
      box.appendChild(el("p", null, Atlas.clip(props.description, 300)));
    }
    if (props.postcode) { box.appendChild(el("p", null, "Postcode: " + props.postcode)); }
    var href = props.website ? Atlas.safeUrl(props.website) : null;
    if (href) {
      var link = el("a", null, "Website");
      link.href = href;
      link.rel = "noopener noreferrer nofollow";
      link.target = "_blank";
      var para = el("p");
      para.appendChild(link);
      box.appendChild(para);
    }
    if (props.fictional) { box.appendChild(el("p", "atlas-popup-note", "Fictional demo group.")); }
    return box;
  }

  function fetchJson(url) { return Atlas.getJSON(url, { accept: "application/geo+json", name: "the server" }); }

  // Finer sets on top, so a click picks the finest area shown (an LSOA before its ward); a set coloured
  // by an indicator (atlas-choropleth.js sets conf.onTop) goes above them all, so hovering shows its values.
  function stackRank(conf) { return conf.onTop ? 1000 : conf.rank; }

  function restack() {
    config.layers.slice().sort(function (a, b) { return stackRank(a) - stackRank(b); }).forEach(function (conf) {
      if (conf.grid) { conf.grid.setZIndex(stackRank(conf)); }
      else if (conf.group && map.hasLayer(conf.group)) { conf.group.bringToFront(); }
    });
  }

  function addLabels(conf, data) {
    data.features.forEach(function (feature) {
      var at = feature.properties.label;
      if (!at) { return; }
      var label = L.tooltip({ permanent: true, direction: "center", className: "atlas-label atlas-label-" + classSafe(conf.kind), opacity: 1 })
        .setLatLng([at[1], at[0]])
        .setContent(el("span", null, feature.properties.name));
      conf.group.addLayer(label);
    });
  }

  // Tiled sets: one pane above the GeoJSON sets (finer sets lie on top, as tiled sets are the finest).
  var TILE_PANE = "atlasTiles";
  if (!map.getPane(TILE_PANE)) { map.createPane(TILE_PANE).style.zIndex = 450; }

  // Open a tiled area's popup at latlng (its details fetched from the server); resolves to the popup.
  function openTiledPopup(conf, latlng, code) {
    var popup = L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(el("p", "atlas-popup", "Loading…")).openOn(map);
    return fetchJson(conf.tiles.area.replace("CODE", encodeURIComponent(code))).then(function (props) {
      popup.setContent(areaPopup(props));
      return popup;
    }, function (error) {
      popup.setContent(el("p", "atlas-popup", "Could not load this area's details (" + error.message + ")."));
      return popup;
    });
  }

  // Show a tiled area whole and open its popup inside it (the keyboard list, ?focus=); resolves to the popup.
  function showTiledArea(conf, code) {
    return fetchJson(conf.tiles.area.replace("CODE", encodeURIComponent(code))).then(function (props) {
      var box = props.bbox;
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { animate: false, maxZoom: 15 });
      return openTiledPopup(conf, L.latLng(props.label[1], props.label[0]), code);
    });
  }

  var hover = L.tooltip({ sticky: true, direction: "top", className: "atlas-value-tooltip" });

  function loadTiles(conf, style) {
    var grid = L.vectorGrid.protobuf(conf.tiles.url, {
      pane: TILE_PANE, interactive: true, minZoom: conf.tiles.minZoom, maxZoom: 18,
      fetchOptions: { credentials: "same-origin" },
      // conf.paint (set by atlas-choropleth.js) adds a fill per area; tiles drawn again re-read it
      vectorTileLayerStyles: { areas: function (props) {
        return conf.paint ? Object.assign({}, style, conf.paint({ properties: props })) : style;
      } }
    });
    grid.on("click", function (event) { openTiledPopup(conf, event.latlng, event.layer.properties.code); });
    grid.on("mouseover", function (event) {
      if (!conf.tip) { return; }
      hover.setLatLng(event.latlng).setContent(conf.tip(event.layer.properties));
      map.openTooltip(hover);
    });
    grid.on("mouseout", function () { map.closeTooltip(hover); });
    conf.grid = grid;
    conf.group.addLayer(grid);
    root.setAttribute("data-loaded-" + classSafe(conf.id), "tiles");
    listVisible(conf);
    restack();
    return Promise.resolve();
  }

  // The areas of a tiled set in the view, for the keyboard list (the server lists at most a few hundred).
  // The last list stays until the next arrives: a list focused meanwhile keeps the area chosen in it.
  function listVisible(conf) {
    var mine = conf.viewAsked = (conf.viewAsked || 0) + 1;
    if (!conf.grid || !map.hasLayer(conf.group) || map.getZoom() < conf.tiles.minZoom) {
      conf.visible = [];
      conf.more = 0;
      return;
    }
    var b = map.getBounds();
    var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180),
      Math.min(b.getNorth(), 90)].map(function (v) { return v.toFixed(5); }).join(",");
    fetchJson(conf.tiles.view + "?bbox=" + bbox).then(function (data) {
      if (mine !== conf.viewAsked) { return; }
      conf.visible = data.areas;
      conf.more = data.matched - data.areas.length;
      if (keyboard && document.activeElement !== keyboard.select) { keyboard.refresh(); }
      root.setAttribute("data-listed-" + classSafe(conf.id), String(data.areas.length));
    }).catch(function (error) { say("Could not list the areas of " + conf.name + " (" + error.message + ")."); });
  }

  function tiledShown() {
    return config.layers.filter(function (conf) { return conf.grid && map.hasLayer(conf.group); });
  }

  // Below a tiled set's first zoom its areas are not drawn: say so, and how to see them.
  function sayZoom() {
    var hidden = tiledShown().filter(function (conf) { return map.getZoom() < conf.tiles.minZoom; });
    if (hidden.length) {
      say("Zoom in to see " + hidden.map(function (conf) { return conf.name; }).join(" and ") +
        ": there are too many areas to draw at this scale.");
    } else if (status && /^Zoom in to see/.test(status.textContent)) { say(""); }
  }

  function loadLayer(conf) {
    if (conf.loading) { return conf.loading; }
    var style = Object.assign({}, conf.style, {
      className: "atlas-area atlas-kind-" + classSafe(conf.kind) + " atlas-set-" + classSafe(conf.id)
    });
    if (conf.tiles) {
      conf.loading = loadTiles(conf, style);
      return conf.loading;
    }
    conf.loading = fetchJson(conf.url).then(function (data) {
      var geojson = L.geoJSON(data, {
        // conf.paint (set by atlas-choropleth.js) adds a fill per feature; resetStyle re-reads it.
        style: function (feature) { return conf.paint ? Object.assign({}, style, conf.paint(feature)) : style; },
        onEachFeature: function (feature, layer) {
          layer.bindPopup(function () { return areaPopup(feature.properties); }, { maxWidth: 320 });
          layer.on("mouseover", function () { layer.setStyle({ weight: style.weight + 2 }); });
          layer.on("mouseout", function () { geojson.resetStyle(layer); });
        }
      });
      conf.geojson = geojson;
      conf.group.addLayer(geojson);
      if (conf.labels) { addLabels(conf, data); }
      root.setAttribute("data-loaded-" + classSafe(conf.id), String(data.features.length));
      restack();
    }).catch(function (error) {
      conf.loading = null;
      failures.push(conf.name);
      say("Could not load " + conf.name + " (" + error.message + "). Reload the page to try again.");
    });
    return conf.loading;
  }

  var groupIcon = L.divIcon({ className: "atlas-group-icon", iconSize: [14, 14], popupAnchor: [0, -6] });

  function loadGroups(groups) {
    var cluster = window[groups.var];
    if (!cluster) { return Promise.resolve(); }
    return fetchJson(groups.url).then(function (data) {
      var markers = data.features.map(function (feature) {
        var xy = feature.geometry.coordinates;
        var name = String(feature.properties.name);
        var marker = L.marker([xy[1], xy[0]], { icon: groupIcon, title: name, keyboard: true });
        marker.bindPopup(function () { return groupPopup(feature.properties); }, { maxWidth: 320 });
        return marker;
      });
      cluster.addLayers(markers);
      root.setAttribute("data-loaded-groups", String(markers.length));
    }).catch(function (error) {
      failures.push(groups.name);
      say("Could not load " + groups.name + " (" + error.message + "). Reload the page to try again.");
    });
  }

  // The layer list (folium's Leaflet layer control) goes beside the map, in place of the static key,
  // so it never hides part of the borough; each entry keeps its swatch and style in words.
  function moveLayerControl() {
    var control = root.querySelector(".leaflet-control-layers");
    var slot = document.getElementById("map-layers");
    if (!control || !slot) { return; }
    var legend = slot.querySelector(".map-legend");
    slot.appendChild(control);
    control.classList.add("atlas-layers-outside");
    control.setAttribute("role", "group");
    control.setAttribute("aria-labelledby", "map-legend-heading");
    var list = control.querySelector(".leaflet-control-layers-list");
    if (list) {
      list.style.height = "";
      list.classList.remove("leaflet-control-layers-scrollbar");
    }
    if (legend) { legend.hidden = true; }
  }

  function quietPointerFocus() {
    var container = map.getContainer();
    var pointer = function () { container.classList.add("atlas-pointer-focus"); };
    container.addEventListener("mousedown", pointer, true);
    container.addEventListener("touchstart", pointer, { capture: true, passive: true });
    container.addEventListener("keydown", function () { container.classList.remove("atlas-pointer-focus"); });
    container.addEventListener("blur", function () { container.classList.remove("atlas-pointer-focus"); });
  }

  // For atlas-choropleth.js: the map, its boundary-set layers and how to load and restack them.
  window.AtlasMap = {
    map: map, root: root, layers: config.layers, loadLayer: loadLayer, restack: restack,
    repaint: function (conf) {
      if (conf.geojson) { conf.geojson.resetStyle(); }
      // added again rather than redraw(): Leaflet 1.9's redraw asks for tiles at a fractional zoom (10.25)
      if (conf.grid && conf.group.hasLayer(conf.grid)) {
        conf.group.removeLayer(conf.grid);
        conf.group.addLayer(conf.grid);
        restack();
      }
    }
  };

  moveLayerControl();
  quietPointerFocus();
  // the keyboard way to the areas' popups: a list of the areas shown, beside the map
  var keyboard = null;
  keyboard = Atlas.keyboardPopups(map, root, function () {
    var found = [];
    config.layers.forEach(function (conf) {
      if (!conf.group || !map.hasLayer(conf.group)) { return; }
      if (conf.grid) {
        (conf.visible || []).forEach(function (area) {
          found.push({ group: conf.name, name: area.name || area.code, code: area.code,
            open: function () { return showTiledArea(conf, area.code); } });
        });
        return;
      }
      if (!conf.geojson) { return; }
      conf.geojson.eachLayer(function (layer) {
        var props = layer.feature.properties;
        found.push({ group: conf.name, name: props.name || props.code, code: props.code, layer: layer });
      });
    });
    return found;
  }, { id: "home-map", label: "Open an area's details on the map (choose from the layers shown)",
    after: document.getElementById("map-layers"),
    note: function () {
      return tiledShown().filter(function (conf) { return conf.more > 0; }).map(function (conf) {
        return conf.more + " more of " + conf.name + " in this view: zoom in to list them";
      }).join("; ");
    } });
  config.layers.forEach(function (conf) { conf.group = window[conf.var]; });

  map.on("overlayadd", function (event) {
    config.layers.forEach(function (conf) {
      if (conf.group === event.layer) { loadLayer(conf); listVisible(conf); }
    });
    restack();
    sayZoom();
  });
  map.on("overlayremove", sayZoom);
  map.on("moveend", function () {
    tiledShown().forEach(listVisible);
    sayZoom();
  });

  // ?focus=<set>:<code> (the "See it on the map" link of a profile) shows that area and opens its popup.
  function focusFromAddress() {
    var wanted = new URL(window.location.href).searchParams.get("focus");
    if (!wanted || wanted.indexOf(":") < 0) { return Promise.resolve(); }
    var setId = wanted.slice(0, wanted.indexOf(":"));
    var code = wanted.slice(wanted.indexOf(":") + 1);
    var conf = config.layers.filter(function (c) { return c.id === setId; })[0];
    if (!conf || !conf.group) { return Promise.resolve(); }
    if (!map.hasLayer(conf.group)) { map.addLayer(conf.group); }
    return loadLayer(conf).then(function () {
      if (conf.grid) {
        return showTiledArea(conf, code).then(function () { root.setAttribute("data-focused", setId + ":" + code); });
      }
      if (!conf.geojson) { return; }
      conf.geojson.eachLayer(function (layer) {
        if (layer.feature.properties.code === code) {
          map.fitBounds(layer.getBounds(), { animate: false, maxZoom: 15 });
          layer.openPopup(layer.getBounds().getCenter());
          root.setAttribute("data-focused", setId + ":" + code);
        }
      });
    });
  }

  say("Loading the map layers…");
  var first = config.layers.filter(function (conf) { return conf.group && map.hasLayer(conf.group); })
    .map(loadLayer);
  if (config.groups) { first.push(loadGroups(config.groups)); }
  first.push(focusFromAddress());
  Promise.all(first).then(function () {
    if (!failures.length) { say(""); }
    sayZoom();
    root.setAttribute("data-atlas-ready", failures.length ? "partial" : "true");
  });
}());
