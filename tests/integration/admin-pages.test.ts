import { randomUUID } from "node:crypto";
import { Session } from "@shopify/shopify-api";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { previewSegment } from "../../app/analytics/segments/preview.server";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { computeWeeklyFigures } from "../../app/reports/figures.server";
import { formatKpiValue } from "../../app/reports/kpis";
import { setRuntime } from "../../app/runtime.server";
import { registerInstall } from "../../app/shops/shops.server";
import { DEFAULT_SCOPES } from "../../standin/index.ts";
import { REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The admin's Home, Cohorts, Segments and Settings pages as Shopify calls
 * them (a session token for one shop): empty states on a new shop, computed
 * values, every invalid input refused with its message and nothing stored,
 * and a shop never reading or changing another's segments, members, data or
 * audit log.
 */

const API_KEY = "admin-pages-key";
const API_SECRET = "admin-pages-secret";
const APP_URL = "https://regulars.example";
const SHOPIFY = { DEMO: "0", SHOPIFY_API_KEY: API_KEY, SHOPIFY_API_SECRET: API_SECRET, SHOPIFY_APP_URL: APP_URL };
Object.assign(process.env, SHOPIFY);
const home = await import("../../app/routes/app._index");
const cohorts = await import("../../app/routes/app.cohorts");
const segmentList = await import("../../app/routes/app.segments._index");
const segmentNew = await import("../../app/routes/app.segments.new");
const segmentCount = await import("../../app/routes/app.segments.count");
const segmentView = await import("../../app/routes/app.segments.$id");
const segmentCsv = await import("../../app/routes/app.segments.$id_.members[.]csv");
const settings = await import("../../app/routes/app.settings");
const dataExport = await import("../../app/routes/app.settings_.export.$file");

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";
const FRESH = "fresh-cafe.myshopify.com";

async function request(shop: string, path: string, form?: Record<string, string> | FormData): Promise<Request> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET);
  const headers = { Authorization: `Bearer ${token}` };
  if (!form) return new Request(`${APP_URL}${path}`, { headers });
  return new Request(`${APP_URL}${path}`, { method: "POST", headers, body: form instanceof FormData ? form : new URLSearchParams(form) });
}

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, never> }) => Promise<unknown>;

