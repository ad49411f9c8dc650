import type { CampaignListEntry } from "./campaigns.server";
import type { ArmResult, CampaignResults } from "./results.server";

/** Campaign results and lists as text for the command line; the JSON forms are the objects themselves. */

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);
const count = (value: number) => value.toLocaleString("en");

function formatMoney(value: number | null, currency: string): string {
  if (value === null) return "–";
  return `${currency} ${value.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

function armRow(name: string, arm: ArmResult, currency: string): string[] {
  const interval = arm.interval ? `${(arm.interval.low * 100).toFixed(1)}–${(arm.interval.high * 100).toFixed(1)} %` : "–";
  return [name, count(arm.recipients), count(arm.conversions), percent(arm.rate), interval, formatMoney(arm.revenue, currency), formatMoney(arm.revenuePerRecipient, currency), count(arm.windowsOpen)];
}

const reasons = (skipped: Record<string, number>) =>
  Object.entries(skipped)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${count(n)}`)
    .join(", ");

export function formatResults(results: CampaignResults, shop: string): string {
  const { campaign, decisions, deliveries, arms, currency } = results;
  const lines: string[] = [];
  lines.push(`Campaign "${campaign.name}" (${campaign.id}): ${campaign.kind}, ${campaign.status}, ${shop}`);
  lines.push(
    `${campaign.segmentId ? `segment ${campaign.segmentId} · ` : ""}holdout ${campaign.holdoutPercent} % · attribution ${campaign.attributionHours} h · as of ${results.asOf}`,
  );
  lines.push("");
  const skippedTotal = Object.values(decisions.skipped).reduce((a, b) => a + b, 0);
  lines.push(
    `Decided ${count(decisions.total)} members: ${count(decisions.treatment)} to message, ${count(decisions.holdout)} held out, ${count(skippedTotal)} skipped` +
      (skippedTotal > 0 ? ` (${reasons(decisions.skipped)})` : ""),
  );
  const pushes = Object.entries(deliveries.pushes).map(([status, n]) => `${status} ${count(n)}`).join(", ");
  lines.push(`Sent to ${count(deliveries.recipientsSent)} members; pushes ${pushes || "none yet"}; tapped by ${count(deliveries.recipientsClicked)}`);
  lines.push("");
  lines.push(
    table([
      ["arm", "members", "converted", "rate", "95 % CI", "revenue", "per member", "windows open"],
      armRow("treatment", arms.treatment, currency),
      armRow("holdout", arms.holdout, currency),
    ]),
  );
  lines.push("");
  if (results.uplift) {
    lines.push(`Uplift: ${results.uplift.summary}`);
    if (results.revenuePerRecipientDifference !== null) lines.push(`Revenue per member, treatment − holdout: ${formatMoney(results.revenuePerRecipientDifference, currency)}.`);
    lines.push(`Method: ${results.uplift.method}.`);
  } else {
    lines.push("Uplift: not yet measurable: an arm has no member whose send time has come.");
  }
  if (results.variants.length > 1) {
    lines.push("");
    lines.push(
      table([
        ["variant", "members", "sent", "converted", "rate", "tapped"],
        ...results.variants.map((v) => [v.id, count(v.recipients), count(v.sent), count(v.conversions), percent(v.rate), count(v.clicked)]),
      ]),
    );
  }
  if (results.discount) {
    const d = results.discount;
    lines.push("");
    lines.push(
      `Discount ${d.percentOff} %: ${count(d.codesIssued)} personal codes, ${count(d.convertedWithCode)} of those members ordered; the codes cost at most ${formatMoney(d.codesCost, currency)}.`,
    );
    lines.push(
      `The same discount for every member over the same days (${d.from.slice(0, 10)} to ${d.until.slice(0, 10)}) would have cost ${formatMoney(d.blanketCost, currency)} (on ${formatMoney(d.blanketRevenue, currency)} of members' orders).`,
    );
  }
  return lines.join("\n");
}

export function formatCampaignList(campaigns: CampaignListEntry[]): string {
  if (campaigns.length === 0) return "No campaigns yet.";
  return table([
    ["id", "name", "kind", "status", "segment", "starts", "decided", "sent"],
    ...campaigns.map((c) => [c.id, c.name, c.kind, c.status, c.segmentId ?? "–", c.startsAt ? c.startsAt.toISOString().slice(0, 16).replace("T", " ") : "–", count(c.decided), count(c.sent)]),
  ]);
}
