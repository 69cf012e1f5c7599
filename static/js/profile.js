/* The athlete profile's charts. The last bar of a period still running (today, this week)
   is drawn lighter and named "so far". */
(function () {
  "use strict";
  const C = window.AstralCharts;
  const data = C && C.payload();
  if (!data) return;
  const p = C.palette;
  const labels = (rows, key) => rows.map((r) => r[key || "date"]);
  const line = (label, values, color, extra) => Object.assign({ type: "line", label: label, data: values,
    borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0.3, spanGaps: true }, extra || {});
  const inProgress = (rows, color) => rows.map((_, i) => (i === rows.length - 1 ? p.light : color));
  const axes = (x, y, extra) => ({ scales: Object.assign({ x: C.timeAxis(x), y: C.valueAxis(y, { beginAtZero: true }) }, extra || {}) });

  C.draw("chart-distance", { type: "bar", data: { labels: labels(data.daily_distance), datasets: [
    { label: "Distance (" + data.unit + "; today so far in light blue)", data: data.daily_distance.map((r) => r.value),
      backgroundColor: inProgress(data.daily_distance, p.blue) },
    line("7-day trend", data.daily_distance.map((r) => r.trend), p.orange) ] },
    options: axes("Day", "Distance (" + data.unit + ")") });

  C.draw("chart-load", { type: "bar", data: { labels: labels(data.weekly_training_load, "week_start"), datasets: [
    { label: "Weekly load (this week so far in light blue)", data: data.weekly_training_load.map((r) => r.value),
      backgroundColor: inProgress(data.weekly_training_load, p.teal) },
    line("4-week trend", data.weekly_training_load.map((r) => r.trend), p.orange) ] },
    options: axes("Week starting", "Training load") });

  C.draw("chart-rhr", { type: "line", data: { labels: labels(data.resting_hr), datasets: [
    line("Resting HR (bpm)", data.resting_hr.map((r) => r.value), p.blue, { pointRadius: 2, showLine: false }),
    line("30-day trend", data.resting_hr.map((r) => r.trend), p.orange) ] },
    options: { scales: { x: C.timeAxis("Day"), y: C.valueAxis("Resting HR (bpm)") } } });

  C.draw("chart-hrv", { type: "line", data: { labels: labels(data.hrv), datasets: [
    line("Normal range (60-day mean ± 1 SD)", data.hrv.map((r) => r.normal_high), "rgba(15, 118, 110, 0.35)",
      { fill: "+1", backgroundColor: p.band, borderWidth: 1 }),
    line("", data.hrv.map((r) => r.normal_low), "rgba(15, 118, 110, 0.35)", { borderWidth: 1 }),
    line("HRV (ms)", data.hrv.map((r) => r.value), p.teal, { pointRadius: 2, showLine: false }),
    line("7-day mean", data.hrv.map((r) => r.mean_7d), p.orange) ] },
    options: { scales: { x: C.timeAxis("Day"), y: C.valueAxis("HRV, rMSSD (ms)") },
      plugins: { legend: { position: "bottom", labels: { filter: (item) => item.text !== "" } } } } });

  // Past days solid; the days ahead of the active plan dashed, joined at today.
  const past = data.fitness_fatigue, ahead = data.fitness_ahead || [];
  const both = past.concat(ahead);
  const solid = (key) => past.map((r) => r[key]).concat(ahead.map(() => null));
  const dashed = (key) => past.map((r, i) => (i === past.length - 1 ? r[key] : null)).concat(ahead.map((r) => r[key]));
  const ffSets = [
    line("Fitness (CTL)", solid("ctl"), p.blue),
    line("Fatigue (ATL)", solid("atl"), p.purple),
    line("Form (TSB)", solid("tsb"), p.orange) ];
  if (ahead.length) {
    ffSets.push(line("Fitness ahead", dashed("ctl"), p.blue, { borderDash: [5, 4] }),
      line("Fatigue ahead", dashed("atl"), p.purple, { borderDash: [5, 4] }),
      line("Form ahead", dashed("tsb"), p.orange, { borderDash: [5, 4] }));
  }
  C.draw("chart-ff", { type: "line", data: { labels: labels(both), datasets: ffSets },
    options: { scales: { x: C.timeAxis("Day"), y: C.valueAxis("Load units") } } });

  C.draw("chart-health", { type: "line", data: { labels: labels(data.health), datasets: [
    line("VO2max (ml/kg/min)", data.health.map((r) => r.vo2_max), p.purple, { yAxisID: "y" }),
    line("Recovery (0-100)", data.health.map((r) => r.recovery_score), p.orange, { yAxisID: "y1" }) ] },
    options: { scales: { x: C.timeAxis(data.health_view === "day" ? "Day" : data.health_view === "week" ? "Week starting" : "Month"),
      y: C.valueAxis("VO2max (ml/kg/min)"),
      y1: C.valueAxis("Recovery (0-100)", { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }) } } });

  if (data.pace_curve && data.pace_curve.length) {
    const clock = (s) => (s < 3600 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(s % 3600 ? 1 : 0) + " h");
    const curve = (key) => data.pace_curve.map((r) => ({ x: r.seconds, y: r[key] }));
    C.draw("chart-pace-curve", { type: "line", data: { datasets: [
      line("Last 90 days", curve("recent"), p.blue, { parsing: false, tension: 0 }),
      line("All time", curve("all_time"), p.grey, { parsing: false, tension: 0, borderDash: [4, 3] }) ] },
      options: { scales: {
        x: { type: "logarithmic", min: 30, max: 10800, title: { display: true, text: "Duration" },
             // Ticks where runners think: 30 s, 1, 5, 10 and 30 min, 1 and 3 h.
             afterBuildTicks: (axis) => { axis.ticks = [30, 60, 300, 600, 1800, 3600, 10800].map((v) => ({ value: v })); },
             ticks: { maxRotation: 0, autoSkip: false, callback: (v) => (v < 60 ? "30 s" : clock(v)) } },
        y: C.paceAxis(data.unit) },
        plugins: { tooltip: C.paceTooltip() } } });
  }
})();
