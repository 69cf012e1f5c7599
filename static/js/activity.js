/* One activity's charts: pace, heart rate, elevation and cadence over distance or time, from
   series the server already reduced (at most ~1,000 points each, shape kept). */
(function () {
  "use strict";
  const C = window.AstralCharts;
  const data = C && C.payload();
  if (!data || !data.series) return;
  const p = C.palette;
  const charts = [];
  const specs = [
    ["chart-pace", "pace", "Pace", p.blue, "min/" + data.unit, true],
    ["chart-hr", "heart_rate", "Heart rate", p.orange, "bpm", false],
    ["chart-elevation", "altitude", "Elevation", p.teal, data.elevation_unit || "m", false],
    ["chart-cadence", "cadence", "Cadence", p.purple, "per min", false],
  ];
  const axisTitle = (axis) => (axis === "distance" ? "Distance (" + data.unit + ")" : "Time (min)");
  const points = (line, axis) => (line[axis] || line.minutes).map((x, i) => ({ x: x, y: line.value[i] }));
  let axis = data.series.pace || (data.series.heart_rate && data.series.heart_rate.distance) ? "distance" : "minutes";
  specs.forEach(([id, key, label, color, unit, isPace]) => {
    const line = data.series[key];
    if (!line) return;
    const plugins = { legend: { display: false } };
    if (isPace) plugins.tooltip = C.paceTooltip("Pace");
    const chart = C.draw(id, { type: "line", data: { datasets: [{ label: label, borderColor: color,
      backgroundColor: color, pointRadius: 0, borderWidth: 1.5, spanGaps: false, data: points(line, axis) }] },
      options: { parsing: false, plugins: plugins,
        scales: { x: { type: "linear", title: { display: true, text: axisTitle(axis) } },
                  // Pace: faster higher, m:ss, the stops' spikes clipped to the server's range.
                  y: isPace ? C.paceAxis(data.unit, data.pace_range) : C.valueAxis(unit) } } });
    if (chart) charts.push([chart, line]);
  });
  const mark = (current) => document.querySelectorAll("[data-axis]").forEach((l) => {
    if (l.dataset.axis === current) l.setAttribute("aria-current", "true"); else l.removeAttribute("aria-current");
  });
  mark(axis);
  document.querySelectorAll("[data-axis]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      axis = link.dataset.axis;
      mark(axis);
      charts.forEach(([chart, line]) => {
        chart.data.datasets[0].data = points(line, axis);
        chart.options.scales.x.title.text = axisTitle(axis);
        chart.update();
      });
    });
  });
})();
