/* The athlete profile's charts. */
(function () {
  "use strict";
  const C = window.AstralCharts;
  const data = C && C.payload();
  if (!data) return;
  const p = C.palette;
  const labels = (rows, key) => rows.map((r) => r[key || "date"]);
  const line = (label, values, color, extra) => Object.assign({ type: "line", label: label, data: values,
    borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0.3, spanGaps: true }, extra || {});

  C.draw("chart-distance", { type: "bar", data: { labels: labels(data.daily_distance), datasets: [
    { label: "Distance (" + data.unit + ")", data: data.daily_distance.map((r) => r.value), backgroundColor: p.blue },
    line("7-day trend", data.daily_distance.map((r) => r.trend), p.orange) ] } });

  C.draw("chart-load", { type: "bar", data: { labels: labels(data.weekly_training_load, "week_start"), datasets: [
    { label: "Weekly load", data: data.weekly_training_load.map((r) => r.value), backgroundColor: p.teal },
    line("4-week trend", data.weekly_training_load.map((r) => r.trend), p.orange) ] } });

  C.draw("chart-rhr", { type: "line", data: { labels: labels(data.resting_hr), datasets: [
    line("Resting HR (bpm)", data.resting_hr.map((r) => r.value), p.blue, { pointRadius: 2, showLine: false }),
    line("30-day trend", data.resting_hr.map((r) => r.trend), p.orange) ] } });

  C.draw("chart-ff", { type: "line", data: { labels: labels(data.fitness_fatigue), datasets: [
    line("Fitness (CTL)", data.fitness_fatigue.map((r) => r.ctl), p.blue),
    line("Fatigue (ATL)", data.fitness_fatigue.map((r) => r.atl), p.purple),
    line("Form (TSB)", data.fitness_fatigue.map((r) => r.tsb), p.orange) ] } });

  C.draw("chart-health", { type: "line", data: { labels: labels(data.health), datasets: [
    line("Resting HR", data.health.map((r) => r.resting_hr), p.blue),
    line("HRV (ms)", data.health.map((r) => r.hrv), p.teal),
    line("VO2max", data.health.map((r) => r.vo2_max), p.purple),
    line("Recovery", data.health.map((r) => r.recovery_score), p.orange) ] } });
})();
