import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCampaign } from "../../app/campaigns/campaigns.server";
import { parseConfig, type Config } from "../../app/config.server";
import { ensureMemberCard } from "../../app/cards/cards.server";
import { formatCardCode, totpAt } from "../../app/cards/totp.server";
import { savePerkProgram } from "../../app/perks/programs.server";
import type { Database } from "../../app/db/prisma.server";
import { savePickupSettings, setMenu } from "../../app/pickup/settings.server";
import { clickTokenKey, signClickToken } from "../../app/push/click-token.server";
import { ensureActivePushKey } from "../../app/push/keys.server";
import { closePushSender } from "../../app/push/sender.server";
import { setRuntime } from "../../app/runtime.server";
import { createShopifyStandin } from "../../standin/index.ts";
import { createSegment } from "../support/campaign-fixtures";
import {
  bearerRequest,
  callRoute,
  DOOR_API_KEY,
  DOOR_API_SECRET,
  DOOR_ENV,
  proxyRequest,
  sessionToken,
  shopRowsSnapshot,
  storeOfflineSession,
  type ProxyCall,
  type RouteAnswer,
} from "../support/doors";
import { CAFE_SETTINGS, MENU } from "../support/pickup-fixtures";
import { REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Issue 8, tenant isolation: two installed shops, NORTH (A) and SOUTH (B),
 * with the same kinds of data. With a valid credential of NORTH, every admin
 * loader and action (app.*), every app-proxy endpoint (proxy.*), every POS
 * endpoint (api.pos.*) and every CLI command taking --shop tries to read or
 * change SOUTH's data by id. Each attempt must fail (404/403/400) or answer
 * with NORTH's data only — no SOUTH marker in the answer — and SOUTH's rows,
 * in every table that has a shop column, are byte-for-byte the same after.
 *
 * The route and command lists are read from the code (app/routes, and the
 * commands app/cli/main.ts registers), so a new route or command without a
 * case here fails the suite until it has one.
 */

Object.assign(process.env, DOOR_ENV);
// Shopify for the few admin pages that ask it something (the locations list): it knows NORTH only.
const shopify = await createShopifyStandin({ apiKey: DOOR_API_KEY, apiSecret: DOOR_API_SECRET });
process.env.SHOPIFY_API_ORIGIN_OVERRIDE = shopify.url;

const NORTH = "north-secret.myshopify.com";
const SOUTH = "south-secret.myshopify.com";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROUTES_DIR = join(ROOT, "app/routes");

/** What each shop holds: ids the other shop will ask for, and words only its own answers may contain. */
interface ShopData {
  shop: string;
  tag: string;
  location: string;
  customer: string;
  /** A customer no case writes anything about in the other shop, for reads by id. */
  untouchedCustomer: string;
  segmentId: string;
  campaignId: string;
  pickupOrderId: string;
  holdId: string;
  deliveryId: string;
  importRunId: string;
  backfillRunId: string;
  pushEndpoint: string;
  variantId: string;
  publicKey: string;
  cardRef: string;
  cardSecret: Buffer;
  perkProgramId: string;
  mergeId: string;
  markers: string[];
}

function planShop(shop: string, tag: string, location: string, n: number): ShopData {
  const lower = tag.toLowerCase();
  return {
    shop,
    tag,
    location,
    customer: `${n}900000000001`,
    untouchedCustomer: `${n}900000000002`,
    segmentId: randomUUID(),
    campaignId: `${lower}-campaign`,
    pickupOrderId: `${n}7700001`,
    holdId: `${lower}-hold-${randomUUID()}`,
    deliveryId: `${lower}-delivery`,
    importRunId: randomUUID(),
    backfillRunId: randomUUID(),
    pushEndpoint: `https://push.example/${lower}-${randomUUID()}`,
    variantId: `${n}0009`,
    publicKey: "",
    cardRef: "",
    cardSecret: Buffer.alloc(0),
    perkProgramId: "",
    mergeId: randomUUID(),
    markers: [`${tag} secret merge`, `${tag} secret perk`, `${tag} secret reward`, `${tag} Secret Cafe`, `${lower}-secret@example.com`, `${tag} secret segment`, `${tag} secret campaign`, `${tag} secret mocha`, `${tag} secret report`, `${lower}-secret.csv`, `${lower}-owner@secret.example`, `${tag} High Street`, `${tag} secret push`],
  };
}

const A = planShop(NORTH, "North", "1001", 1);
const B = planShop(SOUTH, "South", "2002", 2);

/** The same kinds of data in each shop: customers and orders (the report cafe), a member, a segment, a campaign, pickup, a stored report, import and backfill runs, push. */
async function seedShop(db: Database, applicationKey: Buffer, data: ShopData, storedReport: boolean): Promise<void> {
  const { shop, tag } = data;
  const lower = tag.toLowerCase();
  await seedReportShop(db, shop, { name: `${tag} Secret Cafe`, recipients: [`owner@${lower}-report.example`] });
  await storeOfflineSession(db, shop);
  await db.customer.create({ data: { shop, id: data.customer, email: `${lower}-secret@example.com`, firstName: tag, source: "webhook" } });
  await db.customer.create({ data: { shop, id: data.untouchedCustomer, email: `${lower}-secret-too@example.com`, source: "webhook" } });
  for (const customerId of [data.customer, data.untouchedCustomer]) {
    await db.member.create({ data: { shop, customerId, status: "active", joinedVia: "storefront", joinedAt: new Date("2026-02-01T09:00:00Z") } });
  }
  await db.segment.create({ data: { shop, id: data.segmentId, name: `${tag} secret segment`, definition: { match: "all", conditions: [{ field: "visitCount", op: "gte", value: 1 }] } } });
  await db.segmentMembership.create({ data: { shop, segmentId: data.segmentId, customerId: data.customer, enteredAt: new Date() } });
  await createSegment(db, shop, "due-to-return");
  await createCampaign(
    db,
    shop,
    { name: `${tag} secret campaign`, kind: "segment-entry", segmentId: "due-to-return", variants: [{ id: "a", title: `${tag} secret push`, body: "Come by", weight: 1 }], offer: { type: "tasting", link: "/pages/tasting" } },
    { id: data.campaignId },
  );
  const allDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "24:00" }));
  const saved = await savePickupSettings(db, shop, data.location, { ...CAFE_SETTINGS, hours: allDay, leadMinutes: 0, cutoffMinutes: 0 }, { locationName: `${tag} High Street` });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  const menu = await setMenu(db, shop, [...MENU, { variantId: data.variantId, productId: `${data.variantId}0`, title: `${tag} secret mocha`, price: "4.00", isDrink: true }]);
  if (!menu.ok) throw new Error(JSON.stringify(menu.errors));
  const soon = new Date(Math.ceil((Date.now() + 30 * 60_000) / 600_000) * 600_000);
  await db.pickupOrder.create({ data: { shop, orderId: data.pickupOrderId, locationId: data.location, slotStart: soon, customerId: data.customer, items: [{ title: `${tag} secret mocha`, quantity: 1 }], state: "new" } });
  await db.pickupHold.create({
    data: { shop, id: data.holdId, locationId: data.location, slotStart: soon, customerId: data.customer, items: [{ variantId: data.variantId, quantity: 1 }], itemCount: 1, drinkCount: 1, status: "held", expiresAt: new Date(Date.now() + 600_000) },
  });
  if (storedReport) {
    await db.weeklyReport.create({ data: { shop, week: REPORT_WEEK, status: "rendered", figures: {}, html: `<p>${tag} secret report</p>`, csv: `${tag} secret report\n` } });
  }
  await db.importRun.create({ data: { shop, id: data.importRunId, fileName: `${lower}-secret.csv`, fileSha256: "0".repeat(64), status: "completed", origin: "admin" } });
  await db.backfillRun.create({ data: { shop, id: data.backfillRunId, resource: "orders", status: "completed", error: `${tag} secret report` } });
  const key = await ensureActivePushKey(db, applicationKey, shop);
  data.publicKey = key.publicKey;
  await db.pushSubscription.create({
    data: { shop, id: `${lower}-subscription`, endpoint: data.pushEndpoint, p256dh: "BPk", auth: "au", customerId: data.customer, browserId: `${lower}-browser`, keyId: key.id, status: "active" },
  });
  await db.pushDelivery.create({
    data: { shop, id: data.deliveryId, subscriptionId: `${lower}-subscription`, customerId: data.customer, kind: "test", payload: { title: `${tag} secret push`, body: "Come by", url: "/pages/tasting" }, ttlSeconds: 3600, status: "sent", scheduledFor: new Date(), sentAt: new Date() },
  });
  const card = await ensureMemberCard(db, applicationKey, shop, data.customer);
  data.cardRef = card.ref;
  data.cardSecret = card.secret;
  const perk = await savePerkProgram(db, shop, `${lower}-owner@secret.example`, null, { kind: "every_nth_visit", name: `${tag} secret perk`, reward: `${tag} secret reward`, everyVisits: "5", variantIds: "", segmentId: "", startsOn: "2026-01-01" });
  if (!perk.ok) throw new Error(JSON.stringify(perk.errors));
  data.perkProgramId = perk.program.id;
  await db.memberMerge.create({
    data: { shop, id: data.mergeId, survivorId: data.customer, mergedId: data.untouchedCustomer, status: "proposed", evidence: [{ kind: "email", detail: `${tag} secret merge` }], proposedAt: new Date() },
  });
  await db.auditEvent.create({ data: { shop, id: randomUUID(), actor: `${lower}-owner@secret.example`, action: "settings.update", target: "settings" } });
}

