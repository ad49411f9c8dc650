import type { WeeklyFigures } from "./figures";
import { formatInterval, formatKpiChange, formatKpiValue, TREND_WORDS } from "./kpis";

/**
 * The report as an HTML email and as CSV, from its figures. Every text that
 * comes from the shop (its name, campaign and location names) is escaped;
 * images are referenced through `imageSrc` (cid: in the email, data: URIs in
 * a downloaded file, the asset route in the admin).
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char);
}

/** The Content-ID an asset is attached under in the email. */
export function contentId(assetName: string, week: string): string {
  return `${assetName}.${week}@regulars`;
}

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);
const hours = (list: readonly number[]) => (list.length === 0 ? "–" : list.map((h) => `${String(h).padStart(2, "0")}:00`).join(", "));

export function reportSubject(figures: WeeklyFigures): string {
  return `${figures.shopName ?? figures.shop}: weekly retention report ${figures.week} (${figures.from} to ${figures.to})`;
}

/**
 * A KPI row's figures as data attributes at full precision (empty: none), so
 * a program reading the mail finds the same numbers as the stored figures.
 */
function kpiData(kpi: WeeklyFigures["kpis"][number]): string {
  const number = (value: number | null) => (value === null ? "" : String(value));
  return `data-kpi="${escapeHtml(kpi.id)}" data-last-week="${number(kpi.lastWeek.value)}" data-this-week="${number(kpi.thisWeek.value)}" data-target="${number(kpi.target)}" data-trend="${kpi.trend}"`;
}

