import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { exportCustomerData, redactCustomer } from "../../app/compliance/personal-data.server";
import { memberPerks, redeemPerk } from "../../app/perks/perks.server";
import { listPerkPrograms, savePerkProgram, setPerkProgramActive } from "../../app/perks/programs.server";
import { computeWeeklyFigures } from "../../app/reports/figures.server";
import { renderReportCsv, renderReportHtml } from "../../app/reports/render";
import { freshDatabase, stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Perk programs on a real database: earning from visits (from the program's
 * start, counting a merged customer's history), redemption with every refusal
 * a register can meet, the owner's programs with their audit trail, the
 * weekly report's count, and the race of two registers redeeming one perk.
 */

const SHOP = "perk-cafe.myshopify.com";
const OTHER = "perk-rival.myshopify.com";
/** Wednesday of 2026-W10 (2 to 8 March), mid-morning in London. */
const NOW = new Date("2026-03-04T10:00:00Z");
const LATTE = "40001";
const CROISSANT = "40003";
const NEW_MOCHA = "40010";
const NEW_CHAI = "40011";

const day = (text: string) => new Date(`${text}T00:00:00Z`);

async function addCustomer(db: Database, shop: string, id: string, options: { member?: "active" | "left" | null; visitsOn?: string[]; firstName?: string } = {}): Promise<void> {
  await db.customer.create({ data: { shop, id, firstName: options.firstName ?? `Guest ${id}`, source: "webhook" } });
  const member = options.member === undefined ? "active" : options.member;
  if (member) await db.member.create({ data: { shop, customerId: id, status: member, joinedVia: "pos", joinedAt: day("2026-01-01"), leftAt: member === "left" ? day("2026-02-01") : null } });
  await addVisits(db, shop, id, options.visitsOn ?? []);
}

async function addVisits(db: Database, shop: string, customerId: string, dates: string[]): Promise<void> {
  if (dates.length === 0) return;
  await db.visit.createMany({
    data: dates.map((date) => ({
      shop,
      customerId,
      localDate: day(date),
      locationKey: "1001",
      firstOrderAt: new Date(`${date}T08:10:00Z`),
      lastOrderAt: new Date(`${date}T08:10:00Z`),
      orders: 1,
      spend: "3.60",
      weekday: day(date).getUTCDay(),
      localMinute: 490,
      label: "weekday-morning",
      pos: true,
    })),
  });
}

/** n consecutive days ending the day before `until`. */
function daysBefore(until: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => new Date(day(until).getTime() - (n - i) * 86_400_000).toISOString().slice(0, 10));
}

async function program(db: Database, shop: string, form: Record<string, string>): Promise<string> {
  const saved = await savePerkProgram(db, shop, "owner@cafe.test", null, form);
  if (!saved.ok) throw new Error(`fixture program invalid: ${JSON.stringify(saved.errors)}`);
  return saved.program.id;
}

const EIGHTH = { kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", everyVisits: "8", variantIds: "", startsOn: "2026-01-01" };

describe.each(stackKinds())("perks on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  let eighth = "";
  let tasting = "";

  beforeAll(async () => {
    stack = await startTestStack(kind);
    for (const shop of [SHOP, OTHER]) await db().shop.create({ data: { domain: shop, timezone: "Europe/London", currency: "GBP" } });
    eighth = await program(db(), SHOP, EIGHTH);
    tasting = await program(db(), SHOP, { kind: "new_item_tasting", name: "New menu tasting", reward: "a tasting cup", variantIds: `${NEW_MOCHA}, ${NEW_CHAI}`, startsOn: "2026-03-01" });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("earns one perk per 8 visits counted from the program's start, never from visits before it", async () => {
    // 3 visits in December do not count; 17 from January do: 2 perks, 7 visits to the third.
    await addCustomer(db(), SHOP, "101", { visitsOn: [...daysBefore("2025-12-20", 3), ...daysBefore("2026-02-01", 17)] });
    const perks = await memberPerks(db(), SHOP, "101", NOW);
    expect(perks.find((p) => p.programId === eighth)).toEqual({
      programId: eighth,
      kind: "every_nth_visit",
      name: "Eighth visit",
      reward: "a drink on us",
      ready: 2,
      variantIds: [],
      progress: { visitsCounted: 17, everyVisits: 8, visitsToNext: 7 },
    });
    // 20 visits in all make them a regular: both new items are theirs to taste.
    expect(perks.find((p) => p.programId === tasting)).toMatchObject({ kind: "new_item_tasting", ready: 2, variantIds: [NEW_MOCHA, NEW_CHAI], progress: null });
  });

  it("redeems earned perks one by one, then refuses with the visits still needed", async () => {
    const first = await redeemPerk(db(), SHOP, { programId: eighth, customerId: "101", variantId: LATTE, mode: "discount", locationId: "gid://shopify/Location/1001" }, NOW);
    expect(first).toMatchObject({ ok: true, unitKey: "1" });
    const second = await redeemPerk(db(), SHOP, { programId: eighth, customerId: "101", mode: "recorded" }, NOW);
    expect(second).toMatchObject({ ok: true, unitKey: "2" });
    expect(await redeemPerk(db(), SHOP, { programId: eighth, customerId: "101", mode: "recorded" }, NOW)).toEqual({
      ok: false,
      status: 409,
      message: 'No perk of "Eighth visit" is ready: 7 more visits to the next one.',
    });
    const rows = await db().perkRedemption.findMany({ where: { shop: SHOP, programId: eighth, customerId: "101" }, orderBy: { unitKey: "asc" } });
    expect(rows.map((r) => [r.unitKey, r.mode, r.variantId, r.locationId, r.redeemedAt.toISOString()])).toEqual([
      ["1", "discount", LATTE, "1001", NOW.toISOString()],
      ["2", "recorded", null, null, NOW.toISOString()],
    ]);
    expect((await memberPerks(db(), SHOP, "101", NOW)).find((p) => p.programId === eighth)?.ready).toBe(0);
  });

  it("lets a regular taste each new item once", async () => {
    expect(await redeemPerk(db(), SHOP, { programId: tasting, customerId: "101", variantId: `gid://shopify/ProductVariant/${NEW_CHAI}`, mode: "discount" }, NOW)).toMatchObject({ ok: true, unitKey: NEW_CHAI });
    const again = await redeemPerk(db(), SHOP, { programId: tasting, customerId: "101", variantId: NEW_CHAI, mode: "discount" }, NOW);
    expect(again).toMatchObject({ ok: false, status: 409 });
    expect(!again.ok && again.message).toMatch(/already redeemed/);
    expect((await memberPerks(db(), SHOP, "101", NOW)).find((p) => p.programId === tasting)).toMatchObject({ ready: 1, variantIds: [NEW_MOCHA] });
  });

  it("refuses what a register must not give, saying why", async () => {
    await addCustomer(db(), SHOP, "102", { visitsOn: daysBefore("2026-03-01", 2) });
    await addCustomer(db(), SHOP, "103", { member: null, visitsOn: daysBefore("2026-03-01", 9) });
    await addCustomer(db(), SHOP, "104", { member: "left", visitsOn: daysBefore("2026-03-01", 9) });
    await addCustomer(db(), OTHER, "105", { visitsOn: daysBefore("2026-03-01", 9) });
    const paused = await program(db(), SHOP, { ...EIGHTH, name: "Old loyalty", active: "off" });
    const limited = await program(db(), SHOP, { ...EIGHTH, name: "Croissant club", everyVisits: "2", variantIds: CROISSANT });
    const cases: Array<[string, Parameters<typeof redeemPerk>[2], number, RegExp]> = [
      ["unknown program", { programId: "nope", customerId: "101", mode: "recorded" }, 404, /no perk program nope/],
      ["another shop's customer is unknown here", { programId: eighth, customerId: "105", mode: "recorded" }, 404, /Customer 105 is not known/],
      ["unknown customer", { programId: eighth, customerId: "999", mode: "recorded" }, 404, /Customer 999 is not known/],
      ["not a member", { programId: eighth, customerId: "103", mode: "recorded" }, 422, /not a member/],
      ["left the membership", { programId: eighth, customerId: "104", mode: "recorded" }, 422, /not a member/],
      ["paused program", { programId: paused, customerId: "101", mode: "recorded" }, 422, /"Old loyalty" is paused/],
      ["discount without an item", { programId: eighth, customerId: "101", mode: "discount" }, 422, /Choose the item/],
      ["item the program does not cover", { programId: limited, customerId: "101", variantId: LATTE, mode: "discount" }, 422, /applies to variants 40003 only \(got 40001\)/],
      ["tasting of an item not on the list", { programId: tasting, customerId: "101", variantId: LATTE, mode: "recorded" }, 422, /not one of the new items/],
      ["tasting without an item", { programId: tasting, customerId: "101", mode: "recorded" }, 422, /Choose which new item/],
      ["tasting for a member who is no regular yet", { programId: tasting, customerId: "102", variantId: NEW_MOCHA, mode: "recorded" }, 422, /for regulars: members with 3 or more visits/],
      ["bad mode", { programId: eighth, customerId: "101", mode: "free" as "recorded" }, 422, /mode: mode must be "discount"/],
      ["bad location", { programId: eighth, customerId: "101", mode: "recorded", locationId: "high street" }, 422, /locationId must be a Shopify location id/],
      ["bad variant", { programId: eighth, customerId: "101", variantId: "latte", mode: "discount" }, 422, /variantId must be a Shopify variant id/],
    ];
    for (const [name, input, status, message] of cases) {
      const result = await redeemPerk(db(), SHOP, input, NOW);
      expect(result.ok, name).toBe(false);
      if (!result.ok) {
        expect(result.status, name).toBe(status);
        expect(result.message, name).toMatch(message);
      }
    }
    expect(await db().perkRedemption.count({ where: { shop: SHOP, customerId: { in: ["102", "103", "104", "105", "999"] } } })).toBe(0);
    // Non-members and regulars-to-be see nothing to redeem; a member short of a perk sees their progress.
    expect(await memberPerks(db(), SHOP, "103", NOW)).toEqual([]);
    const newcomer = await memberPerks(db(), SHOP, "102", NOW);
    expect(newcomer.map((p) => [p.name, p.ready])).toEqual([["Eighth visit", 0], ["Croissant club", 1]]);
  });

  it("counts a merged customer's visits and perks as the survivor's", async () => {
    // 106 was merged into 107: the merge moved 106's visits to 107, and 106 had already taken perk 1 and a mocha tasting.
    await addCustomer(db(), SHOP, "107", { visitsOn: daysBefore("2026-03-01", 16) });
    await addCustomer(db(), SHOP, "106", { member: null });
    await db().customerAlias.create({ data: { shop: SHOP, customerId: "106", survivorId: "107", mergeId: "merge-1" } });
    await db().perkRedemption.createMany({
      data: [
        { shop: SHOP, id: "r-106-1", programId: eighth, customerId: "106", unitKey: "1", mode: "recorded", redeemedAt: day("2026-02-01") },
        { shop: SHOP, id: "r-106-m", programId: tasting, customerId: "106", unitKey: NEW_MOCHA, mode: "recorded", redeemedAt: day("2026-03-02") },
      ],
    });
    const viaAlias = await memberPerks(db(), SHOP, "106", NOW);
    expect(viaAlias.find((p) => p.programId === eighth)).toMatchObject({ ready: 1, progress: { visitsCounted: 16 } });
    expect(viaAlias.find((p) => p.programId === tasting)).toMatchObject({ ready: 1, variantIds: [NEW_CHAI] });
    expect(await redeemPerk(db(), SHOP, { programId: tasting, customerId: "107", variantId: NEW_MOCHA, mode: "recorded" }, NOW)).toMatchObject({ ok: false, status: 409 });
    expect(await redeemPerk(db(), SHOP, { programId: eighth, customerId: "106", mode: "recorded" }, NOW)).toMatchObject({ ok: true, unitKey: "2" });
    expect(await db().perkRedemption.findFirst({ where: { shop: SHOP, programId: eighth, unitKey: "2", customerId: "107" } })).not.toBeNull();
  });

  it("lists the owner's programs with redemptions this week and all time, and audits every change", async () => {
    const list = await listPerkPrograms(db(), SHOP, NOW);
    expect(list.weekFrom).toBe("2026-03-02");
    const byName = new Map(list.programs.map((p) => [p.name, p]));
    // Eighth visit: 2 for 101 and 1 for 107 this week, plus 106's from February.
    expect(byName.get("Eighth visit")).toMatchObject({ redeemedThisWeek: 3, redeemedAllTime: 4, active: true });
    expect(byName.get("New menu tasting")).toMatchObject({ redeemedThisWeek: 2, redeemedAllTime: 2 });
    expect(list.programs.at(-1)?.name).toBe("Old loyalty");

    const refused = await savePerkProgram(db(), SHOP, "owner@cafe.test", tasting, { kind: "every_nth_visit", name: "x", reward: "y", everyVisits: "5", startsOn: "2026-03-01" });
    expect(refused).toEqual({ ok: false, errors: { kind: "the kind cannot change once perks were redeemed; pause this program and create a new one" } });
    expect(await savePerkProgram(db(), SHOP, "owner@cafe.test", null, { kind: "new_item_tasting", name: "Seg", reward: "cup", variantIds: NEW_MOCHA, segmentId: "no-such-segment", startsOn: "2026-03-01" })).toEqual({
      ok: false,
      errors: { segmentId: "there is no segment no-such-segment in this shop" },
    });
    expect(await savePerkProgram(db(), OTHER, "owner@cafe.test", eighth, EIGHTH)).toMatchObject({ ok: false, errors: { form: expect.stringMatching(/no perk program/) } });

    const edited = await savePerkProgram(db(), SHOP, "owner@cafe.test", eighth, { ...EIGHTH, reward: "any drink on us", everyVisits: "10" });
    expect(edited).toMatchObject({ ok: true, created: false, program: { reward: "any drink on us", everyVisits: 10 } });
    expect(await setPerkProgramActive(db(), SHOP, "owner@cafe.test", eighth, false)).toEqual({ ok: true, changed: true, name: "Eighth visit" });
    expect(await setPerkProgramActive(db(), SHOP, "owner@cafe.test", eighth, false)).toEqual({ ok: true, changed: false, name: "Eighth visit" });
    expect(await setPerkProgramActive(db(), SHOP, "owner@cafe.test", eighth, true)).toMatchObject({ changed: true });
    const audit = await db().auditEvent.findMany({ where: { shop: SHOP, target: `perk:${eighth}` }, orderBy: { at: "asc" } });
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ["perk.create", "owner@cafe.test"],
      ["perk.update", "owner@cafe.test"],
      ["perk.pause", "owner@cafe.test"],
      ["perk.resume", "owner@cafe.test"],
    ]);
    expect(await db().auditEvent.count({ where: { shop: OTHER } })).toBe(0);
  });

  it("counts perks redeemed in the weekly report, per program, in HTML and CSV", async () => {
    const figures = await computeWeeklyFigures(db(), SHOP, "2026-W10");
    expect(figures.perks).toEqual({
      redeemed: 5,
      lastWeek: 0,
      programs: [
        { programId: eighth, name: "Eighth visit", kind: "every_nth_visit", redeemed: 3, lastWeek: 0 },
        { programId: tasting, name: "New menu tasting", kind: "new_item_tasting", redeemed: 2, lastWeek: 0 },
      ],
    });
    const csv = renderReportCsv(figures);
    expect(csv).toContain("perks,all,redeemed,5\r\n");
    expect(csv).toContain(`perks,${eighth},redeemed,3\r\n`);
    const html = renderReportHtml(figures, (name) => name);
    expect(html).toContain('data-perks-redeemed="5"');
    expect(html).toContain("<td style=\"padding:6px 10px;border-bottom:1px solid #e1e3e5;text-align:left;vertical-align:top\">New menu tasting</td>");
    // February's redemption belongs to W05 only.
    expect((await computeWeeklyFigures(db(), SHOP, "2026-W05")).perks).toMatchObject({ redeemed: 1, programs: [{ name: "Eighth visit", redeemed: 1 }] });
    expect((await computeWeeklyFigures(db(), OTHER, "2026-W10")).perks).toEqual({ redeemed: 0, lastWeek: 0, programs: [] });
  });

  it("exports a customer's redemptions and keeps them counted, under a pseudonym, after redaction", async () => {
    const exported = await exportCustomerData(db(), SHOP, "101");
    expect((exported.perkRedemptions as unknown[]).length).toBe(3);
    const { pseudonym } = await redactCustomer(db(), SHOP, "101", []);
    expect(await db().perkRedemption.count({ where: { shop: SHOP, customerId: "101" } })).toBe(0);
    expect(await db().perkRedemption.count({ where: { shop: SHOP, customerId: pseudonym } })).toBe(3);
  });

  it("answers a register's retry (same requestId) with the first answer and gives nothing more, even when the two race", async () => {
    const retried = await program(db(), SHOP, { ...EIGHTH, name: "Retried", everyVisits: "2" });
    // 4 visits: 2 perks ready, so a retry taken for a new tap would give the second.
    await addCustomer(db(), SHOP, "401", { visitsOn: daysBefore("2026-03-01", 4) });
    const tap = { programId: retried, customerId: "401", mode: "recorded" as const, requestId: "3f0c2a9e-7b1d-4c55-9a0e-1d2b3c4d5e6f" };
    expect(await redeemPerk(db(), SHOP, tap, NOW)).toEqual({ ok: true, redemptionId: tap.requestId, unitKey: "1", replayed: false });
    // The answer was lost on the way back; the register sends the same tap again, later.
    expect(await redeemPerk(db(), SHOP, tap, new Date(NOW.getTime() + 30_000))).toEqual({ ok: true, redemptionId: tap.requestId, unitKey: "1", replayed: true });
    expect(await db().perkRedemption.count({ where: { shop: SHOP, programId: retried, customerId: "401" } })).toBe(1);
    expect((await memberPerks(db(), SHOP, "401", NOW)).find((p) => p.programId === retried)?.ready).toBe(1);

    // A retry racing its own first try: one redemption, and both get it.
    const racing = { ...tap, requestId: "racing-tap-0000000000000002" };
    const [a, b] = await Promise.all([redeemPerk(db(), SHOP, racing, NOW), redeemPerk(db(), SHOP, racing, NOW)]);
    expect([a, b].map((r) => r.ok && r.unitKey)).toEqual(["2", "2"]);
    expect([a, b].filter((r) => r.ok && r.replayed).length).toBe(1);
    expect(await db().perkRedemption.count({ where: { shop: SHOP, programId: retried, customerId: "401" } })).toBe(2);

    // A request id is one tap's: not reusable for another perk, and the same id in another shop is another shop's.
    const reused = await redeemPerk(db(), SHOP, { ...tap, programId: eighth, customerId: "101" }, NOW);
    expect(reused).toMatchObject({ ok: false, status: 422 });
    expect(!reused.ok && reused.message).toMatch(/already used for another redemption/);
    expect(await redeemPerk(db(), OTHER, tap, NOW)).toMatchObject({ ok: false, status: 404 });
    const malformed = await redeemPerk(db(), SHOP, { ...tap, requestId: "short" }, NOW);
    expect(malformed).toMatchObject({ ok: false, status: 422 });
    expect(!malformed.ok && malformed.message).toMatch(/requestId must be 16–64 letters/);
  });

  it("lets exactly one of two registers redeeming the same perk at once win, every time", async () => {
    // On the server, each register has its own client and connections; the embedded database serialises them on one.
    const registers: Database[] = kind.database === "server" ? [createPrismaClient(stack.runtime.database.url, { maxConnections: 2 }), createPrismaClient(stack.runtime.database.url, { maxConnections: 2 })] : [db(), db()];
    const race = await program(db(), SHOP, { ...EIGHTH, name: "Race", everyVisits: "4" });
    try {
      for (let round = 0; round < 8; round++) {
        const customerId = String(300 + round);
        await addCustomer(db(), SHOP, customerId, { visitsOn: daysBefore("2026-03-01", 4) });
        const [a, b] = registers;
        if (!a || !b) throw new Error("two registers expected");
        const results = await Promise.all([
          redeemPerk(a, SHOP, { programId: race, customerId, mode: "recorded", locationId: "1001" }, NOW),
          redeemPerk(b, SHOP, { programId: race, customerId, mode: "recorded", locationId: "1002" }, NOW),
        ]);
        expect(results.filter((r) => r.ok).length, `round ${round}`).toBe(1);
        const lost = results.find((r) => !r.ok);
        expect(lost && !lost.ok && lost.status, `round ${round}`).toBe(409);
        expect(await db().perkRedemption.count({ where: { shop: SHOP, programId: race, customerId } }), `round ${round}`).toBe(1);
      }
    } finally {
      if (kind.database === "server") await Promise.all(registers.map((client) => client.$disconnect()));
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)("perk race on a real PostgreSQL server (set DATABASE_URL to run)", () => {
  it("gives one perk once when many registers press at the same moment", async () => {
    const database = await freshDatabase("server");
    const clients = Array.from({ length: 4 }, () => createPrismaClient(database.url, { maxConnections: 1 }));
    const [db] = clients;
    try {
      if (!db) throw new Error("no client");
      await db.shop.create({ data: { domain: SHOP, timezone: "Europe/London", currency: "GBP" } });
      const race = await program(db, SHOP, { ...EIGHTH, everyVisits: "3" });
      for (let round = 0; round < 5; round++) {
        const customerId = String(700 + round);
        // 4 visits, one perk every 3: one perk earned, four registers asking at once.
        await addCustomer(db, SHOP, customerId, { visitsOn: daysBefore("2026-03-01", 4) });
        const results = await Promise.all(clients.map((client) => redeemPerk(client, SHOP, { programId: race, customerId, mode: "recorded" }, NOW)));
        expect(results.filter((r) => r.ok).map((r) => r.ok && r.unitKey)).toEqual(["1"]);
        expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.status)).toEqual([409, 409, 409]);
        expect(await db.perkRedemption.count({ where: { shop: SHOP, customerId } })).toBe(1);
      }
    } finally {
      await Promise.all(clients.map((client) => client.$disconnect()));
      await database.drop();
    }
  });
});
