/* Partnership Atlas: draw a freehand area for a profile (Leaflet with Leaflet-Geoman).
 *
 * The [data-atlas-draw] element names GeoJSON URLs of reference boundaries (the borough, its wards)
 * to draw over; a large set comes as a vector tile URL instead (drawn with Leaflet.VectorGrid). Each finished polygon is added to the form's hidden "geometry" field as a GeoJSON
 * MultiPolygon in longitude/latitude; the submit button waits until there is one.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-atlas-draw]");
  if (!root || !window.L || !L.PM) { return; }
  var form = document.getElementById("draw-form");
  var field = form.elements.geometry;
  var submit = form.querySelector("button[type=submit]");
  var status = document.getElementById("draw-status");
  var layers = JSON.parse(root.getAttribute("data-atlas-draw"));
  var map = L.map(root, { zoomSnap: 0.25 });
  var drawn = L.featureGroup().addTo(map);

  function say(text) { status.textContent = text; }

  function update() {
    var polygons = [];
    drawn.eachLayer(function (layer) {
      var geometry = layer.toGeoJSON().geometry;
      if (geometry.type === "Polygon") { polygons.push(geometry.coordinates); }
      if (geometry.type === "MultiPolygon") { polygons = polygons.concat(geometry.coordinates); }
    });
    field.value = polygons.length ? JSON.stringify({ type: "MultiPolygon", coordinates: polygons }) : "";
    submit.disabled = !polygons.length;
    root.setAttribute("data-drawn", String(polygons.length));
    say(polygons.length ? polygons.length + (polygons.length === 1 ? " shape drawn." : " shapes drawn.") +
      " Show the profile, or draw more." : "No shape drawn yet.");
  }

  var loads = layers.map(function (item, index) {
    var line = { color: item.colour, weight: index === 0 ? 3 : 1, fill: false };
    if (item.tiles) {
      if (index === 0 && item.bounds) { map.fitBounds(item.bounds); }
      L.vectorGrid.protobuf(item.tiles, { interactive: false, pmIgnore: true, minZoom: item.minZoom, maxZoom: 18,
        fetchOptions: { credentials: "same-origin" }, vectorTileLayerStyles: { areas: line } }).addTo(map);
      return Promise.resolve();
    }
    return fetch(item.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var layer = L.geoJSON(data, { pmIgnore: true, interactive: false, style: line }).addTo(map);
      if (index === 0) { map.fitBounds(layer.getBounds()); }
    });
  });
  Promise.all(loads).then(function () { root.setAttribute("data-ready", "true"); })
    .catch(function (error) { say("The reference boundaries could not load (" + error.message + ")."); });

  map.pm.setGlobalOptions({ layerGroup: drawn, allowSelfIntersection: false });
  map.pm.addControls({ position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
    drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false, dragMode: false });
  // Geoman's buttons are links with an icon and a title on their parent: name them for screen readers
  Array.prototype.forEach.call(root.querySelectorAll(".leaflet-pm-toolbar .button-container"), function (box) {
    var button = box.querySelector(".leaflet-buttons-control-button");
    if (button && box.title && !button.getAttribute("aria-label")) { button.setAttribute("aria-label", box.title); }
  });
  map.on("pm:create", function (event) {
    event.layer.on("pm:edit", update);
    update();
  });
  map.on("pm:remove", update);
  update();
  window.AtlasDraw = { map: map, drawn: drawn };
}());
