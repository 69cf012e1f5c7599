/* One activity's charts: pace, heart rate and elevation over distance. */
(function () {
  "use strict";
  const C = window.AstralCharts;
  const data = C && C.payload();
  if (!data || !data.distance.length) return;
  const p = C.palette;
  const x = { type: "linear", title: { display: true, text: "Distance (" + data.unit + ")" } };
  const series = (id, label, values, color, axis, extra) => {
    if (!values.some((v) => v !== null)) return;
    C.draw(id, { type: "line", data: { datasets: [{ label: label, borderColor: color, backgroundColor: color,
      pointRadius: 0, borderWidth: 1.5, spanGaps: true,
      data: data.distance.map((d, i) => ({ x: d, y: values[i] })) }] },
      options: Object.assign({ plugins: { legend: { display: false } }, scales: { x: x, y: C.valueAxis(axis) } }, extra || {}) });
  };
  series("chart-pace", "Pace", data.pace, p.blue, "min/" + data.unit, null);
  const paceChart = Chart.getChart(document.getElementById("chart-pace"));
  if (paceChart) { paceChart.options.scales.y.reverse = true; paceChart.update(); }  // faster is higher
  series("chart-hr", "Heart rate", data.heart_rate, p.orange, "bpm");
  series("chart-elevation", "Elevation", data.altitude, p.teal, "m");
})();