export function renderReportHtml(figures: WeeklyFigures, imageSrc: (assetName: string) => string): string {
  const currency = figures.currency;
  const cell = 'style="padding:6px 10px;border-bottom:1px solid #e1e3e5;text-align:left;vertical-align:top"';
  const head = 'style="padding:6px 10px;border-bottom:2px solid #8c9196;text-align:left"';
  const kpiRows = figures.kpis
    .map(
      (kpi) =>
        `<tr ${kpiData(kpi)}><td ${cell}><strong>${escapeHtml(kpi.label)}</strong><br><span style="color:#6d7175;font-size:12px">${escapeHtml(kpi.note ?? kpi.meaning)}</span></td>` +
        `<td ${cell}>${escapeHtml(formatKpiValue(kpi.unit, kpi.lastWeek.value, currency))}<br><span style="color:#6d7175;font-size:12px">${escapeHtml(formatInterval(kpi.unit, kpi.lastWeek, currency))}</span></td>` +
        `<td ${cell}>${escapeHtml(formatKpiValue(kpi.unit, kpi.thisWeek.value, currency))}<br><span style="color:#6d7175;font-size:12px">${escapeHtml(formatInterval(kpi.unit, kpi.thisWeek, currency))}</span></td>` +
        `<td ${cell}>${escapeHtml(kpi.target === null ? "–" : formatKpiValue(kpi.unit, kpi.target, currency))}${kpi.targetMet === null ? "" : kpi.targetMet ? " ✓" : " ✗"}</td>` +
        `<td ${cell}>${escapeHtml(TREND_WORDS[kpi.trend])}<br><span style="color:#6d7175;font-size:12px">${escapeHtml(formatKpiChange(kpi.unit, kpi.change, currency))}</span></td></tr>`,
    )
    .join("");
  const findings = figures.findings.map((f) => `<li style="margin-bottom:8px">${escapeHtml(f.sentence)}</li>`).join("");
  const campaigns =
    figures.campaigns.length === 0
      ? `<p style="color:#6d7175">No campaign messaged members in ${escapeHtml(figures.previousWeek)} or ${escapeHtml(figures.week)}.</p>`
      : `<table style="border-collapse:collapse;width:100%"><tr><th ${head}>Campaign</th><th ${head}>Messaged</th><th ${head}>Held out</th><th ${head}>Uplift over the holdout</th></tr>${figures.campaigns
          .map(
            (c) =>
              `<tr><td ${cell}>${escapeHtml(c.name)}<br><span style="color:#6d7175;font-size:12px">${escapeHtml(c.kind)}, ${escapeHtml(c.status)}</span></td>` +
              `<td ${cell}>${c.treatment.conversions} of ${c.treatment.recipients} converted (${percent(c.treatment.rate)})</td>` +
              `<td ${cell}>${c.holdout.conversions} of ${c.holdout.recipients} converted (${percent(c.holdout.rate)})</td>` +
              `<td ${cell}>${escapeHtml(c.uplift?.summary ?? "Not yet measurable: an arm has no member whose send time has come.")}</td></tr>`,
          )
          .join("")}</table>`;
  const pickup =
    figures.pickup.thisWeek.length === 0
      ? `<p style="color:#6d7175">No location took orders for pickup or at the counter this week.</p>`
      : `<table style="border-collapse:collapse;width:100%"><tr><th ${head}>Location</th><th ${head}>Orders</th><th ${head}>Pickup orders</th><th ${head}>Peak hours</th><th ${head}>Prepaid at peak</th><th ${head}>Ready on time</th><th ${head}>No-shows</th></tr>${figures.pickup.thisWeek
          .map(
            (l) =>
              `<tr><td ${cell}>${escapeHtml(l.name)}</td><td ${cell}>${l.orders}</td><td ${cell}>${l.pickupOrders}</td><td ${cell}>${hours(l.peakHours)}</td>` +
              `<td ${cell}>${percent(l.peakPickupShare)} (${l.peakPickupOrders} of ${l.peakOrders})</td><td ${cell}>${percent(l.onTimeRate)}</td><td ${cell}>${l.noShows}</td></tr>`,
          )
          .join("")}</table>`;
  const perks = figures.perks
    ? figures.perks.programs.length === 0
      ? `<p style="color:#6d7175" data-perks-redeemed="0">No perks were redeemed this week or last.</p>`
      : `<p data-perks-redeemed="${figures.perks.redeemed}">${figures.perks.redeemed} perk${figures.perks.redeemed === 1 ? "" : "s"} redeemed this week (${figures.perks.lastWeek} the week before).</p><table style="border-collapse:collapse;width:100%"><tr><th ${head}>Program</th><th ${head}>${escapeHtml(figures.previousWeek)}</th><th ${head}>${escapeHtml(figures.week)}</th></tr>${figures.perks.programs
          .map((p) => `<tr><td ${cell}>${escapeHtml(p.name)}</td><td ${cell}>${p.lastWeek}</td><td ${cell}>${p.redeemed}</td></tr>`)
          .join("")}</table>`
    : "";
  const notes = figures.notes.length === 0 ? "" : `<h2 style="font-size:16px">Notes</h2><ul>${figures.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`;
  const title = escapeHtml(reportSubject(figures));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f6f6f7;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#202223">
<div style="max-width:920px;margin:0 auto;background:#ffffff;padding:24px;border-radius:8px">
<h1 style="font-size:20px;margin:0 0 4px">${escapeHtml(figures.shopName ?? figures.shop)}: week ${escapeHtml(figures.week)}</h1>
<p style="color:#6d7175;margin:0 0 16px">${escapeHtml(figures.from)} to ${escapeHtml(figures.to)} (${escapeHtml(figures.timezone)}), against ${escapeHtml(figures.previousWeek)}. Intervals are 95 %; a trend is called only when the two weeks' intervals do not overlap.</p>
<h2 style="font-size:16px">Findings</h2><ol>${findings}</ol>
<h2 style="font-size:16px">The week at a glance</h2>
<table style="border-collapse:collapse;width:100%"><tr><th ${head}>KPI</th><th ${head}>${escapeHtml(figures.previousWeek)}</th><th ${head}>${escapeHtml(figures.week)}</th><th ${head}>Target</th><th ${head}>Trend</th></tr>${kpiRows}</table>
<p><img src="${escapeHtml(imageSrc("kpis.png"))}" alt="KPIs for ${escapeHtml(figures.previousWeek)} and ${escapeHtml(figures.week)} with 95 % intervals and targets" style="max-width:100%"></p>
<h2 style="font-size:16px">Retention by acquisition week</h2>
<p><img src="${escapeHtml(imageSrc("heatmap.png"))}" alt="Retention heatmap by acquisition week" style="max-width:100%"></p>
<h2 style="font-size:16px">Campaigns</h2>${campaigns}
<h2 style="font-size:16px">Pickup</h2>${pickup}
${perks ? `<h2 style="font-size:16px">Perks redeemed</h2>${perks}` : ""}
${notes}
<p style="color:#6d7175;font-size:12px;margin-top:24px">The figures are attached as CSV. A visit is one customer on one local day at one location; return probabilities are Kaplan–Meier estimates, so recent visits are censored, not counted as lost.</p>
</div></body></html>
`;
}

/** Writes a CSV cell: quoted when needed; text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The figures as long-format CSV (section, key, field, value): every number at full precision, equal to the JSON. */
export function renderReportCsv(figures: WeeklyFigures): string {
  const rows: Array<[string, string, string, string | number | boolean | null]> = [];
  const add = (section: string, key: string, field: string, value: string | number | boolean | null) => rows.push([section, key, field, value]);
  add("report", figures.shop, "week", figures.week);
  add("report", figures.shop, "previous_week", figures.previousWeek);
  add("report", figures.shop, "from", figures.from);
  add("report", figures.shop, "to", figures.to);
  add("report", figures.shop, "timezone", figures.timezone);
  add("report", figures.shop, "currency", figures.currency);
  for (const kpi of figures.kpis) {
    add("kpi", kpi.id, "label", kpi.label);
    for (const [name, measure] of [["last_week", kpi.lastWeek], ["this_week", kpi.thisWeek]] as const) {
      add("kpi", kpi.id, name, measure.value);
      add("kpi", kpi.id, `${name}_low`, measure.low);
      add("kpi", kpi.id, `${name}_high`, measure.high);
      add("kpi", kpi.id, `${name}_n`, measure.n);
    }
    add("kpi", kpi.id, "target", kpi.target);
    add("kpi", kpi.id, "change", kpi.change);
    add("kpi", kpi.id, "trend", kpi.trend);
    add("kpi", kpi.id, "target_met", kpi.targetMet);
  }
  for (const row of figures.heatmap.rows) {
    add("heatmap", row.cohort, "size", row.size);
    row.cells.forEach((cell, week) => {
      if (cell) add("heatmap", row.cohort, `week_${week}`, cell.share);
    });
  }
  const best = figures.cohorts.best;
  if (best) {
    add("cohort", best.cohort, `return_${figures.cohorts.returnDays}d`, best.p);
    add("cohort", best.cohort, `return_${figures.cohorts.returnDays}d_low`, best.low);
    add("cohort", best.cohort, `return_${figures.cohorts.returnDays}d_high`, best.high);
    add("cohort", best.cohort, "visits", best.visits);
  }
  for (const c of figures.campaigns) {
    add("campaign", c.id, "name", c.name);
    add("campaign", c.id, "treatment_recipients", c.treatment.recipients);
    add("campaign", c.id, "treatment_conversions", c.treatment.conversions);
    add("campaign", c.id, "holdout_recipients", c.holdout.recipients);
    add("campaign", c.id, "holdout_conversions", c.holdout.conversions);
    add("campaign", c.id, "uplift", c.uplift?.difference ?? null);
    add("campaign", c.id, "uplift_low", c.uplift?.low ?? null);
    add("campaign", c.id, "uplift_high", c.uplift?.high ?? null);
    add("campaign", c.id, "uplift_p_value", c.uplift?.pValue ?? null);
    add("campaign", c.id, "verdict", c.uplift?.verdict ?? "not-measurable");
  }
  for (const [name, locations] of [["this_week", figures.pickup.thisWeek], ["last_week", figures.pickup.lastWeek]] as const) {
    for (const l of locations) {
      const key = `${name}:${l.locationId}`;
      add("pickup", key, "orders", l.orders);
      add("pickup", key, "pickup_orders", l.pickupOrders);
      add("pickup", key, "peak_orders", l.peakOrders);
      add("pickup", key, "peak_pickup_orders", l.peakPickupOrders);
      add("pickup", key, "peak_pickup_share", l.peakPickupShare);
      add("pickup", key, "on_time_rate", l.onTimeRate);
      add("pickup", key, "no_shows", l.noShows);
    }
  }
  if (figures.perks) {
    add("perks", "all", "redeemed", figures.perks.redeemed);
    add("perks", "all", "redeemed_last_week", figures.perks.lastWeek);
    for (const p of figures.perks.programs) {
      add("perks", p.programId, "name", p.name);
      add("perks", p.programId, "redeemed", p.redeemed);
      add("perks", p.programId, "redeemed_last_week", p.lastWeek);
    }
  }
  figures.findings.forEach((finding, index) => add("finding", String(index + 1), finding.supported ? "supported" : "no-claim", finding.sentence));
  return ["section,key,field,value", ...rows.map((row) => row.map(csvCell).join(","))].join("\r\n") + "\r\n";
}

/** The stored (emailed) HTML made self-contained: each cid: image replaced by a data: URI, for a downloaded file. */
export function inlineImages(html: string, week: string, assets: ReadonlyArray<{ name: string; contentType: string; data: Buffer }>): string {
  let inlined = html;
  for (const asset of assets) {
    inlined = inlined.split(`cid:${escapeHtml(contentId(asset.name, week))}`).join(`data:${asset.contentType};base64,${asset.data.toString("base64")}`);
  }
  return inlined;
}
