// The dashboard's only script: filters submit as they change, and the figures reload
// every two minutes while the page is in view (the numbers are live on the server).
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  var every = 120000;
  setInterval(function () {
    if (document.visibilityState === "visible" && !document.querySelector("input:focus")) {
      window.location.reload();
    }
  }, every);
})();
