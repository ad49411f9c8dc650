import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retentionMatrix } from "../../app/analytics/cohorts/retention.server";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { HEATMAP_COHORTS, type WeeklyFigures } from "../../app/reports/figures";
import { startMailCapture, type MailCapture } from "../../app/reports/capture-smtp.server";
import { formatInterval, formatKpiValue, KPI_IDS } from "../../app/reports/kpis";
import { setRuntime } from "../../app/runtime.server";
import { DEMO_SHOP, ensureDemoShop } from "../../app/shops/demo.server";
import { runCliAsync } from "../support/cli";
import { parseCaptured } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Acceptance (issue 7): the emailed report of a week of the demo's simulated
 * cafe arrives in the local SMTP capture, each inline image it references is
 * a PNG attached under that Content-ID, and its KPI numbers equal those of
 * `regulars report --json` and of the admin home page for the same week.
 *
 * The demo shop is seeded as the demo's simulated cafe is (`regulars simulate`
 * → `regulars import orders`, then the analytics precompute); the report is
 * made and mailed by `regulars report --send` through the capture server.
 */

// The routes read the app's configuration when first imported: the demo's.
process.env.DEMO = "1";
const home = await import("../../app/routes/app._index");

/** The CLI runs in its own process, so the database must be a server both can reach. */
const kind = stackKinds().find((k) => k.database === "server");
/** The simulated history ends at this local midnight: its last day is Sunday 2026-03-01, the end of the reported week. */
const SIMULATION_END = "2026-03-02";
const WEEK = "2026-W09";
const PREVIOUS_WEEK = "2026-W08";
const RECIPIENT = "owner@demo-cafe.example";

/** The KPI rows of the report's HTML: the figures its data attributes carry, at full precision. */
function kpisInHtml(html: string): Array<{ id: string; lastWeek: number | null; thisWeek: number | null; target: number | null; trend: string }> {
  const rows = [...html.matchAll(/<tr data-kpi="([^"]+)" data-last-week="([^"]*)" data-this-week="([^"]*)" data-target="([^"]*)" data-trend="([^"]*)">/g)];
  const number = (text: string | undefined) => (text === undefined || text === "" ? null : Number(text));
  return rows.map(([, id, last, current, target, trend]) => ({ id: id ?? "", lastWeek: number(last), thisWeek: number(current), target: number(target), trend: trend ?? "" }));
}

/** The KPI table's cells as the mail shows them: each week's value and interval text. */
function kpiCellsInHtml(html: string): Array<{ id: string; lastWeek: string; lastWeekInterval: string; thisWeek: string; thisWeekInterval: string }> {
  const cell = String.raw`<td [^>]*>([^<]*)<br><span [^>]*>([^<]*)</span></td>`;
  const row = new RegExp(String.raw`<tr data-kpi="([^"]+)"[^>]*><td [^>]*>.*?</td>${cell}${cell}`, "g");
  const text = (html: string | undefined) => (html ?? "").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  return [...html.matchAll(row)].map((m) => ({ id: m[1] ?? "", lastWeek: text(m[2]), lastWeekInterval: text(m[3]), thisWeek: text(m[4]), thisWeekInterval: text(m[5]) }));
}

/** A PNG's size, how many distinct colours it uses, and the share of its pixels that are not the background (its top-left pixel). */
function pngSummary(data: Buffer): { width: number; height: number; colours: number; drawn: number } {
  const png = PNG.sync.read(data);
  const colours = new Set<number>();
  const background = png.data.readUInt32BE(0);
  let drawn = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const pixel = png.data.readUInt32BE(i);
    colours.add(pixel);
    if (pixel !== background) drawn += 1;
  }
  return { width: png.width, height: png.height, colours: colours.size, drawn: drawn / (png.width * png.height) };
}

