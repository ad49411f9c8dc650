import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { produceWeeklyReport } from "../../app/reports/generate.server";
import { DEMO_SHOP } from "../../app/shops/demo.server";
import { registerInstall } from "../../app/shops/shops.server";
import { spawnApp, type AppProcess } from "../support/app-process";
import { REPORT_PREVIOUS_WEEK, REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { startTestStack, stackKinds, type TestStack } from "../support/stacks";

/** The admin's report pages, served by the running app (the demo's shop): an empty state, the list, one report, its files; never another shop's. */

const kind = stackKinds()[0];
const OTHER = "south-cafe.myshopify.com";
const FROM = "Regulars <reports@regulars.invalid>";

describe.runIf(kind)("report pages in the admin", () => {
  let stack: TestStack;
  let app: AppProcess;
  let origin: string;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    await registerInstall(stack.runtime.db, { domain: DEMO_SHOP, name: "Demo Cafe", timezone: "Europe/London", currency: "GBP", isDemo: true });
    app = spawnApp({ DEMO: "1", ROLE: "web", DATABASE_URL: stack.runtime.database.url });
    origin = await app.ready;
  }, 180_000);

  afterAll(async () => {
    await app?.stop("SIGINT");
    await stack?.stop();
  });

  const get = async (path: string) => {
    const response = await fetch(`${origin}${path}`);
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body, html: body.toString("utf8").replace(/<!-- -->/g, "") };
  };

  it("shows a useful empty state on a shop with no report and no visits", async () => {
    const { status, html } = await get("/app/reports");
    expect(status).toBe(200);
    expect(html).toContain("No weekly reports yet.");
    expect(html).toContain("Reports need visits");
    expect(html).toContain("Nobody receives it by mail yet");
    expect(html).toContain(`regulars report --shop ${DEMO_SHOP} --week`);
    expect(html).toContain('href="/app/reports"');
  }, 120_000);

  it("lists, shows and serves the shop's reports, and nothing of another shop's", async () => {
    const db = stack.runtime.db;
    await seedReportShop(db, DEMO_SHOP, { name: "Demo Cafe" });
    await seedReportShop(db, OTHER, { name: "South Cafe" });
    await produceWeeklyReport(db, DEMO_SHOP, REPORT_WEEK, { mailer: null, from: FROM, send: false });
    await produceWeeklyReport(db, OTHER, REPORT_PREVIOUS_WEEK, { mailer: null, from: FROM, send: false });

    const list = await get("/app/reports");
    expect(list.html).toContain(`href="/app/reports/${REPORT_WEEK}"`);
    expect(list.html).not.toContain(REPORT_PREVIOUS_WEEK);

    const page = await get(`/app/reports/${REPORT_WEEK}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("No KPI moved beyond week-to-week noise");
    expect(page.html).toContain("Repurchase rate");
    // The charts come with the page (an <img> request in the admin frame carries no session token).
    expect(page.html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]{100,}" alt="Retention heatmap/);
    expect(page.html).toContain("Download CSV");

    const chart = await get(`/app/reports/${REPORT_WEEK}/heatmap.png`);
    expect(chart.status).toBe(200);
    expect(chart.headers.get("content-type")).toBe("image/png");
    const stored = await db.weeklyReportAsset.findUniqueOrThrow({ where: { shop_week_name: { shop: DEMO_SHOP, week: REPORT_WEEK, name: "heatmap.png" } } });
    expect(chart.body.equals(Buffer.from(stored.data))).toBe(true);

    const csv = await get(`/app/reports/${REPORT_WEEK}/report.csv`);
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="regulars-2026-W09.csv"');
    expect(csv.html).toContain("kpi,repurchase-rate,this_week,0.5");

    // The other shop's week, and anything that is not a report file, is not found.
    for (const path of [
      `/app/reports/${REPORT_PREVIOUS_WEEK}`,
      `/app/reports/${REPORT_PREVIOUS_WEEK}/heatmap.png`,
      `/app/reports/${REPORT_PREVIOUS_WEEK}/report.html`,
      `/app/reports/2026-W99`,
      `/app/reports/${REPORT_WEEK}/..%2Fsecret.png`,
      `/app/reports/${REPORT_WEEK}/missing.png`,
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
  }, 120_000);
});
