import { Session } from "@shopify/shopify-api";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCampaign } from "../../app/campaigns/campaigns.server";
import { parseCampaignDefinition, CampaignDefinitionError } from "../../app/campaigns/definition";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { setRuntime } from "../../app/runtime.server";
import { registerInstall } from "../../app/shops/shops.server";
import { jobQueues } from "../../jobs/queues";
import { createSegment } from "../support/campaign-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The admin's campaign pages as Shopify calls them: a session token for one
 * shop (signed with the app's secret, checked by Shopify's library) and that
 * shop's offline session. Creating from the form goes through the same
 * definition as the CLI; a shop's session never reaches another shop's data.
 */

const API_KEY = "authoring-test-key";
const API_SECRET = "authoring-test-secret";
const APP_URL = "https://regulars.example";
const SHOPIFY = { DEMO: "0", SHOPIFY_API_KEY: API_KEY, SHOPIFY_API_SECRET: API_SECRET, SHOPIFY_APP_URL: APP_URL };

// The routes read their configuration (through shopify.server) when first imported: a real app's.
Object.assign(process.env, SHOPIFY);
const newPage = await import("../../app/routes/app.campaigns.new");
const campaignRoute = await import("../../app/routes/app.campaigns.$id");

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";

async function bearer(shop: string): Promise<string> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET);
  return `Bearer ${token}`;
}

async function adminRequest(shop: string, path: string, form?: Record<string, string>): Promise<Request> {
  const headers = { Authorization: await bearer(shop) };
  if (!form) return new Request(`${APP_URL}${path}`, { headers });
  return new Request(`${APP_URL}${path}`, { method: "POST", headers, body: new URLSearchParams(form) });
}

type Outcome = { status: number; location: string | null; body: unknown };

/** What the HTTP layer would send for a loader's or action's result (a thrown Response included). */
async function outcome(result: Promise<unknown>): Promise<Outcome> {
  let value: unknown;
  try {
    value = await result;
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, location: null, body: await thrown.text() };
    throw thrown;
  }
  if (value instanceof Response) return { status: value.status, location: value.headers.get("Location"), body: null };
  if (value && typeof value === "object" && "init" in value && "data" in value) {
    const init = value.init as ResponseInit | null;
    return { status: init?.status ?? 200, location: null, body: value.data };
  }
  return { status: 200, location: null, body: value };
}

const FORM_ID = "0b5a4c1e-8f2d-4c3b-9a1e-2f6d7c8b9a01";

/** A valid two-message segment-entry campaign as the form submits it. */
const validForm = (overrides: Record<string, string> = {}): Record<string, string> => ({
  intent: "create",
  formId: FORM_ID,
  name: "Oat latte tasting",
  kind: "segment-entry",
  segmentId: "due-to-return",
  variantCount: "2",
  "variants[0].title": "Taste our new oat latte",
  "variants[0].body": "Tomorrow morning, on us: show {code} at the counter for {percentOff} % off.",
  "variants[0].url": "",
  "variants[0].weight": "3",
  "variants[1].title": "A new latte is waiting",
  "variants[1].body": "Come and try it before 11.",
  "variants[1].url": "/products/oat-latte",
  "variants[1].weight": "1",
  "offer.type": "tasting",
  "offer.link": "/pages/tasting",
  "offer.discount.percentOff": "15",
  holdoutPercent: "20",
  attributionHours: "48",
  leadMinutes: "30",
  startsAt: "2027-07-01T08:00",
  endsAt: "2027-07-31T20:00",
  ...overrides,
});

/** The same campaign as a JSON file for `regulars campaigns create`. */
const validJson = () => ({
  name: "Oat latte tasting",
  kind: "segment-entry",
  segmentId: "due-to-return",
  variants: [
    { id: "a", title: "Taste our new oat latte", body: "Tomorrow morning, on us: show {code} at the counter for {percentOff} % off.", weight: 3 },
    { id: "b", title: "A new latte is waiting", body: "Come and try it before 11.", url: "/products/oat-latte", weight: 1 },
  ],
  offer: { type: "tasting", link: "/pages/tasting", discount: { percentOff: 15 } },
  holdoutPercent: 20,
  attributionHours: 48,
  leadMinutes: 30,
  startsAt: "2027-07-01T07:00:00Z",
  endsAt: "2027-07-31T19:00:00Z",
});

