/* Partnership Atlas groups map: the groups the page lists, as clustered markers coloured by type.
 *
 * The page's [data-groups-map] element carries the configuration: the directory.json URL with the
 * page's filters, each type's colour key and mark, the outline to draw, the basemap and, for a
 * "near" search, the centre and radius. The list under the map is the same set of groups (the map's
 * accessible twin); each list entry gets a "Show on the map" button. Popups are built as DOM nodes
 * with textContent, never from HTML strings, so any text a group entered is shown as text.
 * "Use my location" fills in the form with the browser's position and sends it.
 * Needs atlas-common.js (window.Atlas) loaded first.
 */
(function () {
  "use strict";

  var el = Atlas.el;
  var list = Atlas.listText;
  var form = document.getElementById("gm-filters");
  setUpLocate();
  var root = document.querySelector("[data-groups-map]");
  if (!root) { return; }  // no search was run (the page says why): no map
  var config = JSON.parse(root.getAttribute("data-groups-map"));
  var status = root.querySelector(".gm-map-status");

  function say(text) { if (status) { status.textContent = text; } }

  if (!window.L || !L.markerClusterGroup) {
    say("The map could not start: its script did not load. The list below has every group.");
    return;
  }

  var map = L.map(root.querySelector(".gm-map-canvas"), { maxZoom: 18, minZoom: 5, zoomSnap: 0.5 });
  Atlas.addBasemap(map, config);
  map.setView([54.5, -2.5], 6);

  var types = {};
  (config.types || []).forEach(function (t) { types[t.name] = t; });
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, spiderfyOnMaxZoom: true });
  cluster.addTo(map);
  var markers = {};
  // For tests and other scripts: the map, the cluster layer and each group's marker by id.
  window.AtlasGroupsMap = { map: map, cluster: cluster, markers: markers };

  function typeOf(name) { return types[name] || { key: "other", mark: "?" }; }

  function icon(type) {
    var mark = el("span", "gm-mark", type.mark);
    return L.divIcon({ className: "gm-marker gm-" + type.key, html: mark, iconSize: [24, 24], popupAnchor: [0, -10] });
  }

  function line(box, label, value, href) {
    if (!value) { return; }
    var para = el("p");
    para.appendChild(el("strong", null, label + ": "));
    if (href) {
      var link = el("a", null, value);
      link.href = href;
      if (/^https?:/.test(href)) { link.rel = "noopener noreferrer nofollow"; link.target = "_blank"; }
      para.appendChild(link);
    } else {
      para.appendChild(document.createTextNode(String(value)));
    }
    box.appendChild(para);
  }

  function popup(props) {
    var box = el("div", "gm-popup");
    var title = el("h3", "gm-popup-title", props.name);
    title.tabIndex = -1;
    box.appendChild(title);
    var meta = String(props.group_type || "");
    if (props.size === "micro" || props.size === "small") { meta += " · small group"; }
    if (typeof props.distance_km === "number") { meta += " · " + props.distance_km.toFixed(1) + " km away"; }
    box.appendChild(el("p", "gm-popup-meta", meta));
    if (props.description) {
      box.appendChild(el("p", null, Atlas.clip(props.description, 300)));
    }
    line(box, "Themes", list(props.themes));
    line(box, "For", list(props.serves));
    line(box, "Size", props.size);
    var address = [props.address, props.postcode].filter(function (part, i, all) {
      return part && !(i === 1 && all[0] && String(all[0]).indexOf(part) >= 0);
    }).join(", ");
    line(box, "Address", address);
    line(box, "Website", props.website, props.website ? Atlas.safeUrl(props.website) : null);
    line(box, "Contact", props.contact_name);
    line(box, "E-mail", props.email, props.email ? "mailto:" + encodeURIComponent(props.email).replace("%40", "@") : null);
    line(box, "Phone", props.phone, props.phone ? "tel:" + String(props.phone).replace(/[^0-9+]/g, "") : null);
    if (props.fictional) { box.appendChild(el("p", "gm-popup-note", "Fictional demo group.")); }
    return box;
  }

  function fetchJson(url) { return Atlas.getJSON(url, { accept: "application/geo+json", name: "the server" }); }

  var nearLayer = null;
  if (config.near) {
    var centre = [config.near.lat, config.near.lon];
    nearLayer = L.circle(centre, { radius: config.near.radius_km * 1000, className: "gm-near-circle",
                                   color: "#0b0c0c", weight: 2, dashArray: "6 4", fill: false, interactive: false });
    nearLayer.addTo(map);
    L.marker(centre, { icon: L.divIcon({ className: "gm-near-centre", iconSize: [16, 16] }),
                       title: "Centre of the search: " + config.near.label, keyboard: false, interactive: false })
      .addTo(map);
  }

  var outline = null;
  var outlineLoad = config.outline ? fetchJson(config.outline).then(function (data) {
    outline = L.geoJSON(data, { interactive: false, style: { color: "#505a5f", weight: 1.5, fill: false } });
    outline.addTo(map);
    outline.bringToBack();
  }).catch(function () { outline = null; }) : Promise.resolve();

  var groupsLoad = config.data ? fetchJson(config.data).then(function (data) {
    var added = [];
    data.features.forEach(function (feature) {
      if (!feature.geometry) { return; }
      var xy = feature.geometry.coordinates;
      var props = feature.properties;
      var marker = L.marker([xy[1], xy[0]], { icon: icon(typeOf(props.group_type)), title: String(props.name),
                                               alt: String(props.name), keyboard: true, riseOnHover: true });
      marker.bindPopup(function () { return popup(props); }, { maxWidth: 300, autoPanPadding: [16, 16] });
      markers[feature.id] = marker;
      added.push(marker);
    });
    cluster.addLayers(added);
    root.setAttribute("data-groups-shown", String(added.length));
    return added.length;
  }) : Promise.resolve(0);

  Promise.all([groupsLoad, outlineLoad]).then(function (results) {
    var shown = results[0];
    if (nearLayer) {
      map.fitBounds(nearLayer.getBounds(), { padding: [12, 12] });
    } else if (shown) {
      map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 15 });
    } else if (outline && outline.getBounds().isValid()) {
      map.fitBounds(outline.getBounds());
    }
    say(shown ? "" : "No groups to show on the map.");
    addListButtons();
    root.setAttribute("data-groups-ready", "true");
  }).catch(function (error) {
    say("Could not load the groups (" + error.message + "). The list below has every group; reload to try again.");
    root.setAttribute("data-groups-ready", "error");
  });

  // Each listed group with a point gets a button that shows it on the map and opens its popup.
  function addListButtons() {
    Array.prototype.forEach.call(document.querySelectorAll(".gm-group[data-group-id]"), function (item) {
      var marker = markers[item.getAttribute("data-group-id")];
      if (!marker) { return; }
      var button = el("button", "link-button gm-show", "Show on the map");
      button.type = "button";
      var name = item.querySelector(".gm-group-name");
      // the name the button is announced by starts with the words it shows (WCAG 2.5.3, label in name)
      button.appendChild(el("span", "visually-hidden", " – " + (name ? name.textContent : "this group")));
      button.addEventListener("click", function () {
        root.scrollIntoView({ block: "start" });
        cluster.zoomToShowLayer(marker, function () {
          marker.openPopup();
          var title = root.querySelector(".leaflet-popup .gm-popup-title");
          if (title) { title.focus(); }
        });
      });
      var para = el("p", "gm-show-line");
      para.appendChild(button);
      item.appendChild(para);
    });
  }

  // "Use my location": the browser's position goes into the form as lon and lat, instead of a postcode.
  function setUpLocate() {
    var button = document.getElementById("gm-locate");
    var note = document.querySelector(".gm-locate-status");
    if (!button || !form || !navigator.geolocation) { return; }
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      note.textContent = "Finding where you are…";
      navigator.geolocation.getCurrentPosition(function (position) {
        ["lon", "lat"].forEach(function (name) {
          var input = form.querySelector("input[name=" + name + "]");
          if (!input) {
            input = el("input");
            input.type = "hidden";
            input.name = name;
            form.appendChild(input);
          }
          input.value = (name === "lon" ? position.coords.longitude : position.coords.latitude).toFixed(6);
        });
        form.querySelector("input[name=postcode]").value = "";
        note.textContent = "Showing groups near you…";
        form.submit();
      }, function () {
        note.textContent = "Your location could not be found (your browser may not have allowed it). " +
          "Enter a postcode instead.";
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }
})();