/** The status and body a loader's or action's result would be sent with (thrown responses included). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a route's JSON as the browser gets it, read field by field by the assertions
type RouteJson = any;

async function call(handler: Handler, req: Request, params: Record<string, string> = {}): Promise<{ status: number; body: RouteJson; response: Response | null }> {
  let value: unknown;
  try {
    value = await handler({ request: req, params, context: {} });
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, body: await thrown.text(), response: thrown };
    throw thrown;
  }
  if (value instanceof Response) return { status: value.status, body: null, response: value };
  if (value && typeof value === "object" && "init" in value && "data" in value) {
    const init = value.init as ResponseInit | null;
    return { status: init?.status ?? 200, body: value.data, response: null };
  }
  return { status: 200, body: value, response: null };
}

const kind = stackKinds()[0];

describe.runIf(kind)("the admin's home, cohorts, segments and settings pages", () => {
  let stack: TestStack;
  let southSegment: string;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind, SHOPIFY);
    setRuntime(stack.runtime);
    const db = stack.runtime.db;
    const sessions = new PrismaSessionStorage(() => db);
    await seedReportShop(db, NORTH);
    await db.customer.createMany({ data: Array.from({ length: 10 }, (_, i) => ({ shop: NORTH, id: String(101 + i), email: `c${101 + i}@north.example`, source: "webhook" })) });
    await recomputeShop(db, NORTH, { until: new Date("2026-03-01T00:00:00Z") });
    await registerInstall(db, { domain: SOUTH, timezone: "Europe/London", currency: "GBP" });
    await registerInstall(db, { domain: FRESH, timezone: "Europe/London", currency: "GBP" });
    for (const shop of [NORTH, SOUTH, FRESH]) {
      await sessions.storeSession(new Session({ id: `offline_${shop}`, shop, state: "installed", isOnline: false, scope: DEFAULT_SCOPES, accessToken: `token-${shop}` }));
    }
    southSegment = randomUUID();
    await db.segment.create({ data: { shop: SOUTH, id: southSegment, name: "South regulars", definition: { match: "all", conditions: [{ field: "visitCount", op: "gte", value: 1 }] } } });
    await db.segmentMembership.create({ data: { shop: SOUTH, segmentId: southSegment, customerId: "999", enteredAt: new Date() } });
    await db.customer.create({ data: { shop: SOUTH, id: "999", email: "south-secret@example.com", source: "webhook" } });
    await db.auditEvent.create({ data: { shop: SOUTH, id: randomUUID(), actor: "south-owner@example.com", action: "settings.update", target: "settings" } });
  }, 240_000);

  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
  });

  describe("Home", () => {
    it("shows a new shop what is happening instead of figures, with the backfill's progress", async () => {
      const db = stack.runtime.db;
      await db.backfillRun.create({ data: { shop: FRESH, id: randomUUID(), resource: "orders", status: "importing", objectCount: 1_000, linesDone: 250 } });
      const { status, body } = await call(home.loader, await request(FRESH, "/app"));
      expect(status).toBe(200);
      expect(body.glance).toBeNull();
      expect(body.progress).toMatchObject({ hasVisits: false, active: true });
      expect(body.progress.backfills[0]).toMatchObject({ resource: "orders", status: "importing", fraction: 0.25 });
      expect(body.progress.backfills[0].progress).toContain("250 / 1,000 lines (25%)");
    });

    it("shows the week's KPIs as the weekly report computes them, last week beside this week", async () => {
      const { status, body } = await call(home.loader, await request(NORTH, `/app?week=${REPORT_WEEK}`));
      expect(status).toBe(200);
      const figures = await computeWeeklyFigures(stack.runtime.db, NORTH, REPORT_WEEK);
      expect(body.glance.week).toBe(REPORT_WEEK);
      expect(body.glance.rows.map((row: { id: string }) => row.id)).toEqual(figures.kpis.map((k) => k.id));
      for (const kpi of figures.kpis) {
        const row = body.glance.rows.find((r: { id: string }) => r.id === kpi.id);
        expect(row.thisWeek).toBe(formatKpiValue(kpi.unit, kpi.thisWeek.value, "GBP"));
        expect(row.lastWeek).toBe(formatKpiValue(kpi.unit, kpi.lastWeek.value, "GBP"));
      }
      const byId = Object.fromEntries(body.glance.rows.map((row: { id: string; thisWeek: string }) => [row.id, row.thisWeek]));
      expect(byId).toMatchObject({ "repurchase-rate": "50.0 %", "active-members": "10", "average-ticket": "£4.00", "visits-per-member": "1.10" });
    });

    it("reads a stored report's figures for its week", async () => {
      const db = stack.runtime.db;
      const figures = await computeWeeklyFigures(db, NORTH, "2026-W08");
      const planted = { ...figures, kpis: figures.kpis.map((k) => (k.id === "active-members" ? { ...k, thisWeek: { ...k.thisWeek, value: 4242 } } : k)) };
      await db.weeklyReport.create({ data: { shop: NORTH, week: "2026-W08", status: "rendered", figures: JSON.parse(JSON.stringify(planted)), html: "", csv: "" } });
      const { body } = await call(home.loader, await request(NORTH, "/app?week=2026-W08"));
      expect(body.glance.source).toBe("stored");
      expect(body.glance.rows.find((r: { id: string }) => r.id === "active-members").thisWeek).toBe("4,242");
    });

    it("says why a week cannot be shown", async () => {
      for (const week of ["2026-W60", "last week", "2999-W01"]) {
        const { status, body } = await call(home.loader, await request(NORTH, `/app?week=${encodeURIComponent(week)}`));
        expect(status).toBe(200);
        expect(body.weekProblem).toMatch(week === "2999-W01" ? /not over yet/ : /YYYY-Www|ISO weeks/);
      }
    });

    it("stores valid KPI targets with an audit event, and refuses invalid ones storing nothing", async () => {
      const db = stack.runtime.db;
      const form = (entries: Record<string, string>) => {
        const data = new FormData();
        for (const [key, value] of Object.entries(entries)) data.set(key, value);
        return data;
      };
      const invalid: Array<[Record<string, string>, RegExp]> = [
        [{ "show.repurchase-rate": "on", "target.repurchase-rate": "abc" }, /Repurchase rate must be a number of per cent/],
        [{ "show.repurchase-rate": "on", "target.repurchase-rate": "150" }, /0 to 100 %/],
        [{ "show.average-ticket": "on", "target.average-ticket": "-3" }, /cannot be negative/],
        [{}, /Choose at least one KPI/],
      ];
      for (const [entries, message] of invalid) {
        const { status, body } = await call(home.action, await request(NORTH, "/app", form(entries)));
        expect(status).toBe(400);
        expect(body.message).toMatch(message);
      }
      expect((await db.shopSettings.findUnique({ where: { shop: NORTH } }))?.kpiTargets ?? null).toBeNull();
      const valid = form({ "show.repurchase-rate": "on", "target.repurchase-rate": "45", "show.average-ticket": "on", "target.average-ticket": "6.5" });
      const saved = await call(home.action, await request(NORTH, "/app", valid));
      expect(saved.body).toEqual({ ok: true, message: "Targets saved." });
      expect((await db.shopSettings.findUnique({ where: { shop: NORTH } }))?.kpiTargets).toEqual([
        { kpi: "repurchase-rate", target: 0.45 },
        { kpi: "average-ticket", target: 6.5 },
      ]);
      expect((await call(home.action, await request(NORTH, "/app", valid))).body.message).toBe("Nothing changed.");
      expect(await db.auditEvent.count({ where: { shop: NORTH, action: "settings.kpi-targets" } })).toBe(1);
      const { body } = await call(home.loader, await request(NORTH, `/app?week=${REPORT_WEEK}`));
      expect(body.glance.rows).toHaveLength(2);
      expect(body.glance.rows[0]).toMatchObject({ id: "repurchase-rate", target: "45.0 %", targetMet: true });
      expect(body.glance.rows[1]).toMatchObject({ id: "average-ticket", target: "£6.50", targetMet: false });
    });
  });

  describe("Cohorts", () => {
    it("ranks pattern cohorts by N-day return with intervals, from the stored snapshot", async () => {
      const { status, body } = await call(cohorts.loader, await request(NORTH, "/app/cohorts?days=7"));
      expect(status).toBe(200);
      expect(body.daysError).toBeNull();
      expect(body.page.returnDays).toBe(7);
      // The last customer visit (the guest order of 28 February makes no visit).
      expect(body.page.until).toBe("2026-02-27");
      expect(body.page.ranked.length).toBeGreaterThan(0);
      for (const row of body.page.ranked) expect(row.low).toBeLessThanOrEqual(row.p);
      const ps = body.page.ranked.map((row: { p: number }) => row.p);
      expect(ps).toEqual([...ps].sort((a, b) => b - a));
      expect(body.page.curves.at(-1)).toMatchObject({ name: "Everyone" });
      expect(body.page.curves.at(-1).points).toHaveLength(60);
      expect(body.page.heatmap.rows.length).toBeGreaterThan(0);
      expect(typeof body.page.silence === "string" || body.page.findings.length > 0).toBe(true);
    });

    it("answers N outside the stored findings (computed as the CLI does)", async () => {
      const { body } = await call(cohorts.loader, await request(NORTH, "/app/cohorts?days=5"));
      expect(body.page.returnDays).toBe(5);
      expect(body.page.silence).toMatch(/5 days/);
    });

    it("refuses an N that is not 1 to 60, saying so", async () => {
      for (const days of ["0", "61", "abc", "1e3", "-4"]) {
        const { status, body } = await call(cohorts.loader, await request(NORTH, `/app/cohorts?days=${days}`));
        expect(status).toBe(200);
        expect(body.daysError).toMatch(/from 1 to 60/);
        expect(body.page.returnDays).toBe(12);
      }
    });

    it("shows a new shop the data's progress", async () => {
      const { body } = await call(cohorts.loader, await request(FRESH, "/app/cohorts"));
      expect(body.page).toBeNull();
      expect(body.progress.hasVisits).toBe(false);
    });
  });

  describe("Segments", () => {
    it("lists the shop's segments with member counts, and a new shop's progress", async () => {
      const { body } = await call(segmentList.loader, await request(NORTH, "/app/segments"));
      const ids = body.segments.map((s: { id: string }) => s.id);
      expect(ids).toEqual(expect.arrayContaining(["due-to-return", "lapsing", "new", "at-risk"]));
      expect(ids).not.toContain(southSegment);
      const fresh = await call(segmentList.loader, await request(FRESH, "/app/segments"));
      expect(fresh.body.segments).toEqual([]);
      expect(fresh.body.progress).not.toBeNull();
    });

    it("counts a definition live with the preview's validation and compiler", async () => {
      const definition = { match: "all", conditions: [{ field: "visitCount", op: "gte", value: 2 }] };
      const { status, body } = await call(segmentCount.action, await request(NORTH, "/app/segments/count", { definition: JSON.stringify(definition) }));
      expect(status).toBe(200);
      const expected = await previewSegment(stack.runtime.db, NORTH, definition, { asOf: new Date(`${body.asOf}T00:00:00Z`) });
      expect(expected.ok && expected.count).toBe(5);
      expect(body).toMatchObject({ ok: true, count: 5 });
    });

    it("rejects hostile or broken definitions with a clear message", async () => {
      let deep: unknown = { field: "visitCount", op: "gte", value: 1 };
      for (let i = 0; i < 20; i++) deep = { match: "all", conditions: [deep] };
      const cases: Array<[string, RegExp]> = [
        ["{not json", /not valid JSON/],
        ["", /write a segment definition/],
        [JSON.stringify({ match: "all", conditions: [{ field: "password", op: "eq", value: "x" }] }), /password/],
        [JSON.stringify({ match: "all", conditions: [{ field: "visitCount", op: "gte", value: "1; DROP TABLE \"Order\"" }] }), /conditions\[0\]\.value/],
        [JSON.stringify(deep), /deep|depth|nest/i],
        [JSON.stringify({ match: "all", conditions: [{ field: "pattern", op: "in", values: Array.from({ length: 4_000 }, (_, i) => `p${i}`) }] }), /at most/],
      ];
      for (const [definition, message] of cases) {
        const { status, body } = await call(segmentCount.action, await request(NORTH, "/app/segments/count", { definition }));
        expect(status).toBe(200);
        expect(body.ok).toBe(false);
        expect(body.messages.join(" ")).toMatch(message);
      }
      expect(await stack.runtime.db.order.count({ where: { shop: NORTH } })).toBeGreaterThan(0);
    });

    it("saves a segment with an audit event and shows its members a page at a time", async () => {
      const db = stack.runtime.db;
      const invalid = await call(segmentNew.action, await request(NORTH, "/app/segments/new", { name: "", description: "", definition: JSON.stringify({ match: "all", conditions: [] }) }));
      expect(invalid.status).toBe(400);
      expect(invalid.body.messages.join(" ")).toMatch(/name: must be 1 to 80 characters/);
      const before = await db.segment.count({ where: { shop: NORTH } });
      const saved = await call(
        segmentNew.action,
        await request(NORTH, "/app/segments/new", { name: "Twice or more", description: "", definition: JSON.stringify({ match: "all", conditions: [{ field: "visitCount", op: "gte", value: 2 }] }) }),
      );
      expect(saved.status).toBe(302);
      const location = saved.response?.headers.get("Location") ?? "";
      const id = decodeURIComponent(location.replace("/app/segments/", ""));
      expect(await db.segment.count({ where: { shop: NORTH } })).toBe(before + 1);
      expect(await db.auditEvent.findFirst({ where: { shop: NORTH, action: "segment.create", target: `segment:${id}` } })).not.toBeNull();
      const { body } = await call(segmentView.loader, await request(NORTH, location), { id });
      expect(body.segment).toMatchObject({ name: "Twice or more", memberCount: 5 });
      expect(body.members.map((m: { customerId: string }) => m.customerId)).toEqual(["101", "102", "103", "104", "105"]);

      // 60 more current members: 50 on the first page, 15 on the next, none twice.
      await db.segmentMembership.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ shop: NORTH, segmentId: id, customerId: `9${String(i).padStart(3, "0")}`, enteredAt: new Date() })) });
      const first = await call(segmentView.loader, await request(NORTH, location), { id });
      expect(first.body.members).toHaveLength(50);
      const second = await call(segmentView.loader, await request(NORTH, `${location}?after=${first.body.next}`), { id });
      expect(second.body.members).toHaveLength(15);
      expect(second.body.next).toBeNull();
      const seen = new Set([...first.body.members, ...second.body.members].map((m: { customerId: string }) => m.customerId));
      expect(seen.size).toBe(65);
      await db.segmentMembership.deleteMany({ where: { shop: NORTH, segmentId: id, customerId: { startsWith: "9" } } });
    });

    it("exports a segment's members as escaped CSV, audited", async () => {
      const db = stack.runtime.db;
      const segment = await db.segment.findFirstOrThrow({ where: { shop: NORTH, name: "Twice or more" } });
      await db.customer.update({ where: { shop_id: { shop: NORTH, id: "101" } }, data: { firstName: '=HYPERLINK("x")', lastName: "Smith, Jr" } });
      const { status, response } = await call(segmentCsv.loader, await request(NORTH, `/app/segments/${segment.id}/members.csv`), { id: segment.id });
      expect(status).toBe(200);
      expect(response?.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
      const lines = (await response!.text()).split("\r\n");
      expect(lines[0]).toBe("customer_id,name,email,member,visits,last_visit,pattern,in_segment_since");
      expect(lines.filter((line) => line !== "")).toHaveLength(6);
      expect(lines[1]).toMatch(/^101,"'=HYPERLINK\(""x""\) Smith, Jr",/);
      expect(await db.auditEvent.count({ where: { shop: NORTH, action: "export.members", target: `segment:${segment.id}` } })).toBe(1);
    });

    it("never shows, exports or counts another shop's segment", async () => {
      expect((await call(segmentView.loader, await request(NORTH, `/app/segments/${southSegment}`), { id: southSegment })).status).toBe(404);
      expect((await call(segmentCsv.loader, await request(NORTH, `/app/segments/${southSegment}/members.csv`), { id: southSegment })).status).toBe(404);
      expect(await stack.runtime.db.auditEvent.count({ where: { action: "export.members", target: `segment:${southSegment}` } })).toBe(0);
      const inSouth = await call(segmentCount.action, await request(NORTH, "/app/segments/count", { definition: JSON.stringify({ match: "all", conditions: [{ inSegment: southSegment }] }) }));
      expect(inSouth.body.ok).toBe(false);
      expect(inSouth.body.messages.join(" ")).toContain(southSegment);
      expect((await call(segmentView.loader, await request(NORTH, "/app/segments/not%20an%20id"), { id: "not an id" })).status).toBe(404);
    });
  });

  describe("Settings", () => {
    const validForm = (overrides: Record<string, string> = {}) => ({
      timezone: "",
      dayparts: "morning 06:00-11:00\nmidday 11:00-14:00\nafternoon 14:00-17:00\nevening 17:00-22:00",
      quietStart: "21:00",
      quietEnd: "07:00",
      pushCapCount: "1",
      pushCapDays: "3",
      programHoldoutPercent: "5",
      reportRecipients: "",
      reportWeekday: "1",
      reportTime: "08:00",
      dataRetentionDays: "",
      ...overrides,
    });

    it("shows a new shop its defaults and an empty audit log", async () => {
      const { status, body } = await call(settings.loader, await request(FRESH, "/app/settings"));
      expect(status).toBe(200);
      expect(body.shopTimezone).toBe("Europe/London");
      expect(body.fields).toEqual(validForm());
      expect(body.audit).toEqual({ events: [], next: null });
    });

    it("refuses each invalid field with its message and stores nothing", async () => {
      const db = stack.runtime.db;
      const cases: Array<[Record<string, string>, string, RegExp]> = [
        [{ timezone: "Mars/Olympus_Mons" }, "timezoneOverride", /not an IANA time zone/],
        [{ dayparts: "morning 06:00-11:00\nbrunch 10:00-12:00" }, "dayparts", /overlaps/],
        [{ dayparts: "morning six to eleven" }, "dayparts", /must read "name HH:MM-HH:MM"/],
        [{ quietStart: "25:00" }, "quietStartMinute", /HH:MM/],
        [{ pushCapCount: "0" }, "pushCapCount", /from 1 to 100/],
        [{ pushCapDays: "many" }, "pushCapDays", /whole number/],
        [{ programHoldoutPercent: "80" }, "programHoldoutPercent", /from 0 to 50/],
        [{ reportRecipients: "owner@cafe.example, not-an-email" }, "reportRecipients", /"not-an-email" is not an email address/],
        [{ reportWeekday: "8" }, "reportWeekday", /from 1 to 7/],
        [{ reportTime: "8am" }, "reportMinute", /HH:MM/],
        [{ dataRetentionDays: "5" }, "dataRetentionDays", /from 30 to 3650/],
      ];
      for (const [overrides, field, message] of cases) {
        const { status, body } = await call(settings.action, await request(FRESH, "/app/settings", validForm(overrides)));
        expect(status, field).toBe(400);
        expect(body.errors[field], field).toMatch(message);
      }
      expect(await db.shopSettings.findUnique({ where: { shop: FRESH } })).toBeNull();
      expect(await db.auditEvent.count({ where: { shop: FRESH } })).toBe(0);
    });

    it("saves a change with an audit event once, and shows it in the audit log", async () => {
      const db = stack.runtime.db;
      const form = validForm({ timezone: "Europe/Paris", reportRecipients: "Owner@Cafe.example, manager@cafe.example", reportTime: "07:30", dataRetentionDays: "400", dayparts: "breakfast 07:00-10:30" });
      const { status, body } = await call(settings.action, await request(FRESH, "/app/settings", form));
      expect(status).toBe(200);
      expect(body.ok).toBe(true);
      expect(body.changed).toEqual(expect.arrayContaining(["timezoneOverride", "dayparts", "reportRecipients", "reportMinute", "dataRetentionDays"]));
      const row = await db.shopSettings.findUniqueOrThrow({ where: { shop: FRESH } });
      expect(row).toMatchObject({ timezoneOverride: "Europe/Paris", reportRecipients: ["owner@cafe.example", "manager@cafe.example"], reportMinute: 450, dataRetentionDays: 400, dayparts: [{ name: "breakfast", from: 7, to: 10.5 }] });
      const again = await call(settings.action, await request(FRESH, "/app/settings", form));
      expect(again.body).toMatchObject({ ok: true, changed: [], message: "Nothing changed." });
      const page = await call(settings.loader, await request(FRESH, "/app/settings"));
      expect(page.body.fields).toMatchObject({ timezone: "Europe/Paris", reportTime: "07:30", dataRetentionDays: "400", dayparts: "breakfast 07:00-10:30" });
      expect(page.body.audit.events).toHaveLength(1);
      expect(page.body.audit.events[0]).toMatchObject({ action: "settings.update", target: "settings", actor: expect.stringMatching(/^user:|staff/) });
      expect(page.body.audit.events[0].details.changes.timezoneOverride).toEqual({ from: null, to: "Europe/Paris" });
    });

    it("pages the audit log newest first and never shows another shop's events", async () => {
      const db = stack.runtime.db;
      const base = Date.parse("2026-01-01T00:00:00Z");
      await db.auditEvent.createMany({ data: Array.from({ length: 30 }, (_, i) => ({ shop: SOUTH, id: randomUUID(), at: new Date(base + i * 60_000), actor: "staff", action: `test.${i}` })) });
      const first = await call(settings.loader, await request(SOUTH, "/app/settings"));
      expect(first.body.audit.events).toHaveLength(25);
      expect(first.body.audit.events[0].action).toBe("settings.update");
      expect(first.body.audit.events[1].action).toBe("test.29");
      const second = await call(settings.loader, await request(SOUTH, `/app/settings?before=${encodeURIComponent(first.body.audit.next)}`));
      expect(second.body.audit.events.map((e: { action: string }) => e.action)).toEqual(["test.5", "test.4", "test.3", "test.2", "test.1", "test.0"]);
      expect(second.body.audit.next).toBeNull();
      const north = await call(settings.loader, await request(NORTH, "/app/settings"));
      expect(north.body.audit.events.map((e: { actor: string }) => e.actor)).not.toContain("south-owner@example.com");
      expect(north.body.audit.events.some((e: { action: string }) => e.action.startsWith("test."))).toBe(false);
    });

    it("exports the shop's own data as CSV per table and as JSON, audited", async () => {
      const db = stack.runtime.db;
      const csv = await call(dataExport.loader, await request(NORTH, "/app/settings/export/Customer.csv"), { file: "Customer.csv" });
      expect(csv.status).toBe(200);
      const lines = (await csv.response!.text()).split("\r\n").filter((line) => line !== "");
      expect(lines[0]?.startsWith("shop,id,email")).toBe(true);
      expect(lines).toHaveLength(11);
      expect(lines.slice(1).every((line) => line.startsWith(`${NORTH},`))).toBe(true);

      const json = await call(dataExport.loader, await request(NORTH, "/app/settings/export/all.json"), { file: "all.json" });
      const document = JSON.parse(await json.response!.text());
      expect(document.shop).toBe(NORTH);
      expect(document.tables.Order).toHaveLength(await db.order.count({ where: { shop: NORTH } }));
      expect(document.tables.Customer.map((c: { id: string }) => c.id)).not.toContain("999");
      expect(JSON.stringify(document)).not.toContain("south-secret@example.com");
      expect(JSON.stringify(document)).not.toContain(`token-${NORTH}`);
      expect(document.tables.Session).toBeUndefined();
      expect(await db.auditEvent.count({ where: { shop: NORTH, action: "export.data" } })).toBe(2);

      for (const file of ["Session.csv", "PushKey.csv", "nothing", "../Order.csv"]) {
        expect((await call(dataExport.loader, await request(NORTH, `/app/settings/export/${encodeURIComponent(file)}`), { file })).status).toBe(404);
      }
    });
  });
});
