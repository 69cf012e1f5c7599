/* Group Dashboard charts: distance by member (Overview, group page) or by group. The unit
   is on the axis, since a single series needs no legend. */
(function () {
  "use strict";
  const C = window.AstralCharts;
  const data = C && C.payload();
  if (!data) return;
  const bars = (rows, label) => ({ type: "bar", data: { labels: rows.map((r) => r.name),
    datasets: [{ label: label + " (" + data.unit + ")", data: rows.map((r) => r.value), backgroundColor: C.palette.blue }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: C.valueAxis(label + " (" + data.unit + ")", { beginAtZero: true }) } } });
  if (data.members) C.draw("chart-members", bars(data.members, "Distance"));
  if (data.groups) C.draw("chart-groups", bars(data.groups, "Distance"));
})();