function cliIssues(json: unknown): Array<{ path: string; message: string }> {
  try {
    parseCampaignDefinition(json);
    return [];
  } catch (error) {
    if (error instanceof CampaignDefinitionError) return error.issues;
    throw error;
  }
}

const kind = stackKinds()[0];

describe.runIf(kind)("creating, scheduling and pausing campaigns from the admin", () => {
  let stack: TestStack;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind, SHOPIFY);
    setRuntime(stack.runtime);
    const db = stack.runtime.db;
    const sessions = new PrismaSessionStorage(() => db);
    for (const [shop, name] of [[NORTH, "North Cafe"], [SOUTH, "South Cafe"]] as const) {
      await registerInstall(db, { domain: shop, name, timezone: "Europe/London", currency: "GBP" });
      await sessions.storeSession(new Session({ id: `offline_${shop}`, shop, state: "installed", isOnline: false, scope: stack.runtime.config.shopify.scopes.join(","), accessToken: `token-${shop}` }));
    }
    await createSegment(db, NORTH, "due-to-return", "Due to return");
    await db.segment.update({ where: { shop_id: { shop: NORTH, id: "due-to-return" } }, data: { memberCount: 42 } });
    await createSegment(db, SOUTH, "south-only", "South regulars");
    await db.campaign.create({
      data: { shop: SOUTH, id: "south-tasting", name: "South tasting", kind: "segment-entry", segmentId: "south-only", status: "active", variants: [{ id: "a", title: "Hi", body: "Hi", weight: 1 }], offer: { type: "tasting", link: "/" } },
    });
  }, 180_000);

  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
  });

  const campaignCount = (shop: string) => stack.runtime.db.campaign.count({ where: { shop } });

  it("offers the shop's own segments with their member counts, in the shop's zone", async () => {
    const page = await outcome(newPage.loader({ request: await adminRequest(NORTH, "/app/campaigns/new"), params: {}, context: {} }));
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      formId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      options: { shopName: "North Cafe", timezone: "Europe/London", segments: [{ id: "due-to-return", name: "Due to return", memberCount: 42 }], kinds: ["segment-entry", "broadcast", "second-visit", "win-back"] },
    });
  });

  it("refuses a request without a valid session token", async () => {
    const { token } = await getJwt("north-cafe", API_KEY, "another-secret");
    const request = new Request(`${APP_URL}/app/campaigns/new`, { headers: { Authorization: `Bearer ${token}` } });
    const page = await outcome(newPage.loader({ request, params: {}, context: {} }));
    expect(page.status).toBe(401);
  });

  it("creates the draft from a valid form and sends the owner to its page; the same form again stores nothing more", async () => {
    const created = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", validForm()), params: {}, context: {} }));
    expect(created).toMatchObject({ status: 302, location: `/app/campaigns/${FORM_ID}` });
    const row = await stack.runtime.db.campaign.findUniqueOrThrow({ where: { shop_id: { shop: NORTH, id: FORM_ID } } });
    expect(row).toMatchObject({
      name: "Oat latte tasting",
      kind: "segment-entry",
      status: "draft",
      segmentId: "due-to-return",
      holdoutPercent: 20,
      attributionHours: 48,
      leadMinutes: 30,
      // 08:00 and 20:00 in London in July (BST, UTC+1).
      startsAt: new Date("2027-07-01T07:00:00Z"),
      endsAt: new Date("2027-07-31T19:00:00Z"),
      offer: { type: "tasting", link: "/pages/tasting", discount: { percentOff: 15, validHours: 48 } },
    });
    expect(row.variants).toEqual([
      { id: "a", title: "Taste our new oat latte", body: "Tomorrow morning, on us: show {code} at the counter for {percentOff} % off.", url: "/pages/tasting", weight: 3 },
      { id: "b", title: "A new latte is waiting", body: "Come and try it before 11.", url: "/products/oat-latte", weight: 1 },
    ]);
    // The CLI reads the same campaign from JSON into the same definition.
    expect(parseCampaignDefinition(validJson())).toMatchObject({ variants: row.variants, startsAt: row.startsAt, endsAt: row.endsAt });

    const again = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", validForm()), params: {}, context: {} }));
    expect(again).toMatchObject({ status: 302, location: `/app/campaigns/${FORM_ID}` });
    expect(await campaignCount(NORTH)).toBe(1);

    // Another form under an id already taken by a different campaign is refused, not merged.
    const clash = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", validForm({ name: "Something else" })), params: {}, context: {} }));
    expect(clash.status).toBe(400);
    expect(clash.body).toEqual({ intent: "create", issues: [{ path: "", message: `campaign ${FORM_ID} already exists in ${NORTH}` }] });
  });

  it("creates a broadcast at a shop-local time", async () => {
    const id = "7d1f0e2a-3b4c-4d5e-8f60-718293a4b5c6";
    const form = validForm({ formId: id, kind: "broadcast", variantCount: "1", startsAt: "2026-12-03T09:30", endsAt: "", leadMinutes: "", "offer.discount.percentOff": "" });
    form["variants[0].body"] = "Tasting on Thursday from 9:30.";
    const created = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", form), params: {}, context: {} }));
    expect(created).toMatchObject({ status: 302, location: `/app/campaigns/${id}` });
    const row = await stack.runtime.db.campaign.findUniqueOrThrow({ where: { shop_id: { shop: NORTH, id } } });
    // London in December is UTC.
    expect(row).toMatchObject({ kind: "broadcast", startsAt: new Date("2026-12-03T09:30:00Z"), endsAt: null, leadMinutes: 45 });
    expect(row.variants).toEqual([{ id: "a", title: "Taste our new oat latte", body: "Tasting on Thursday from 9:30.", url: "/pages/tasting", weight: 1 }]);
  });

  const hugeBody = "☕".repeat(1_500);

  // Each row: the field changed, the message expected under it, and (when a JSON file can say the same) the CLI's.
  const refusals: Array<{ what: string; form: Record<string, string>; path: string; message: string; json?: (json: ReturnType<typeof validJson>) => unknown }> = [
    { what: "no name", form: { name: "  " }, path: "name", message: "name must not be empty", json: (j) => ({ ...j, name: "" }) },
    { what: "a transactional kind", form: { kind: "transactional" }, path: "kind", message: "kind must be one of segment-entry, broadcast, second-visit, win-back (a transactional message's wording is set with `regulars campaigns create`)" },
    { what: "no segment", form: { segmentId: "" }, path: "segmentId", message: "a segment-entry campaign needs the segment it targets", json: (j) => ({ ...j, segmentId: null }) },
    { what: "another shop's segment", form: { segmentId: "south-only" }, path: "segmentId", message: 'there is no segment "south-only" in this shop; pick one of the list' },
    { what: "an empty title", form: { "variants[1].title": "" }, path: "variants[1].title", message: "title must not be empty", json: (j) => ({ ...j, variants: [j.variants[0], { ...j.variants[1], title: "" }] }) },
    { what: "a zero weight", form: { "variants[0].weight": "0" }, path: "variants[0].weight", message: "weight must be between 1 and 1000", json: (j) => ({ ...j, variants: [{ ...j.variants[0], weight: 0 }, j.variants[1]] }) },
    { what: "a link off the shop", form: { "offer.link": "https://elsewhere.example/win" }, path: "offer.link", message: "must be a storefront path such as /products/oat-latte (starting with one /, no spaces)", json: (j) => ({ ...j, offer: { ...j.offer, link: "https://elsewhere.example/win" } }) },
    { what: "no offer type", form: { "offer.type": "" }, path: "offer.type", message: "type must be one of tasting, new-item, order-ahead" },
    { what: "a discount over 100 %", form: { "offer.discount.percentOff": "150" }, path: "offer.discount.percentOff", message: "percentOff must be between 1 and 100", json: (j) => ({ ...j, offer: { ...j.offer, discount: { percentOff: 150 } } }) },
    { what: "a holdout over 50 %", form: { holdoutPercent: "80" }, path: "holdoutPercent", message: "holdoutPercent must be between 0 and 50", json: (j) => ({ ...j, holdoutPercent: 80 }) },
    { what: "a holdout that is not a number", form: { holdoutPercent: "ten" }, path: "holdoutPercent", message: "holdoutPercent must be a number", json: (j) => ({ ...j, holdoutPercent: "ten" }) },
    { what: "fractional attribution hours", form: { attributionHours: "1.5" }, path: "attributionHours", message: "attributionHours must be a whole number", json: (j) => ({ ...j, attributionHours: 1.5 }) },
    { what: "a lead time over 12 hours", form: { leadMinutes: "1000" }, path: "leadMinutes", message: "leadMinutes must be between 0 and 720", json: (j) => ({ ...j, leadMinutes: 1000 }) },
    { what: "a start that is not a date and time", form: { startsAt: "next Tuesday" }, path: "startsAt", message: "startsAt must be a date and time on the shop's clock (Europe/London), such as 2026-03-12T08:00" },
    { what: "an end before the start", form: { endsAt: "2027-06-30T08:00" }, path: "endsAt", message: "must be after startsAt", json: (j) => ({ ...j, endsAt: "2027-06-30T07:00:00Z" }) },
    { what: "a broadcast without its time", form: { kind: "broadcast", startsAt: "" }, path: "startsAt", message: "a broadcast needs the time to send it" },
    { what: "an unknown placeholder", form: { "variants[1].body": "Hello {firstName}" }, path: "variants[1].body", message: "{firstName} is not a placeholder here (available: {code}, {percentOff})", json: (j) => ({ ...j, variants: [j.variants[0], { ...j.variants[1], body: "Hello {firstName}" }] }) },
    {
      what: "a message over 4 KB as sent",
      form: { "variants[0].body": hugeBody },
      path: "variants[0]",
      // {"v":1,"title":"Taste our new oat latte","body":1,500 × ☕ (3 bytes each),"click":322-character token} = 4,884 bytes.
      message: "the notification takes up to 4,884 bytes as sent (title and body with placeholders at their longest, and the tracked link) but one Web Push message carries at most 3,993 (4 KB encrypted): shorten the title or body by at least 891 bytes",
      json: (j) => ({ ...j, variants: [{ ...j.variants[0], body: hugeBody }, j.variants[1]] }),
    },
  ];

  it.each(refusals)("refuses $what with its message beside the field, storing nothing", async ({ form, path, message, json }) => {
    const before = await campaignCount(NORTH);
    const refused = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", validForm({ formId: crypto.randomUUID(), ...form })), params: {}, context: {} }));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ intent: "create", issues: [{ path, message }] });
    if (json) expect(cliIssues(json(validJson()))).toEqual([{ path, message }]);
    expect(await campaignCount(NORTH)).toBe(before);
  });

  it("measures each message as the owner types, with the rule that refuses it, storing nothing", async () => {
    const before = await campaignCount(NORTH);
    const measured = await outcome(newPage.action({ request: await adminRequest(NORTH, "/app/campaigns/new", validForm({ intent: "check", "variants[0].body": hugeBody })), params: {}, context: {} }));
    expect(measured.status).toBe(200);
    expect(measured.body).toEqual({
      intent: "check",
      sizes: [
        { index: 0, bytes: 4_884, limit: 3_993, problem: expect.stringContaining("shorten the title or body by at least 891 bytes") },
        { index: 1, bytes: expect.any(Number), limit: 3_993, problem: null },
      ],
    });
    expect(await campaignCount(NORTH)).toBe(before);
  });

  it("schedules, pauses and resumes with the CLI's functions, and says why a change is not possible", async () => {
    const change = async (shop: string, id: string, what: string) =>
      outcome(campaignRoute.action({ request: await adminRequest(shop, `/app/campaigns/${id}`, { change: what }), params: { id }, context: {} }));
    const page = async () => outcome(campaignRoute.loader({ request: await adminRequest(NORTH, `/app/campaigns/${FORM_ID}`), params: { id: FORM_ID }, context: {} }));

    expect((await page()).body).toMatchObject({ changes: ["schedule"], setup: { status: "draft", startsAt: "2027-07-01 08:00", endsAt: "2027-07-31 20:00", segment: { name: "Due to return", memberCount: 42 } } });
    expect(await change(NORTH, FORM_ID, "resume")).toEqual({ status: 409, location: null, body: { ok: false, message: `campaign ${FORM_ID} is draft; only a paused campaign can be resumed` } });

    expect(await change(NORTH, FORM_ID, "schedule")).toEqual({ status: 200, location: null, body: { ok: true, message: "The campaign is scheduled." } });
    const schedulers = await stack.runtime.jobs.queue(jobQueues["campaign-run"]).getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain(`campaign-run:${NORTH}:${FORM_ID}`);
    expect((await page()).body).toMatchObject({ changes: ["pause"], setup: { status: "scheduled" } });

    expect(await change(NORTH, FORM_ID, "pause")).toMatchObject({ status: 200, body: { ok: true, message: "The campaign is paused." } });
    expect((await stack.runtime.jobs.queue(jobQueues["campaign-run"]).getJobSchedulers()).map((s) => s.key)).not.toContain(`campaign-run:${NORTH}:${FORM_ID}`);
    expect((await page()).body).toMatchObject({ changes: ["resume"] });
    expect(await change(NORTH, FORM_ID, "resume")).toMatchObject({ status: 200, body: { ok: true, message: "The campaign is scheduled." } });
    expect(await change(NORTH, FORM_ID, "delete")).toMatchObject({ status: 400, body: { ok: false, message: "change must be one of schedule, pause, resume" } });
  });

  it("keeps the id of the admin's creation page free", async () => {
    await expect(createCampaign(stack.runtime.db, NORTH, validJson(), { id: "new" })).rejects.toThrow('campaign id "new" is reserved');
  });

  it("never lets one shop's session see or change another shop's campaign", async () => {
    const seen = await outcome(campaignRoute.loader({ request: await adminRequest(NORTH, "/app/campaigns/south-tasting"), params: { id: "south-tasting" }, context: {} }));
    expect(seen.status).toBe(404);
    const paused = await outcome(campaignRoute.action({ request: await adminRequest(NORTH, "/app/campaigns/south-tasting", { change: "pause" }), params: { id: "south-tasting" }, context: {} }));
    expect(paused.status).toBe(404);
    expect((await stack.runtime.db.campaign.findUniqueOrThrow({ where: { shop_id: { shop: SOUTH, id: "south-tasting" } } })).status).toBe("active");
    // South's own session sees it, and not North's.
    const own = await outcome(campaignRoute.loader({ request: await adminRequest(SOUTH, "/app/campaigns/south-tasting"), params: { id: "south-tasting" }, context: {} }));
    expect(own).toMatchObject({ status: 200, body: { setup: { name: "South tasting", status: "active" }, changes: ["pause"] } });
    expect((await outcome(campaignRoute.loader({ request: await adminRequest(SOUTH, `/app/campaigns/${FORM_ID}`), params: { id: FORM_ID }, context: {} }))).status).toBe(404);
    const southForm = await outcome(newPage.loader({ request: await adminRequest(SOUTH, "/app/campaigns/new"), params: {}, context: {} }));
    expect(southForm.body).toMatchObject({ options: { segments: [{ id: "south-only" }] } });
  });
});