/** The answer names none of SOUTH's words (those the request itself sent excepted). */
function expectNoLeak(answer: RouteAnswer | { text: string }, sent: string[] = []) {
  const text = "text" in answer ? answer.text : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
  const secrets = [...B.markers, B.segmentId, B.importRunId, B.backfillRunId, B.publicKey, B.holdId, B.pushEndpoint, B.cardRef, B.perkProgramId, B.mergeId].filter((word) => word !== "" && !sent.includes(word));
  for (const word of secrets) expect(text, `leaks ${word}`).not.toContain(word);
}

const refused = (answer: RouteAnswer, statuses: number[] = [400, 403, 404]) => {
  expect(statuses, `status ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`).toContain(answer.status);
};

// ---------- the requests NORTH's credentials can make ----------

type Handler = Parameters<typeof callRoute>[0];
interface RouteModule {
  loader?: Handler;
  action?: Handler;
}

const routeModules = new Map<string, RouteModule>();
async function route(file: string): Promise<RouteModule> {
  const cached = routeModules.get(file);
  if (cached) return cached;
  const module = (await import(/* @vite-ignore */ join(ROUTES_DIR, file))) as RouteModule;
  routeModules.set(file, module);
  return module;
}

async function admin(file: string, kind: "loader" | "action", path: string, options: { params?: Record<string, string>; form?: Record<string, string> | FormData } = {}): Promise<RouteAnswer> {
  const handler = (await route(file))[kind];
  if (!handler) throw new Error(`${file} has no ${kind}`);
  const request = bearerRequest(sessionToken({ shop: NORTH }), path, kind === "action" ? (options.form ?? {}) : undefined);
  return callRoute(handler, request, options.params);
}

