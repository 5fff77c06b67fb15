// Small behaviours for every page. No inline scripts anywhere (CSP), so they live here.
(function () {
  "use strict";

  function fadeMessages(root) {
    root.querySelectorAll(".message[data-fade]").forEach(function (el) {
      window.setTimeout(function () { el.classList.add("fading"); }, 5000);
      window.setTimeout(function () { el.remove(); }, 5600);
    });
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close]");
    if (close) {
      close.closest(".message").remove();
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = "Copied";
        });
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { fadeMessages(document); });
  document.addEventListener("htmx:afterSwap", function (event) { fadeMessages(event.target); });

  // A secret shown once must not come back from the browser's history cache.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector(".secret-box")) {
      window.location.reload();
    }
  });
})();