describe.runIf(kind)("the demo week's emailed report, its --json and the admin home page", () => {
  let stack: TestStack;
  let capture: MailCapture;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind, { ROLE: "web" });
    setRuntime(stack.runtime);
    capture = await startMailCapture();
    dir = mkdtempSync(join(tmpdir(), "regulars-report-acceptance-"));
    env = { DATABASE_URL: stack.runtime.database.url };
    const db = stack.runtime.db;
    await ensureDemoShop(stack.runtime);
    await db.shopSettings.upsert({ where: { shop: DEMO_SHOP }, create: { shop: DEMO_SHOP, reportRecipients: [RECIPIENT] }, update: { reportRecipients: [RECIPIENT] } });

    const csv = join(dir, "demo-cafe.csv");
    const cli = async (args: string[]) => {
      const result = await runCliAsync(args, env);
      if (result.code !== 0) throw new Error(`regulars ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
      return result;
    };
    await cli(["simulate", "--seed", "demo", "--shop", DEMO_SHOP, "--months", "3", "--members", "600", "--locations", "2", "--until", SIMULATION_END, "--csv", csv, "--no-progress"]);
    await cli(["import", "orders", csv, "--shop", DEMO_SHOP, "--no-progress"]);
    await recomputeShop(db, DEMO_SHOP, { until: new Date("2026-03-01T00:00:00Z") });
  }, 300_000);

  afterAll(async () => {
    setRuntime(undefined);
    await capture?.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("mails the report with its charts inline, and its numbers are the --json figures and the home page's", async () => {
    // Home before the week has a report: its figures computed from the shop's data.
    const before = await homeGlance();
    expect(before.week).toBe(WEEK);
    expect(before.source).toBe("computed");

    const sent = await runCliAsync(["report", "--shop", DEMO_SHOP, "--week", WEEK, "--send", "--no-progress"], { ...env, SMTP_URL: capture.url });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`Mailed to ${RECIPIENT}`);

    // It arrived in the capture, addressed to the shop's recipient.
    expect(capture.messages).toHaveLength(1);
    const captured = capture.messages[0]!;
    expect(captured.to).toEqual([RECIPIENT]);
    const mail = await parseCaptured(captured);
    expect(mail.subject).toBe(`Demo Cafe: weekly retention report ${WEEK} (2026-02-23 to 2026-03-01)`);
    const html = typeof mail.html === "string" ? mail.html : "";
    expect(html).toContain(`Demo Cafe: week ${WEEK}`);

    // Every image the HTML shows is a PNG attached under that Content-ID: decodable, chart-sized, not blank.
    const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1] ?? "");
    expect(sources).toHaveLength(2);
    for (const source of sources) {
      expect(source).toMatch(/^cid:/);
      const attachment = mail.attachments.find((a) => a.cid === source.slice("cid:".length));
      expect(attachment, `attachment for ${source}`).toBeDefined();
      expect(attachment?.contentType).toBe("image/png");
      expect(attachment?.contentDisposition).toBe("inline");
      expect(attachment!.content.length).toBeGreaterThan(2_000);
      const png = pngSummary(attachment!.content);
      expect(png.width).toBeGreaterThanOrEqual(300);
      expect(png.height).toBeGreaterThanOrEqual(150);
      // Text, axes and bars or cells in several colours, on a background that is not the whole picture.
      expect(png.colours).toBeGreaterThanOrEqual(4);
      expect(png.drawn).toBeGreaterThan(0.02);
    }

    // `regulars report --json` prints the stored figures of the same week.
    const printed = await runCliAsync(["report", "--shop", DEMO_SHOP, "--week", WEEK, "--json", "--no-progress"], env);
    expect(printed.code).toBe(0);
    const figures = JSON.parse(printed.stdout) as WeeklyFigures;
    expect(figures.week).toBe(WEEK);
    expect(figures.previousWeek).toBe(PREVIOUS_WEEK);
    const stored = await stack.runtime.db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop: DEMO_SHOP, week: WEEK } } });
    expect(figures).toEqual(stored.figures);
    expect(stored.status).toBe("sent");

    // The demo week has real numbers: every default KPI has a value this week, so the comparison below compares something.
    expect(figures.kpis.map((k) => k.id)).toEqual([...KPI_IDS]);
    for (const kpi of figures.kpis.filter((k) => k.id !== "prepaid-peak-share")) expect(kpi.thisWeek.value, kpi.id).not.toBeNull();
    expect(figures.kpis.find((k) => k.id === "active-members")?.thisWeek.value).toBeGreaterThan(50);

    // The mail's numbers are the --json numbers, KPI by KPI, at full precision.
    const inMail = kpisInHtml(html);
    expect(inMail).toEqual(figures.kpis.map((k) => ({ id: k.id, lastWeek: k.lastWeek.value, thisWeek: k.thisWeek.value, target: k.target, trend: k.trend })));

    // The mail's table shows those numbers as the owner reads them, and so does Home — before the report existed, and from it now.
    const shown = figures.kpis.map((k) => ({
      id: k.id,
      lastWeek: formatKpiValue(k.unit, k.lastWeek.value, figures.currency),
      lastWeekInterval: formatInterval(k.unit, k.lastWeek, figures.currency),
      thisWeek: formatKpiValue(k.unit, k.thisWeek.value, figures.currency),
      thisWeekInterval: formatInterval(k.unit, k.thisWeek, figures.currency),
      trend: k.trend,
    }));
    expect(kpiCellsInHtml(html)).toEqual(shown.map(({ trend: _trend, ...cells }) => cells));
    const after = await homeGlance();
    expect(after.source).toBe("stored");
    for (const glance of [before, after]) {
      expect({ week: glance.week, previousWeek: glance.previousWeek, from: glance.from, to: glance.to }).toEqual({ week: WEEK, previousWeek: PREVIOUS_WEEK, from: figures.from, to: figures.to });
      expect(glance.rows.map((r) => ({ id: r.id, lastWeek: r.lastWeek, lastWeekInterval: r.lastWeekInterval, thisWeek: r.thisWeek, thisWeekInterval: r.thisWeekInterval, trend: r.trend }))).toEqual(shown);
    }
  }, 240_000);

  it("reads only the latest acquisition cohorts for the report's heatmap, and they are the full matrix's", async () => {
    const db = stack.runtime.db;
    const until = new Date("2026-03-01T00:00:00Z");
    const full = await retentionMatrix(db, DEMO_SHOP, { period: "week", until });
    expect(full.cohorts.length).toBeGreaterThan(HEATMAP_COHORTS);
    const latest = await retentionMatrix(db, DEMO_SHOP, { period: "week", until, latestCohorts: HEATMAP_COHORTS });
    expect(latest).toEqual({ ...full, cohorts: full.cohorts.slice(-HEATMAP_COHORTS) });
    await expect(retentionMatrix(db, DEMO_SHOP, { period: "week", until, latestCohorts: 0 })).rejects.toThrow("latestCohorts must be a whole number ≥ 1 (got 0)");
  }, 60_000);
});

/** The admin home page's week at a glance for the week, from its loader (authenticated as the demo shop, as the admin is in the demo). */
async function homeGlance() {
  const loaded = await home.loader({ request: new Request(`http://localhost/app?week=${WEEK}`), params: {}, context: {} });
  expect(loaded.weekProblem).toBeNull();
  if (!loaded.glance) throw new Error("the home page shows no week at a glance");
  return loaded.glance;
}
