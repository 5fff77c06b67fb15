// The number request form: the submit button says how many numbers it asks for,
// and the DLT fields show only for the 140 and 160 series. No inline scripts (CSP).
(function () {
  "use strict";

  var DLT_SERIES = ["140", "160"];

  function setUp(form) {
    if (form.dataset.bound) { return; }
    form.dataset.bound = "1";
    var quantity = form.querySelector("[name=quantity]");
    var series = form.querySelector("[name=series]");
    var submit = form.querySelector("[data-request-submit]");
    var dlt = form.querySelectorAll("[name^=dlt_]");

    function update() {
      if (quantity && submit) {
        var n = parseInt(quantity.value, 10);
        if (n > 0) {
          submit.textContent = "Request " + n + " number" + (n === 1 ? "" : "s");
        }
      }
      var needsDlt = series && DLT_SERIES.indexOf(series.value) !== -1;
      dlt.forEach(function (input) {
        var field = input.closest(".field");
        // Fields with an error stay visible whatever the series.
        if (field && !field.classList.contains("has-error")) {
          field.hidden = !needsDlt;
        }
      });
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function init(root) {
    root.querySelectorAll("form[data-number-request]").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.target.parentNode || document);
  });
})();
