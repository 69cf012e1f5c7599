/* Shared chart helpers: read the page's JSON payload, draw with Chart.js, and mark each
   canvas with data-drawn="true" once drawn (the browser tests wait for it). */
(function () {
  "use strict";
  const palette = { blue: "#2563eb", teal: "#0f766e", orange: "#c2410c", grey: "#6b7280", purple: "#7c3aed" };

  function payload() {
    const node = document.getElementById("chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return null;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } } }, config.options || {});
    const chart = new Chart(canvas, config);
    canvas.dataset.drawn = "true";
    return chart;
  }

  window.AstralCharts = { palette: palette, payload: payload, draw: draw };
})();
