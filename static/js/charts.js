/* Shared chart helpers: read the page's JSON payload, draw with Chart.js, and mark each
   canvas with data-drawn="true" once drawn (the browser tests wait for it). Every chart has
   axis titles with units and a time axis with a few short, unrotated dates. */
(function () {
  "use strict";
  const palette = { blue: "#2563eb", teal: "#0f766e", orange: "#c2410c", grey: "#6b7280",
    purple: "#7c3aed", band: "rgba(15, 118, 110, 0.12)", light: "#93c5fd" };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function payload() {
    const node = document.getElementById("chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  /* "2026-11-23" -> "23 Nov": dates as people read them, without the time zone's help. */
  function shortDate(iso) {
    const parts = String(iso).split("-");
    return parts.length === 3 ? Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] : iso;
  }

  function timeAxis(title) {
    return { title: { display: true, text: title },
      ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 7,
        callback: function (value) { return shortDate(this.getLabelForValue(value)); } } };
  }

  function valueAxis(title, extra) {
    return Object.assign({ title: { display: true, text: title } }, extra || {});
  }

  /* 8.2333 (minutes) -> "8:14": pace as runners read it, never a decimal. */
  function paceText(minutes) {
    if (minutes === null || minutes === undefined || !isFinite(minutes)) return "–";
    let whole = Math.floor(minutes);
    let seconds = Math.round((minutes - whole) * 60);
    if (seconds === 60) { whole += 1; seconds = 0; }
    return whole + ":" + String(seconds).padStart(2, "0");
  }

  /* A pace axis: faster higher, ticks and tooltips in m:ss, bounded to the range the server
     chose (a stop's spike to 25 min/km is clipped, not the scale). */
  function paceAxis(unit, range) {
    const axis = { title: { display: true, text: "Pace (min/" + unit + ")" }, reverse: true,
      ticks: { callback: (value) => paceText(value) } };
    if (range) { axis.min = range[0]; axis.max = range[1]; }
    return axis;
  }

  function paceTooltip(label) {
    return { callbacks: { label: (item) => (label || item.dataset.label) + ": " + paceText(item.parsed.y) } };
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

  window.AstralCharts = { palette: palette, payload: payload, draw: draw, timeAxis: timeAxis,
    valueAxis: valueAxis, shortDate: shortDate, paceText: paceText, paceAxis: paceAxis,
    paceTooltip: paceTooltip };
})();