async function proxy(file: string, kind: "loader" | "action", path: string, call: Omit<ProxyCall, "shop"> = {}): Promise<RouteAnswer> {
  const handler = (await route(file))[kind];
  if (!handler) throw new Error(`${file} has no ${kind}`);
  return callRoute(handler, proxyRequest(path, { shop: NORTH, customerId: B.customer, ...call }));
}

async function pos(file: string, kind: "loader" | "action", path: string, body?: unknown): Promise<RouteAnswer> {
  const handler = (await route(file))[kind];
  if (!handler) throw new Error(`${file} has no ${kind}`);
  return callRoute(handler, bearerRequest(sessionToken({ shop: NORTH }), path, body === undefined ? undefined : { json: body }));
}

interface Case {
  what: string;
  run(stack: TestStack): Promise<void>;
}

const form = (entries: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(entries)) data.set(key, value);
  return data;
};

/** Every route file under app/routes that a shop's credential opens, with what NORTH tries against SOUTH there. */
const ROUTE_CASES: Record<string, Case[]> = {
  "app.tsx": [{ what: "the frame names the token's shop", run: async () => expect((await admin("app.tsx", "loader", "/app")).body.shop).toBe(NORTH) }],
  "app._index.tsx": [
    { what: "home for SOUTH's stored week shows NORTH's figures", run: async () => expectNoLeak(await admin("app._index.tsx", "loader", `/app?week=${REPORT_WEEK}`)) },
    {
      what: "saving KPI targets changes NORTH only",
      run: async () => {
        const answer = await admin("app._index.tsx", "action", "/app", { form: form({ "show.repurchase-rate": "on", "target.repurchase-rate": "40" }) });
        expect(answer.body).toMatchObject({ ok: true });
      },
    },
  ],
  "app.cohorts.tsx": [{ what: "cohorts are NORTH's", run: async () => expectNoLeak(await admin("app.cohorts.tsx", "loader", "/app/cohorts?days=7")) }],
  "app.campaigns._index.tsx": [
    {
      what: "the list has NORTH's campaign, not SOUTH's",
      run: async () => {
        const answer = await admin("app.campaigns._index.tsx", "loader", "/app/campaigns");
        expect(JSON.stringify(answer.body)).toContain(A.campaignId);
        expect(JSON.stringify(answer.body)).not.toContain(B.campaignId);
        expectNoLeak(answer);
      },
    },
  ],
  "app.campaigns.$id.tsx": [
    { what: "SOUTH's campaign id: 404", run: async () => refused(await admin("app.campaigns.$id.tsx", "loader", `/app/campaigns/${B.campaignId}`, { params: { id: B.campaignId } }), [404]) },
    {
      what: "pausing or scheduling SOUTH's campaign by id: 404",
      run: async () => {
        for (const change of ["schedule", "pause", "resume"]) {
          refused(await admin("app.campaigns.$id.tsx", "action", `/app/campaigns/${B.campaignId}`, { params: { id: B.campaignId }, form: { change } }), [404]);
        }
      },
    },
  ],
  "app.campaigns.new.tsx": [
    {
      what: "the form offers NORTH's segments only",
      run: async () => {
        const answer = await admin("app.campaigns.new.tsx", "loader", "/app/campaigns/new");
        expect(JSON.stringify(answer.body)).toContain("North secret segment");
        expectNoLeak(answer);
      },
    },
    {
      what: "a campaign on SOUTH's segment is refused; SOUTH's campaign id as the form id makes NORTH's own",
      run: async (stack) => {
        const fields = { intent: "create", formId: randomUUID(), name: "Tasting", kind: "segment-entry", segmentId: B.segmentId, variantCount: "1", "variants[0].title": "Hi", "variants[0].body": "Come by", "variants[0].url": "", "variants[0].weight": "1", "offer.type": "tasting", "offer.link": "/pages/tasting", holdoutPercent: "20", attributionHours: "48" };
        const answer = await admin("app.campaigns.new.tsx", "action", "/app/campaigns/new", { form: fields });
        expect(answer.status).toBe(400);
        expect(JSON.stringify(answer.body)).toContain("in this shop");
        const clash = await admin("app.campaigns.new.tsx", "action", "/app/campaigns/new", { form: { ...fields, formId: B.campaignId, segmentId: "due-to-return" } });
        expect(clash).toMatchObject({ status: 302, location: `/app/campaigns/${B.campaignId}` });
        expect((await stack.runtime.db.campaign.findUniqueOrThrow({ where: { shop_id: { shop: NORTH, id: B.campaignId } } })).name).toBe("Tasting");
      },
    },
  ],
  "app.import.tsx": [
    {
      what: "SOUTH's import run id shows nothing",
      run: async () => {
        const answer = await admin("app.import.tsx", "loader", `/app/import?run=${B.importRunId}`);
        expect(answer.status).toBe(200);
        expectNoLeak(answer);
      },
    },
    {
      what: "an upload makes a run of NORTH's",
      run: async (stack) => {
        const data = new FormData();
        data.set("file", new File([`customer_id,ordered_at,total\n${B.customer},2026-02-10T09:00:00Z,3.00\n`], "orders.csv", { type: "text/csv" }));
        const answer = await admin("app.import.tsx", "action", "/app/import", { form: data });
        expect(answer.body).toMatchObject({ ok: true });
        expect((await stack.runtime.db.importRun.findFirstOrThrow({ where: { id: answer.body.runId } })).shop).toBe(NORTH);
      },
    },
  ],
  "app.pickup._index.tsx": [
    {
      what: "the queue at SOUTH's location id is NORTH's",
      run: async () => {
        const answer = await admin("app.pickup._index.tsx", "loader", `/app/pickup?location=${B.location}`);
        expect(answer.status).toBe(200);
        expect(JSON.stringify(answer.body)).not.toContain(B.pickupOrderId);
        expectNoLeak(answer);
      },
    },
    {
      what: "moving SOUTH's pickup order: 404",
      run: async () => {
        for (const to of ["preparing", "ready", "picked-up", "no-show"]) refused(await admin("app.pickup._index.tsx", "action", "/app/pickup", { form: { orderId: B.pickupOrderId, to } }), [404]);
      },
    },
  ],
  "app.pickup.settings.tsx": [
    { what: "settings at SOUTH's location id show NORTH's", run: async () => expectNoLeak(await admin("app.pickup.settings.tsx", "loader", `/app/pickup/settings?location=${B.location}`)) },
    {
      what: "saving settings at SOUTH's location id touches NORTH only",
      run: async () => {
        const answer = await admin("app.pickup.settings.tsx", "action", "/app/pickup/settings", {
          form: { intent: "settings", locationId: B.location, locationName: "Hijacked", enabled: "on", "hours.1": "07:00-15:00", slotMinutes: "15", capacityOrders: "2", leadMinutes: "10", cutoffMinutes: "10", holdMinutes: "5" },
        });
        expect(answer.body).toMatchObject({ ok: true });
        expectNoLeak(answer);
      },
    },
  ],
  "app.reports._index.tsx": [{ what: "the list is NORTH's", run: async () => expectNoLeak(await admin("app.reports._index.tsx", "loader", "/app/reports")) }],
  "app.reports.$week.tsx": [
    {
      what: "the week SOUTH has a stored report for shows NORTH's (or none)",
      run: async () => {
        const answer = await admin("app.reports.$week.tsx", "loader", `/app/reports/${REPORT_WEEK}`, { params: { week: REPORT_WEEK } });
        // 404 while NORTH has no report of that week; NORTH's own once `regulars report` (the CLI case) has made one.
        expect([200, 404]).toContain(answer.status);
        expectNoLeak(answer);
      },
    },
  ],
  "app.reports.$week.$asset.tsx": [
    {
      what: "SOUTH's stored report files: not served",
      run: async () => {
        for (const asset of ["report.html", "report.csv"]) {
          const answer = await admin("app.reports.$week.$asset.tsx", "loader", `/app/reports/${REPORT_WEEK}/${asset}`, { params: { week: REPORT_WEEK, asset } });
          expect([200, 404]).toContain(answer.status);
          expectNoLeak(answer);
        }
      },
    },
  ],
  "app.segments._index.tsx": [{ what: "the list is NORTH's", run: async () => expectNoLeak(await admin("app.segments._index.tsx", "loader", "/app/segments")) }],
  "app.segments.$id.tsx": [{ what: "SOUTH's segment id: 404", run: async () => refused(await admin("app.segments.$id.tsx", "loader", `/app/segments/${B.segmentId}`, { params: { id: B.segmentId } }), [404]) }],
  "app.segments.$id_.members[.]csv.tsx": [
    { what: "SOUTH's segment's members CSV: 404", run: async () => refused(await admin("app.segments.$id_.members[.]csv.tsx", "loader", `/app/segments/${B.segmentId}/members.csv`, { params: { id: B.segmentId } }), [404]) },
  ],
  "app.segments.count.tsx": [
    {
      what: "counting a definition counts NORTH's customers",
      run: async () => {
        const answer = await admin("app.segments.count.tsx", "action", "/app/segments/count", { form: { definition: JSON.stringify({ match: "all", conditions: [{ field: "visitCount", op: "gte", value: 0 }] }) } });
        expect(answer.status).toBe(200);
        expectNoLeak(answer);
        refused(await admin("app.segments.count.tsx", "loader", "/app/segments/count"), [405]);
      },
    },
  ],
  "app.segments.new.tsx": [
    { what: "the form is NORTH's", run: async () => expectNoLeak(await admin("app.segments.new.tsx", "loader", "/app/segments/new")) },
    {
      what: "saving a segment stores NORTH's",
      run: async () => {
        const answer = await admin("app.segments.new.tsx", "action", "/app/segments/new", { form: { name: "Regulars", definition: JSON.stringify({ match: "all", conditions: [{ field: "visitCount", op: "gte", value: 2 }] }) } });
        expect(answer.status).toBe(302);
        expectNoLeak(answer);
      },
    },
  ],
  "app.settings.tsx": [
    { what: "settings and audit log are NORTH's", run: async () => expectNoLeak(await admin("app.settings.tsx", "loader", "/app/settings")) },
    {
      what: "saving settings changes NORTH only",
      run: async () => {
        const form = { timezone: "", dayparts: "morning 06:00-11:00", quietStart: "21:00", quietEnd: "07:00", pushCapCount: "1", pushCapDays: "3", programHoldoutPercent: "5", reportRecipients: "owner@north.example", reportWeekday: "1", reportTime: "08:00", dataRetentionDays: "400" };
        const answer = await admin("app.settings.tsx", "action", "/app/settings", { form });
        expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ ok: true });
        expectNoLeak(answer);
      },
    },
  ],
  "app.settings_.export.$file.tsx": [
    {
      what: "the data export (all.json and each table's CSV) holds no SOUTH row",
      run: async () => {
        const all = await admin("app.settings_.export.$file.tsx", "loader", "/app/settings/export/all.json", { params: { file: "all.json" } });
        expect(all.status).toBe(200);
        const text = typeof all.body === "string" ? all.body : JSON.stringify(all.body);
        expect(text).toContain("north-secret@example.com");
        expectNoLeak({ text });
        for (const table of ["Customer", "Member", "Order", "Segment", "Campaign", "PickupOrder", "PushDelivery", "AuditEvent"]) {
          const csv = await admin("app.settings_.export.$file.tsx", "loader", `/app/settings/export/${table}.csv`, { params: { file: `${table}.csv` } });
          expect(csv.status).toBe(200);
          expect(String(csv.body)).toContain(NORTH);
          expectNoLeak({ text: typeof csv.body === "string" ? csv.body : JSON.stringify(csv.body) });
        }
      },
    },
  ],

  "proxy.membership._index.tsx": [
    {
      what: "SOUTH's member id logged in at NORTH: not a member there",
      run: async () => {
        const answer = await proxy("proxy.membership._index.tsx", "loader", "membership");
        expect(answer.status).toBe(200);
        expect(answer.body.membership.status ?? answer.body.membership.state).not.toBe("active");
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.membership.join.tsx": [
    {
      what: "joining at NORTH with SOUTH's customer id joins NORTH only",
      run: async (stack) => {
        const answer = await proxy("proxy.membership.join.tsx", "action", "membership/join", { body: { consentText: "Join the club.", accepted: true } });
        expect(answer.body).toMatchObject({ changed: true, membership: { status: "active" } });
        expect(await stack.runtime.db.member.count({ where: { shop: NORTH, customerId: B.customer, status: "active" } })).toBe(1);
        expect(await stack.runtime.db.member.count({ where: { shop: SOUTH, customerId: B.customer, status: "active" } })).toBe(1);
      },
    },
  ],
  "proxy.membership.leave.tsx": [
    {
      what: "leaving at NORTH leaves SOUTH's membership as it was",
      run: async () => {
        const answer = await proxy("proxy.membership.leave.tsx", "action", "membership/leave", { body: {} });
        expect(answer.status).toBe(200);
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.pickup._index.tsx": [
    {
      what: "the order-ahead page at SOUTH's location id shows NORTH's menu",
      run: async () => {
        const answer = await proxy("proxy.pickup._index.tsx", "loader", "pickup", { query: { location: B.location } });
        expect(answer.status).toBe(200);
        expect(String(answer.body)).toContain("North High Street");
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.pickup.hold.tsx": [
    {
      what: "holding SOUTH's location and SOUTH's item: refused, nothing held",
      run: async () => {
        const slotStart = new Date(Math.ceil((Date.now() + 60 * 60_000) / 600_000) * 600_000).toISOString();
        const answer = await proxy("proxy.pickup.hold.tsx", "action", "pickup/hold", { body: { locationId: B.location, slotStart, items: [{ variantId: B.variantId, quantity: 1 }] } });
        refused(answer, [400, 404, 409, 422]);
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.pickup.release.tsx": [
    {
      what: "releasing SOUTH's hold by id: 404",
      run: async () => {
        const answer = await proxy("proxy.pickup.release.tsx", "action", "pickup/release", { body: { holdId: B.holdId } });
        refused(answer, [404]);
      },
    },
  ],
  "proxy.push._index.tsx": [
    {
      what: "the storefront gets NORTH's push key",
      run: async (stack) => {
        const answer = await proxy("proxy.push._index.tsx", "loader", "push");
        // NORTH's active key (the CLI case may have rotated it).
        expect(answer.body.publicKey).toBe((await stack.runtime.db.pushKey.findFirstOrThrow({ where: { shop: NORTH, status: "active" } })).publicKey);
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.push.subscribe.tsx": [
    {
      what: "subscribing SOUTH's endpoint at NORTH makes NORTH's own row",
      run: async () => {
        const answer = await proxy("proxy.push.subscribe.tsx", "action", "push/subscribe", {
          body: { subscription: { endpoint: B.pushEndpoint, expirationTime: null, keys: { p256dh: "BPk", auth: "au" } }, applicationServerKey: B.publicKey, browserId: "south-browser" },
        });
        refused(answer, [400, 409]);
        expectNoLeak(answer, [B.pushEndpoint, B.publicKey]);
      },
    },
  ],
  "proxy.push.unsubscribe.tsx": [
    {
      what: "unsubscribing SOUTH's endpoint at NORTH revokes nothing of SOUTH's",
      run: async () => {
        const answer = await proxy("proxy.push.unsubscribe.tsx", "action", "push/unsubscribe", { body: { endpoint: B.pushEndpoint } });
        expect(answer.status).toBe(200);
        expect(answer.body.revoked).toBeFalsy();
      },
    },
  ],
  "proxy.push.click.tsx": [
    {
      what: "SOUTH's click link at NORTH: 400; NORTH's link naming SOUTH's delivery records nothing",
      run: async (stack) => {
        const key = clickTokenKey(stack.runtime.config.encryptionKey ?? Buffer.alloc(0));
        const expiresAt = Math.floor(Date.now() / 1000) + 600;
        refused(await proxy("proxy.push.click.tsx", "loader", "push/click", { query: { t: signClickToken(key, { shop: SOUTH, deliveryId: B.deliveryId, expiresAt }) } }), [400]);
        const forged = await proxy("proxy.push.click.tsx", "loader", "push/click", { query: { t: signClickToken(key, { shop: NORTH, deliveryId: B.deliveryId, expiresAt }) } });
        expect(forged).toMatchObject({ status: 302, location: "/" });
      },
    },
  ],
  "proxy.manifest[.]webmanifest.ts": [{ what: "the manifest is NORTH's", run: async () => expectNoLeak(await proxy("proxy.manifest[.]webmanifest.ts", "loader", "manifest.webmanifest")) }],
  "proxy.sw[.]js.ts": [{ what: "the service worker is the same for every shop", run: async () => expectNoLeak(await proxy("proxy.sw[.]js.ts", "loader", "sw.js")) }],

  "api.pos.pickup.tsx": [
    {
      what: "the queue at SOUTH's location id holds no SOUTH order",
      run: async () => {
        const answer = await pos("api.pos.pickup.tsx", "loader", `/api/pos/pickup?location=${B.location}`);
        // 404 until NORTH has settings at that location id (the pickup settings case gives it some): then NORTH's own, empty queue.
        expect([200, 404]).toContain(answer.status);
        expect(JSON.stringify(answer.body)).not.toContain(B.pickupOrderId);
        expectNoLeak(answer);
      },
    },
    {
      what: "moving SOUTH's pickup order: 404",
      run: async () => refused(await pos("api.pos.pickup.tsx", "action", "/api/pos/pickup", { orderId: B.pickupOrderId, to: "preparing" }), [404]),
    },
  ],
  "app.perks.tsx": [
    {
      what: "the perks page lists NORTH's programs",
      run: async () => {
        const answer = await admin("app.perks.tsx", "loader", "/app/perks");
        expect(JSON.stringify(answer.body)).toContain("North secret perk");
        expectNoLeak(answer);
      },
    },
    {
      what: "pausing or overwriting SOUTH's program by id: refused or NORTH's own",
      run: async () => {
        for (const intent of ["pause", "resume"]) refused(await admin("app.perks.tsx", "action", "/app/perks", { form: { intent, id: B.perkProgramId } }), [400]);
        const save = await admin("app.perks.tsx", "action", "/app/perks", {
          form: { intent: "save", id: B.perkProgramId, kind: "every_nth_visit", name: "Hijack", reward: "Free", everyVisits: "2", variantIds: "", segmentId: B.segmentId, startsOn: "2026-01-01", active: "on" },
        });
        refused(save, [400]);
        expectNoLeak(save, [B.perkProgramId, B.segmentId]);
      },
    },
  ],
  "app.members.merges.tsx": [
    {
      what: "the possible duplicates are NORTH's",
      run: async () => {
        const answer = await admin("app.members.merges.tsx", "loader", "/app/members/merges");
        expect(JSON.stringify(answer.body)).toContain("North secret merge");
        expectNoLeak(answer);
      },
    },
    {
      what: "confirming, rejecting or undoing SOUTH's merge by id: refused",
      run: async () => {
        for (const intent of ["confirm", "reject", "undo"]) {
          const answer = await admin("app.members.merges.tsx", "action", "/app/members/merges", { form: { intent, mergeId: B.mergeId } });
          refused(answer, [404]);
          expectNoLeak(answer, [B.mergeId]);
        }
        expect((await admin("app.members.merges.tsx", "action", "/app/members/merges", { form: { intent: "propose" } })).body).toMatchObject({ ok: true });
      },
    },
  ],
  "proxy.card._index.tsx": [
    {
      what: "SOUTH's member logged in at NORTH gets no card of SOUTH's",
      run: async () => {
        const answer = await proxy("proxy.card._index.tsx", "loader", "card");
        expect(answer.status).toBe(200);
        expectNoLeak(answer);
      },
    },
  ],
  "proxy.card[.]js.ts": [{ what: "the card script is the same for every shop", run: async () => expectNoLeak(await proxy("proxy.card[.]js.ts", "loader", "card.js")) }],
  "api.pos.member.tsx": [
    {
      what: "SOUTH's member card code scanned at NORTH: refused, no scan stored",
      run: async () => {
        const code = formatCardCode(B.cardRef, totpAt(B.cardSecret, new Date()));
        const answer = await pos("api.pos.member.tsx", "action", "/api/pos/member", { code, locationId: B.location });
        refused(answer, [404, 409, 410, 422]);
        expectNoLeak(answer, [B.cardRef]);
      },
    },
    {
      what: "SOUTH's customer id on the sale: not known at NORTH",
      run: async () => {
        const answer = await pos("api.pos.member.tsx", "loader", `/api/pos/member?customerId=${B.untouchedCustomer}`);
        refused(answer, [404]);
        expectNoLeak(answer);
      },
    },
  ],
  "api.pos.perks.tsx": [
    {
      what: "SOUTH's customer's perks at NORTH: none of SOUTH's",
      run: async () => {
        const answer = await pos("api.pos.perks.tsx", "loader", `/api/pos/perks?customerId=${B.untouchedCustomer}`);
        expect(answer.status).toBe(404);
        expectNoLeak(answer);
      },
    },
    {
      what: "redeeming SOUTH's program for SOUTH's customer: 404, nothing redeemed",
      run: async () => {
        const answer = await pos("api.pos.perks.tsx", "action", "/api/pos/perks", { programId: B.perkProgramId, customerId: B.customer, mode: "recorded" });
        refused(answer, [404]);
        expectNoLeak(answer, [B.perkProgramId]);
      },
    },
  ],
};

// ---------- the operator's command line, pointed at NORTH ----------

interface CliCase {
  what: string;
  args(dir: string): string[];
  /** Exit code 1 (refused) or 0 (NORTH's own answer). */
  code: 0 | 1;
  /** Words the request itself names, which a refusal may echo. */
  sent?: string[];
}

const writeJson = (dir: string, name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};
const campaignFile = (dir: string, segmentId: string) =>
  writeJson(dir, `campaign-${segmentId}.json`, { name: "Hijack", kind: "segment-entry", segmentId, variants: [{ id: "a", title: "Hi", body: "Come by", weight: 1 }], offer: { type: "tasting", link: "/" } });

/** Every command that takes --shop (as `group sub`), with what NORTH's operator tries against SOUTH. */
const CLI_CASES: Record<string, CliCase[]> = {
  "backfill start": [{ what: "a backfill for NORTH touches no SOUTH run", args: () => ["backfill", "start", "--shop", NORTH], code: 0 }],
  "backfill status": [{ what: "lists NORTH's runs only", args: () => ["backfill", "status", "--shop", NORTH, "--json"], code: 0 }],
  "campaigns list": [{ what: "lists NORTH's campaigns only", args: () => ["campaigns", "list", "--shop", NORTH, "--json"], code: 0 }],
  "campaigns results": [{ what: "SOUTH's campaign id: not found", args: () => ["campaigns", "results", B.campaignId, "--shop", NORTH, "--json"], code: 1, sent: [B.campaignId] }],
  "campaigns create": [{ what: "a campaign on SOUTH's segment: refused", args: (dir) => ["campaigns", "create", campaignFile(dir, B.segmentId), "--shop", NORTH, "--id", "hijack"], code: 1, sent: [B.segmentId] }],
  "campaigns schedule": [{ what: "SOUTH's campaign id: not found", args: () => ["campaigns", "schedule", B.campaignId, "--shop", NORTH], code: 1, sent: [B.campaignId] }],
  "campaigns pause": [{ what: "SOUTH's campaign id: not found", args: () => ["campaigns", "pause", B.campaignId, "--shop", NORTH], code: 1, sent: [B.campaignId] }],
  "campaigns resume": [{ what: "SOUTH's campaign id: not found", args: () => ["campaigns", "resume", B.campaignId, "--shop", NORTH], code: 1, sent: [B.campaignId] }],
  "campaigns run": [{ what: "SOUTH's campaign id: not found", args: () => ["campaigns", "run", B.campaignId, "--shop", NORTH], code: 1, sent: [B.campaignId] }],
  cohorts: [{ what: "NORTH's cohorts", args: () => ["cohorts", "--shop", NORTH, "--return-days", "7", "--json"], code: 0 }],
  "import orders": [
    {
      what: "an import naming SOUTH's customer writes NORTH's rows",
      args: (dir) => {
        const file = join(dir, "orders.csv");
        writeFileSync(file, `customer_id,ordered_at,total\n${B.customer},2026-02-11T09:00:00Z,3.00\n`);
        return ["import", "orders", file, "--shop", NORTH, "--json", "--no-progress"];
      },
      code: 0,
    },
  ],
  "model fit": [{ what: "NORTH's model", args: () => ["model", "fit", "--shop", NORTH, "--until", "2026-02-28", "--unit", "week", "--json"], code: 0 }],
  "pickup settings": [{ what: "SOUTH's location id shows NORTH's (no) settings", args: () => ["pickup", "settings", "--shop", NORTH, "--location", B.location, "--json"], code: 0 }],
  "pickup slots": [{ what: "SOUTH's location id: no settings at NORTH", args: () => ["pickup", "slots", "--shop", NORTH, "--location", B.location, "--json"], code: 1 }],
  "push keys": [{ what: "NORTH's keys only", args: () => ["push", "keys", "--shop", NORTH, "--json"], code: 0 }],
  "push rotate-key": [{ what: "rotates NORTH's key, not SOUTH's", args: () => ["push", "rotate-key", "--shop", NORTH, "--json"], code: 0 }],
  report: [{ what: "the week SOUTH has a stored report for: NORTH's figures", args: () => ["report", "--shop", NORTH, "--week", REPORT_WEEK, "--json", "--no-progress"], code: 0 }],
  "segments preview": [
    {
      what: "NORTH's customers only",
      args: (dir) => ["segments", "preview", writeJson(dir, "segment.json", { conditions: [{ field: "visitCount", op: "gte", value: 0 }] }), "--shop", NORTH, "--as-of", "2026-03-01", "--json"],
      code: 0,
    },
  ],
  "members show": [{ what: "SOUTH's member id: not known at NORTH", args: () => ["members", "show", B.untouchedCustomer, "--shop", NORTH, "--json"], code: 1 }],
  recommend: [
    { what: "SOUTH's member id: nothing of SOUTH's", args: () => ["recommend", "--shop", NORTH, "--member", B.untouchedCustomer, "--json"], code: 0 },
    { what: "SOUTH's secret item: unknown at NORTH; a refresh recomputes NORTH only", args: () => ["recommend", "--shop", NORTH, "--item", "South secret mocha", "--refresh", "--json"], code: 1, sent: ["South secret mocha"] },
  ],
  simulate: [{ what: "writes a file, touches no database", args: (dir) => ["simulate", "--shop", NORTH, "--months", "1", "--members", "10", "--csv", join(dir, "sim.csv"), "--no-progress"], code: 0 }],
};

/**
 * The program app/cli/main.ts builds, built the same way from the register
 * calls it imports (main.ts itself exits the process when imported), with
 * the output captured: a new command is found without editing this file.
 */
async function buildCli(loadConfig: () => Config, output: { out: string[]; err: string[] }): Promise<Command> {
  const source = readFileSync(join(ROOT, "app/cli/main.ts"), "utf8");
  const program = new Command("regulars")
    .exitOverride()
    .configureOutput({ writeOut: (text) => void output.out.push(text), writeErr: (text) => void output.err.push(text) });
  for (const [, name, file] of source.matchAll(/import \{ (register\w+) \} from "\.\/([\w-]+)";/g)) {
    const module = (await import(/* @vite-ignore */ join(ROOT, "app/cli", `${file}.ts`))) as Record<string, (program: Command, loadConfig: () => Config) => void>;
    module[name ?? ""]?.(program, loadConfig);
  }
  return program;
}

async function commandsTakingShop(): Promise<string[]> {
  const program = await buildCli(() => {
    throw new Error("not run");
  }, { out: [], err: [] });
  const found: string[] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const here = [...path, sub.name()];
      if (sub.options.some((option) => option.long === "--shop")) found.push(here.join(" "));
      walk(sub, here);
    }
  };
  walk(program, []);
  return found.sort();
}

/**
 * Runs `regulars ARGS` in this process, as main.ts does (exit code 1 and
 * "regulars: message" for an error): a child process per command costs
 * seconds of start-up each; what is tested is the command's scoping.
 */
async function runCommand(args: string[], env: Record<string, string>): Promise<{ code: number; text: string }> {
  const output = { out: [] as string[], err: [] as string[] };
  const program = await buildCli(() => parseConfig({ NODE_ENV: "test", ...env }, { requireShopifyCredentials: false }), output);
  const saved = { log: console.log, error: console.error, exitCode: process.exitCode };
  console.log = (...parts: unknown[]) => void output.out.push(parts.map(String).join(" "));
  console.error = (...parts: unknown[]) => void output.err.push(parts.map(String).join(" "));
  process.exitCode = undefined;
  let code: number;
  try {
    await program.parseAsync(["node", "regulars", ...args]);
    code = process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    code = error instanceof CommanderError ? error.exitCode : 1;
    if (!(error instanceof CommanderError)) output.err.push(`regulars: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.exitCode = saved.exitCode;
  }
  return { code, text: `${output.out.join("\n")}\n${output.err.join("\n")}` };
}

const DOOR_PREFIXES = /^(app\.|proxy\.|api\.pos\.)/;

describe("the isolation case list", () => {
  it("has cases for every admin, app-proxy and POS route in app/routes", () => {
    const routes = readdirSync(ROUTES_DIR).filter((file) => DOOR_PREFIXES.test(file)).sort();
    const missing = routes.filter((file) => !(file in ROUTE_CASES));
    expect(missing, "routes without an isolation case").toEqual([]);
    const gone = Object.keys(ROUTE_CASES).filter((file) => !routes.includes(file));
    expect(gone, "cases for routes that no longer exist").toEqual([]);
  });

  it("has cases for every CLI command taking --shop", async () => {
    const commands = await commandsTakingShop();
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((command) => !(command in CLI_CASES)), "commands without an isolation case").toEqual([]);
    expect(Object.keys(CLI_CASES).filter((command) => !commands.includes(command)), "cases for commands that no longer exist").toEqual([]);
  });
});

/** The embedded database and, when set, the real server (with Redis): the queue backend does not change what a query is scoped to. */
const ISOLATION_STACKS = stackKinds().filter((kind, index, all) => index === 0 || index === all.length - 1);

describe.each(ISOLATION_STACKS)("tenant isolation on $name", (kind) => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack(kind, { ...DOOR_ENV, SHOPIFY_API_ORIGIN_OVERRIDE: shopify.url });
    setRuntime(stack.runtime);
    const applicationKey = stack.runtime.config.encryptionKey ?? Buffer.alloc(32);
    await seedShop(stack.runtime.db, applicationKey, A, false);
    await seedShop(stack.runtime.db, applicationKey, B, true);
  }, 180_000);

  afterAll(async () => {
    if (stack) closePushSender(stack.runtime);
    setRuntime(undefined);
    await stack?.stop();
  });

  const cliCases = Object.entries(CLI_CASES).flatMap(([command, list]) => list.map((c) => [command, c.what, c] as const));
  it.each(cliCases)("regulars %s --shop NORTH: %s", async (_command, _what, c) => {
    const dir = mkdtempSync(join(tmpdir(), "regulars-isolation-"));
    try {
      const southBefore = await shopRowsSnapshot(stack.runtime.db, SOUTH);
      const result = await runCommand(c.args(dir), { DATABASE_URL: stack.runtime.database.url, SHOPIFY_API_ORIGIN_OVERRIDE: shopify.url, ...(kind.queue === "redis" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) });
      expect(result.code, result.text).toBe(c.code);
      expectNoLeak(result, c.sent);
      expect(await shopRowsSnapshot(stack.runtime.db, SOUTH)).toEqual(southBefore);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  const cases = Object.entries(ROUTE_CASES).flatMap(([file, list]) => list.map((c) => [file, c.what, c] as const));
  it.each(cases)("%s: %s", async (_file, _what, c) => {
    const southBefore = await shopRowsSnapshot(stack.runtime.db, SOUTH);
    await c.run(stack);
    expect(await shopRowsSnapshot(stack.runtime.db, SOUTH)).toEqual(southBefore);
  });
});

afterAll(async () => {
  await shopify.close();
});
