/* The group form's small helps: "Use where I am now" fills the pin from the phone's location, and ticking
   an area chooses "In particular areas". The form works without them. */
(function () {
  "use strict";

  function setUpPin(box) {
    var locate = box.querySelector("[data-group-pin-locate]");
    if (!locate || !("geolocation" in navigator)) { return; }
    var status = box.querySelector(".pin-status");
    locate.parentNode.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = "Finding where you are…";
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("f-lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("f-lon").value = position.coords.longitude.toFixed(6);
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
