import type { HeatmapRow } from "./figures";
import { formatKpiValue, type KpiFigure } from "./kpis";
import { INK, mix, Raster, RULE, SUBDUED, WHITE, type Rgb } from "./raster";

/**
 * The report's charts as PNG: the retention heatmap (acquisition week ×
 * weeks since the first visit) and the KPI panels (last week and this week
 * with their 95 % intervals and the target). Pure: figures in, bytes out.
 */

export interface ChartAsset {
  name: string;
  contentType: "image/png";
  /** Alternative text for the email and the admin. */
  alt: string;
  data: Buffer;
}

const LOW: Rgb = [235, 244, 250];
const HIGH: Rgb = [0, 91, 155];
const LAST: Rgb = [166, 178, 190];
const THIS: Rgb = [0, 128, 96];
const TARGET: Rgb = [214, 92, 33];

const HEAT_LEFT = 200;
const HEAT_TOP = 64;
const CELL_W = 50;
const CELL_H = 28;

export function heatmapChart(rows: readonly HeatmapRow[], weeks: number): ChartAsset {
  const height = HEAT_TOP + Math.max(1, rows.length) * CELL_H + 40;
  const width = HEAT_LEFT + weeks * CELL_W + 16;
  const chart = new Raster(width, height);
  chart.text(16, 14, "Retention by acquisition week", INK, { scale: 2 });
  chart.text(16, 38, "share of each week's new customers who visited n weeks later", SUBDUED);
  for (let week = 0; week < weeks; week++) chart.text(HEAT_LEFT + week * CELL_W + CELL_W / 2, HEAT_TOP - 12, `+${week}`, SUBDUED, { align: "center" });
  if (rows.length === 0) chart.text(HEAT_LEFT, HEAT_TOP + 10, "No customers yet", SUBDUED, { scale: 2 });
  rows.forEach((row, index) => {
    const y = HEAT_TOP + index * CELL_H;
    chart.text(16, y + 10, `${row.cohort} n=${row.size}`, INK);
    row.cells.slice(0, weeks).forEach((cell, week) => {
      const x = HEAT_LEFT + week * CELL_W;
      if (!cell) {
        chart.fillRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2, [248, 248, 248]);
        return;
      }
      const fill = mix(LOW, HIGH, cell.share);
      chart.fillRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2, fill);
      const label = `${Math.round(cell.share * 100)}%`;
      chart.text(x + CELL_W / 2, y + 10, label, cell.share > 0.5 ? WHITE : INK, { align: "center" });
      // A week the data ends inside can still grow: marked with a corner.
      if (cell.partial) chart.fillRect(x + CELL_W - 8, y + 2, 5, 5, TARGET);
    });
  });
  const legendY = HEAT_TOP + Math.max(1, rows.length) * CELL_H + 14;
  chart.fillRect(HEAT_LEFT, legendY, 10, 10, mix(LOW, HIGH, 0));
  chart.text(HEAT_LEFT + 14, legendY + 2, "0%", SUBDUED);
  chart.fillRect(HEAT_LEFT + 50, legendY, 10, 10, mix(LOW, HIGH, 1));
  chart.text(HEAT_LEFT + 64, legendY + 2, "100%", SUBDUED);
  chart.fillRect(HEAT_LEFT + 110, legendY + 2, 5, 5, TARGET);
  chart.text(HEAT_LEFT + 120, legendY + 2, "week not over at the data's end", SUBDUED);
  return {
    name: "heatmap.png",
    contentType: "image/png",
    alt: `Retention heatmap: ${rows.length} acquisition weeks by weeks since the first visit`,
    data: chart.toPng(),
  };
}

const PANEL_W = 300;
const PANEL_H = 190;
const COLUMNS = 3;

export function kpiChart(kpis: readonly KpiFigure[], weeks: { last: string; current: string }, currency: string): ChartAsset {
  const rows = Math.max(1, Math.ceil(kpis.length / COLUMNS));
  const chart = new Raster(COLUMNS * PANEL_W, rows * PANEL_H + 40);
  chart.text(16, 12, "KPIs: last week and this week", INK, { scale: 2 });
  kpis.forEach((kpi, index) => drawKpiPanel(chart, kpi, (index % COLUMNS) * PANEL_W, 40 + Math.floor(index / COLUMNS) * PANEL_H, weeks, currency));
  return {
    name: "kpis.png",
    contentType: "image/png",
    alt: `KPIs for ${weeks.last} and ${weeks.current} with 95 % intervals and targets`,
    data: chart.toPng(),
  };
}

function drawKpiPanel(chart: Raster, kpi: KpiFigure, left: number, top: number, weeks: { last: string; current: string }, currency: string): void {
  chart.line(left + 8, top, left + PANEL_W - 8, top, RULE);
  chart.text(left + 12, top + 10, kpi.label, INK);
  const plotTop = top + 44;
  const plotBottom = top + PANEL_H - 30;
  const values = [kpi.lastWeek.high, kpi.lastWeek.value, kpi.thisWeek.high, kpi.thisWeek.value, kpi.target].filter((v): v is number => v !== null && Number.isFinite(v));
  if (kpi.thisWeek.value === null && kpi.lastWeek.value === null) {
    chart.text(left + PANEL_W / 2, (plotTop + plotBottom) / 2, "no data", SUBDUED, { align: "center", scale: 2 });
    return;
  }
  const max = Math.max(...values, 1e-9) * 1.12;
  const y = (value: number) => plotBottom - (Math.max(0, value) / max) * (plotBottom - plotTop);
  chart.line(left + 20, plotBottom, left + PANEL_W - 20, plotBottom, SUBDUED);
  const bars: Array<{ measure: KpiFigure["lastWeek"]; color: Rgb; label: string; x: number }> = [
    { measure: kpi.lastWeek, color: LAST, label: weeks.last, x: left + 70 },
    { measure: kpi.thisWeek, color: THIS, label: weeks.current, x: left + 170 },
  ];
  for (const bar of bars) {
    chart.text(bar.x + 30, plotBottom + 8, bar.label, SUBDUED, { align: "center" });
    if (bar.measure.value === null) {
      chart.text(bar.x + 30, plotBottom - 14, "no data", SUBDUED, { align: "center" });
      continue;
    }
    const top = y(bar.measure.value);
    chart.fillRect(bar.x, top, 60, plotBottom - top, bar.color);
    chart.text(bar.x + 30, Math.max(top, plotTop) - 22, formatKpiValue(kpi.unit, bar.measure.value, currency), INK, { align: "center" });
    if (bar.measure.low !== null && bar.measure.high !== null) {
      const whiskerTop = y(bar.measure.high);
      const whiskerBottom = y(bar.measure.low);
      chart.line(bar.x + 30, whiskerTop, bar.x + 30, whiskerBottom, INK, 2);
      chart.line(bar.x + 22, whiskerTop, bar.x + 38, whiskerTop, INK, 2);
      chart.line(bar.x + 22, whiskerBottom, bar.x + 38, whiskerBottom, INK, 2);
    }
  }
  if (kpi.target !== null) {
    const targetY = y(kpi.target);
    chart.line(left + 40, targetY, left + 250, targetY, TARGET, 2, 6);
    chart.text(left + 252, targetY - 3, "target", TARGET);
  }
  const trend = kpi.trend === "up" ? "up" : kpi.trend === "down" ? "down" : kpi.trend === "steady" ? "no clear change" : "";
  chart.text(left + 12, top + 24, trend, kpi.trend === "down" ? TARGET : kpi.trend === "up" ? THIS : SUBDUED);
}
