// Draws the billing charts from the JSON specs in data-chart attributes
// (billing/reports/charts.py). No inline scripts (CSP): this file reads the page.
// Every chart has a table beside it with the same figures.
(function () {
  "use strict";

  var PALETTE = ["#2457c5", "#1f7a3f", "#c2410c", "#7c3aed", "#0e7490",
    "#b3261e", "#8a5a00", "#475569", "#be185d", "#94a3b8"];

  function dataset(spec, ds, index) {
    var colour = ds.type === "line" ? "#c2410c" : PALETTE[index % PALETTE.length];
    var out = {
      label: ds.label,
      data: ds.data,
      backgroundColor: colour,
      borderColor: colour,
      borderWidth: ds.type === "line" || spec.type === "line" ? 2 : 0,
      pointRadius: spec.labels.length > 40 ? 0 : 2,
      yAxisID: ds.axis || "y"
    };
    if (ds.type) { out.type = ds.type; }
    return out;
  }

  function config(spec) {
    var scales = {
      x: { stacked: !!spec.stacked, ticks: { maxRotation: 0, autoSkip: true } },
      y: { stacked: !!spec.stacked, beginAtZero: true }
    };
    if (spec.unit) { scales.y.title = { display: true, text: spec.unit }; }
    if (spec.y2) {
      scales.y2 = { position: "right", min: spec.y2.min, max: spec.y2.max,
        grid: { drawOnChartArea: false }, title: { display: true, text: "%" } };
    }
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (ds, i) { return dataset(spec, ds, i); })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: spec.datasets.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: { beginAtZero: true } } : scales
      }
    };
  }

  function draw(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var existing = window.Chart.getChart(canvas);
      if (existing) { existing.destroy(); }
      try {
        new window.Chart(canvas, config(JSON.parse(canvas.getAttribute("data-chart"))));
      } catch (err) {
        canvas.setAttribute("data-chart-error", String(err));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
