import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDateOf } from "../../app/analytics/local-dates";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { createCampaign } from "../../app/campaigns/campaigns.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { localDayBounds } from "../../app/pickup/hours";
import { savePickupSettings, setMenu } from "../../app/pickup/settings.server";
import { produceWeeklyReport } from "../../app/reports/generate.server";
import { lastFullWeek } from "../../app/reports/week";
import { DEMO_SHOP } from "../../app/shops/demo.server";
import { registerInstall } from "../../app/shops/shops.server";
import { spawnApp, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";
import { insertMembers, insertOrder, reachableMember } from "../support/campaign-fixtures";
import { runCliAsync } from "../support/cli";
import { watchPageProblems } from "../support/demo-browser";
import { CAFE_SETTINGS, MENU } from "../support/pickup-fixtures";
import { freshDatabase } from "../support/stacks";

/**
 * Every admin page of the demo in Chromium, each showing figures computed
 * from a simulated cafe (not an empty state), saved as a full-page screenshot
 * in test-results/screenshots/admin-<page>.png (CI keeps the folder).
 *
 * The demo runs as `npm run demo` does, on a PostgreSQL server database that
 * holds three months of a simulated cafe (`regulars simulate` → `regulars
 * import orders`), its analytics precomputed, the last full week's report, a
 * campaign with its results and today's pickup queue.
 */

const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const TIMEZONE = "Europe/London";
const CAMPAIGN = "morning-tasting";

describe.runIf(process.env.DATABASE_URL)("every admin page of the demo, with its figures (Chromium)", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Database;
  let app: AppProcess;
  let origin: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let week: string;
  let segmentId: string;
  let dir: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "regulars-e2e-admin-"));
    database = await freshDatabase("server");
    db = createPrismaClient(database.url);
    await registerInstall(db, { domain: DEMO_SHOP, name: "Demo Cafe", timezone: TIMEZONE, currency: "GBP", isDemo: true });

    // Three months of a simulated cafe up to today, imported as a cafe's order history is.
    const csv = join(dir, "demo-cafe.csv");
    const env = { DATABASE_URL: database.url };
    for (const args of [
      ["simulate", "--seed", "screenshots", "--shop", DEMO_SHOP, "--months", "3", "--members", "800", "--locations", "2", "--csv", csv, "--no-progress"],
      ["import", "orders", csv, "--shop", DEMO_SHOP, "--no-progress"],
    ]) {
      const result = await runCliAsync(args, env);
      if (result.code !== 0) throw new Error(`regulars ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
    }
    await recomputeShop(db, DEMO_SHOP);
    week = lastFullWeek(new Date(), TIMEZONE).key;
    await produceWeeklyReport(db, DEMO_SHOP, week, { mailer: null, from: "Regulars <reports@regulars.invalid>", send: false });

    // The segment with the most members, for its own page.
    const segment = await db.segment.findFirstOrThrow({ where: { shop: DEMO_SHOP }, orderBy: [{ memberCount: "desc" }, { id: "asc" }] });
    expect(segment.memberCount).toBeGreaterThan(0);
    segmentId = segment.id;

    // A campaign that messaged members a week ago, some of whom ordered since: results with an uplift.
    const sentAt = new Date(Date.now() - 7 * 86_400_000);
    const ids = Array.from({ length: 40 }, (_, i) => String(6_900_000_000_100 + i));
    await insertMembers(db, DEMO_SHOP, ids.map((id) => reachableMember(id)), sentAt);
    await createCampaign(
      db,
      DEMO_SHOP,
      {
        name: "Morning tasting",
        kind: "segment-entry",
        segmentId: "due-to-return",
        variants: [{ id: "a", title: "Oat latte tasting", body: "On us at the counter tomorrow morning.", weight: 1 }],
        offer: { type: "tasting", link: "/pages/tasting" },
      },
      { id: CAMPAIGN },
    );
    await db.campaign.update({ where: { shop_id: { shop: DEMO_SHOP, id: CAMPAIGN } }, data: { status: "active" } });
    for (const [index, id] of ids.entries()) {
      const treated = index < 30;
      await db.campaignRecipient.create({
        data: { shop: DEMO_SHOP, campaignId: CAMPAIGN, customerId: id, arm: treated ? "treatment" : "holdout", variantId: treated ? "a" : null, status: treated ? "sent" : "skipped", skipReason: treated ? null : "holdout", scheduledFor: sentAt },
      });
      if (index % 3 === 0) await insertOrder(db, DEMO_SHOP, { id: `tasting-${index}`, customerId: id, at: new Date(sentAt.getTime() + 20 * 3_600_000), total: 4.2 });
    }

    // Order ahead at the busiest location, and today's queue there.
    const [busiest] = await db.$queryRaw<Array<{ locationId: string }>>`
      SELECT "locationId" FROM "Order" WHERE shop = ${DEMO_SHOP} AND "locationId" IS NOT NULL AND "locationId" <> '' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`;
    const locationId = busiest?.locationId ?? "1001";
    const everyDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "23:59" }));
    const saved = await savePickupSettings(db, DEMO_SHOP, locationId, { ...CAFE_SETTINGS, hours: everyDay }, { locationName: "High Street" });
    if (!saved.ok) throw new Error(`pickup settings invalid: ${JSON.stringify(saved.errors)}`);
    const menu = await setMenu(db, DEMO_SHOP, MENU);
    if (!menu.ok) throw new Error(`menu invalid: ${JSON.stringify(menu.errors)}`);
    // Today's slots from noon, shop time.
    const noon = localDayBounds(localDateOf(new Date(), TIMEZONE), TIMEZONE).start.getTime() + 12 * 3_600_000;
    const queue = [
      { state: "ready", items: [{ title: "Oat latte", quantity: 1 }] },
      { state: "preparing", items: [{ title: "Flat white", quantity: 2 }, { title: "Croissant", quantity: 1 }] },
      { state: "new", items: [{ title: "Oat latte", quantity: 1 }, { title: "Croissant", quantity: 2 }] },
    ];
    for (const [index, order] of queue.entries()) {
      await db.pickupOrder.create({
        data: { shop: DEMO_SHOP, orderId: `pickup-${index}`, locationId, slotStart: new Date(noon + index * 600_000), items: order.items, state: order.state },
      });
    }

    // `npm run demo` as the README gives it, on this database.
    app = spawnApp({ DATABASE_URL: database.url, NODE_ENV: "development" }, { npmScript: "demo" });
    origin = await app.ready;
    chromium = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await chromium?.close();
    await app?.stop("SIGINT");
    await db?.$disconnect();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page, waits for its data, checks it, and saves the screenshot. */
  async function visit(name: string, path: string, shows: (page: Page) => Promise<void>): Promise<void> {
    const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPageProblems(page);
    try {
      const response = await page.goto(`${origin}${path}`, { waitUntil: "networkidle" });
      expect(response?.status(), path).toBe(200);
      await shows(page);
      // No empty state or backfill progress in place of the figures.
      expect(await page.getByText(/^(Preparing|No) [a-z ]+ yet$|^Preparing [a-z ]+$/).count(), `${path} shows an empty state`).toBe(0);
      // From the top, so the fixed top bar and navigation sit where they belong in the full-page picture.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SCREENSHOTS, `admin-${name}.png`), fullPage: true });
      expect(problems, path).toEqual([]);
    } finally {
      await page.close();
    }
  }

  /** A table with at least one row of data whose cells include a number. */
  async function tableRows(page: Page, header: string): Promise<number> {
    await page.getByRole("columnheader", { name: header, exact: true }).first().waitFor();
    const rows = page.locator("table tbody tr").filter({ hasText: /\d/ });
    await rows.first().waitFor();
    return rows.count();
  }

  it("Home: the week's KPIs with their values", async () => {
    await visit("home", "/app", async (page) => {
      await page.getByText("Repurchase rate").first().waitFor();
      await page.getByText(week).first().waitFor();
      expect(await page.getByText(/^\d+(\.\d)? %$/).count()).toBeGreaterThan(0);
    });
  });

  it("Cohorts: ranked cohorts with intervals, curves and heatmap", async () => {
    await visit("cohorts", "/app/cohorts", async (page) => {
      expect(await tableRows(page, "Cohort")).toBeGreaterThan(0);
    });
  });

  it("Segments: the list with member counts, one segment's members, and the builder's live count", async () => {
    await visit("segments", "/app/segments", async (page) => {
      expect(await tableRows(page, "Segment")).toBeGreaterThan(0);
    });
    await visit("segment", `/app/segments/${segmentId}`, async (page) => {
      expect(await tableRows(page, "Customer")).toBeGreaterThan(0);
    });
    await visit("segment-new", "/app/segments/new", async (page) => {
      // The builder's live count, asked of the server once the page has hydrated.
      const count = page.locator("#segment-live-count");
      await count.waitFor({ timeout: 60_000 });
      expect(Number((await count.innerText()).replace(/,/g, ""))).toBeGreaterThan(0);
    });
  });

  it("Campaigns: the list, one campaign's results, and the new campaign form", async () => {
    await visit("campaigns", "/app/campaigns", async (page) => {
      await page.getByRole("link", { name: "Morning tasting" }).first().waitFor();
      expect(await tableRows(page, "Campaign")).toBeGreaterThan(0);
    });
    await visit("campaign", `/app/campaigns/${CAMPAIGN}`, async (page) => {
      await page.getByRole("heading", { name: "Morning tasting" }).first().waitFor();
      expect(await tableRows(page, "Arm")).toBeGreaterThanOrEqual(2);
    });
    await visit("campaign-new", "/app/campaigns/new", async (page) => {
      await page.getByRole("heading", { name: "New campaign" }).waitFor();
      const options = await page.getByLabel("Segment", { exact: true }).locator("option").allInnerTexts();
      expect(options).toContainEqual(expect.stringMatching(/ · [\d,]+ members now$/));
    });
  });

  it("Pickup: today's queue and the settings", async () => {
    await visit("pickup", "/app/pickup", async (page) => {
      await page.getByText("Flat white").first().waitFor();
      await page.getByText("Croissant").first().waitFor();
    });
    await visit("pickup-settings", "/app/pickup/settings", async (page) => {
      // The saved location is the one shown; without Shopify the product list is not there, the saved menu is counted.
      expect(await page.locator("select option:checked").allInnerTexts()).toContainEqual(expect.stringContaining("High Street"));
      await page.getByText(`${MENU.length} item(s) are on the menu.`).first().waitFor();
    });
  });

  it("Reports: the list and the week's report with its charts", async () => {
    await visit("reports", "/app/reports", async (page) => {
      await page.getByRole("link", { name: week }).first().waitFor();
      expect(await tableRows(page, "Week")).toBeGreaterThan(0);
    });
    await visit("report", `/app/reports/${week}`, async (page) => {
      expect(await tableRows(page, "KPI")).toBeGreaterThanOrEqual(5);
      const images = page.locator("img");
      await images.first().waitFor();
      for (const image of await images.all()) expect(await image.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 100)).toBe(true);
    });
  });

  it("Settings and Import: the shop's settings and the imported history", async () => {
    await visit("settings", "/app/settings", async (page) => {
      await page.getByText(`Empty follows the shop's time zone (${TIMEZONE})`, { exact: false }).first().waitFor();
      await expect(page.getByLabel("Recipients", { exact: true }).inputValue()).resolves.toBe("owner@demo-cafe.example");
      // A change made here is saved and listed in the audit log with who made it.
      const keep = page.getByLabel("Keep orders for (days)", { exact: true });
      await keep.fill("730");
      await page.getByRole("button", { name: "Save settings" }).click();
      await page.getByText("Settings saved").first().waitFor();
      expect(await tableRows(page, "When")).toBeGreaterThan(0);
      await expect(keep.inputValue()).resolves.toBe("730");
    });
    await visit("import", "/app/import", async (page) => {
      await page.getByText("demo-cafe.csv").first().waitFor();
      await page.getByText(/^Imported [\d,]+ rows$/).first().waitFor();
    });
  });
});
