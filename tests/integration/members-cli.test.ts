import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { savePerkProgram } from "../../app/perks/programs.server";
import { runCli } from "../support/cli";

const SHOP = "members-cli-cafe.myshopify.com";
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const day = (text: string) => new Date(`${text}T00:00:00Z`);

/** A member with ten weekly weekday-morning visits, a visit perk ready and a merged duplicate, written while no command has the database open. */
async function seedMember(dataDir: string): Promise<void> {
  const embedded = await startEmbeddedDatabase({ dataDir });
  const db = createPrismaClient(embedded.url, { maxConnections: 1 });
  try {
    await db.customer.createMany({ data: [{ shop: SHOP, id: "801", firstName: "Cleo", lastName: "Park", source: "webhook" }, { shop: SHOP, id: "802", source: "backfill" }] });
    await db.member.create({ data: { shop: SHOP, customerId: "801", status: "active", joinedVia: "storefront", joinedAt: day("2026-01-01") } });
    await db.customerAlias.create({ data: { shop: SHOP, customerId: "802", survivorId: "801", mergeId: "m-9" } });
    const dates = Array.from({ length: 10 }, (_, i) => new Date(day("2026-01-06").getTime() + i * 7 * 86_400_000));
    await db.visit.createMany({ data: dates.map((date) => ({ shop: SHOP, customerId: "801", localDate: date, locationKey: "1001", firstOrderAt: date, lastOrderAt: date, orders: 1, spend: "3.00", weekday: 2, localMinute: 480 })) });
    await db.memberFeature.create({
      data: { shop: SHOP, customerId: "801", firstVisitOn: dates[0] ?? day("2026-01-06"), lastVisitOn: dates[9] ?? day("2026-03-10"), visitCount: 10, totalSpend: "30", avgSpend: "3", gapCount: 9, gapMedianDays: 7, pattern: "weekday-morning", patternShare: 1, usualGapDays: 7.2, acquisitionWeek: day("2026-01-05"), acquisitionMonth: day("2026-01-01") },
    });
    const saved = await savePerkProgram(db, SHOP, "cli", null, { kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", everyVisits: "8", startsOn: "2026-01-01" });
    expect(saved.ok).toBe(true);
  } finally {
    await db.$disconnect();
    await embedded.stop();
  }
}

describe("regulars members show", () => {
  it("prints help naming the member argument", () => {
    const { code, stdout } = runCli(["members", "show", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars members show \[options\] <member>/);
    expect(stdout).toContain("--shop <domain>");
  });

  it("prints a member as text and JSON, resolves a merged id, and refuses unknown shops and members", async () => {
    const folder = mkdtempSync(join(tmpdir(), "regulars-members-cli-"));
    folders.push(folder);
    const env = { DATA_DIR: join(folder, "data") };
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    expect(runCli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);
    await seedMember(join(folder, "data"));

    const text = runCli(["members", "show", "--shop", SHOP, "801"], env);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n").slice(0, 6)).toEqual([
      "Cleo Park, customer 801: member",
      "visits: 10, first 2026-01-06, last 2026-03-10",
      "rhythm: weekday mornings, every week",
      "usual order: not known yet",
      "suggestions: none yet",
      "perks:",
    ]);
    expect(text.stdout).toContain("  Eighth visit (a drink on us): 1 ready; 10 visits counted, 6 to the next");
    expect(text.stdout).toContain("pickup today: none\npush: off");

    const merged = runCli(["members", "show", "--shop", SHOP, "gid://shopify/Customer/802", "--json"], env);
    expect(merged.code).toBe(0);
    const summary = JSON.parse(merged.stdout) as { customerId: string; name: string; visits: number; perks: Array<{ ready: number }> };
    expect([summary.customerId, summary.name, summary.visits, summary.perks[0]?.ready]).toEqual(["801", "Cleo Park", 10, 1]);

    const unknown = runCli(["members", "show", "--shop", SHOP, "999"], env);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, `regulars: Customer 999 is not known in ${SHOP}. Customers arrive with their orders (sync, backfill or import).`]);
    const noShop = runCli(["members", "show", "--shop", "nowhere.myshopify.com", "801"], env);
    expect(noShop.code).toBe(1);
    expect(noShop.stderr).toContain("Shop nowhere.myshopify.com is not known to Regulars");
    const badShop = runCli(["members", "show", "--shop", "not a shop", "801"], env);
    expect(badShop.code).toBe(1);
    expect(badShop.stderr).toContain("regulars: --shop must be");
  }, 360_000); // several commands, each starting the embedded database
});
