/* The group form's small helps: a map to click (or tap) for the pin, "Use where I am now" to fill the pin
   from the phone's location, and ticking an area chooses "In particular areas". The latitude and longitude
   fields stay the pin's keyboard way in; the form works without any of this. */
(function () {
  "use strict";

  function field(name) { return document.getElementById("f-" + name); }

  /* The map with a draggable pin, tied both ways to the fields; made the first time it is shown. It returns
     the function that moves the pin to the fields' point. */
  function setUpMap(box) {
    var holder = box.querySelector("[data-group-pin-map]");
    if (!holder || typeof L === "undefined" || !window.Atlas) { return function () {}; }
    var config = JSON.parse(holder.getAttribute("data-group-pin-map"));
    var details = box.closest("details");
    var map = null, pin = null;
    holder.parentNode.hidden = false;

    function typed() {
      var lat = parseFloat(field("lat").value), lon = parseFloat(field("lon").value);
      return (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) ? L.latLng(lat, lon) : null;
    }
    function fill(latlng) {
      field("lat").value = latlng.lat.toFixed(6);
      field("lon").value = latlng.lng.toFixed(6);
    }
    function place(latlng) {
      if (!map) { return; }
      if (!latlng) { if (pin) { map.removeLayer(pin); pin = null; } return; }
      if (!pin) {
        pin = L.marker(latlng, { draggable: true, keyboard: false, title: "Where the group meets", alt: "Pin" }).addTo(map);
        pin.on("dragend", function () { fill(pin.getLatLng()); });
      } else {
        pin.setLatLng(latlng);
      }
      if (!map.getBounds().contains(latlng)) { map.panTo(latlng); }
    }
    function make() {
      if (map) { map.invalidateSize(); return; }
      map = L.map(holder, { zoomControl: true, keyboard: true });
      Atlas.addBasemap(map, config);
      var now = typed();
      if (config.point) {
        L.circleMarker(config.point, { radius: 7, color: "#505a5f", fillOpacity: 0.6, interactive: false }).addTo(map);
      }
      if (now || config.point) {
        map.setView(now || config.point, 16);
      } else if (config.bounds) {
        map.fitBounds(config.bounds);
      } else {
        map.setView([54, -2.5], 6);
      }
      if (config.outline) {
        Atlas.getJSON(config.outline, { accept: "application/geo+json" }).then(function (data) {
          L.geoJSON(data, { interactive: false, style: { color: "#505a5f", weight: 1.5, fill: false } }).addTo(map);
        }).catch(function () {});
      }
      place(now);
      map.on("click", function (event) { fill(event.latlng); place(event.latlng); });
    }
    ["lat", "lon"].forEach(function (name) {
      field(name).addEventListener("input", function () { place(typed()); });
    });
    if (!details || details.open) { make(); }
    if (details) { details.addEventListener("toggle", function () { if (details.open) { make(); } }); }
    return function () { place(typed()); };
  }

  function setUpPin(box) {
    var moved = setUpMap(box);
    var locate = box.querySelector("[data-group-pin-locate]");
    if (!locate || !("geolocation" in navigator)) { return; }
    var status = box.querySelector(".pin-status");
    locate.parentNode.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = "Finding where you are…";
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("f-lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("f-lon").value = position.coords.longitude.toFixed(6);
        moved();
        status.textContent = "Pin set where you are now (to within about " +
          Math.round(position.coords.accuracy) + " metres).";
      }, function (error) {
        status.textContent = error.code === error.PERMISSION_DENIED
          ? "Your phone did not share its location. Type the latitude and longitude, or give a postcode."
          : "Your location could not be found. Type the latitude and longitude, or give a postcode.";
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  function setUpAreas(form) {
    var particular = form.querySelector('input[name="serves_scope"][value="areas"]');
    if (!particular) { return; }
    form.addEventListener("change", function (event) {
      if (event.target.name === "areas" && event.target.checked) { particular.checked = true; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-group-pin]").forEach(setUpPin);
    document.querySelectorAll("form.group-form").forEach(setUpAreas);
  });
}());
