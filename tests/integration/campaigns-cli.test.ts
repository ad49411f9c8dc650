import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createCampaign } from "../../app/campaigns/campaigns.server";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { createSegment, createShop, insertMembers, insertOrder, reachableMember } from "../support/campaign-fixtures";
import { runCli } from "../support/cli";
import { uniqueName } from "../support/stacks";

/** `regulars campaigns` as a user runs it: list, results (text and JSON), create, schedule, and its refusals. */

const SHOP = "corner-cafe.myshopify.com";
const folders: string[] = [];
const dropDatabases: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of dropDatabases) await drop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regulars-campaigns-cli-"));
  folders.push(dir);
  return dir;
}

const TASTING = {
  name: "Thursday tasting",
  kind: "segment-entry",
  segmentId: "due-to-return",
  variants: [{ id: "a", title: "Oat latte tasting", body: "On us at the counter this morning.", weight: 1 }],
  offer: { type: "tasting", link: "/pages/tasting" },
};

describe("regulars campaigns: help and flags", () => {
  it.each([[["campaigns"]], [["campaigns", "list"]], [["campaigns", "results"]], [["campaigns", "create"]]])("prints help for %j", (command) => {
    const { code, stdout } = runCli([...command, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars campaigns/);
  });

  it("refuses a bad shop or id with a message that says which", () => {
    const shop = runCli(["campaigns", "list", "--shop", "corner-cafe.com"]);
    expect(shop.code).toBe(1);
    expect(shop.stderr.trim()).toBe("regulars: --shop must be the shop's *.myshopify.com domain, e.g. corner-cafe.myshopify.com");
    const id = runCli(["campaigns", "results", "no such id", "--shop", SHOP]);
    expect(id.code).toBe(1);
    expect(id.stderr.trim()).toBe('regulars: campaign id must be letters, digits, - or _ (got "no such id")');
  });
});

const databases = [{ name: "embedded database", server: false }, ...(process.env.DATABASE_URL ? [{ name: "PostgreSQL server", server: true }] : [])];

/** Each command starts its own process (and, embedded, opens the database): a few seconds each on a busy machine. */
const SLOW = { timeout: 300_000 };

describe.each(databases)("regulars campaigns on the $name", ({ server }) => {
  it("lists campaigns and reports results with an interval, in text and JSON", SLOW, async () => {
    const folder = tempDir();
    const env: Record<string, string> = server ? { DATABASE_URL: await serverDatabase() } : { DATA_DIR: join(folder, "data") };
    expect(runCli(["db", "migrate"], env).code).toBe(0);

    const sentAt = new Date("2026-03-10T07:45:00Z");
    await withDatabase(env, async (db) => {
      await createShop(db, SHOP);
      await createSegment(db, SHOP, "due-to-return");
      const ids = Array.from({ length: 30 }, (_, i) => String(6_800_000_000_100 + i));
      await insertMembers(db, SHOP, ids.map((id) => reachableMember(id)), sentAt);
      await createCampaign(db, SHOP, TASTING, { id: "tasting" });
      await db.campaign.update({ where: { shop_id: { shop: SHOP, id: "tasting" } }, data: { status: "active", startsAt: new Date("2026-03-09T12:00:00Z") } });
      // 20 sent, 8 of whom ordered within 72 hours; 10 held out, 1 of whom ordered.
      for (const [index, id] of ids.entries()) {
        const treated = index < 20;
        await db.campaignRecipient.create({
          data: { shop: SHOP, campaignId: "tasting", customerId: id, arm: treated ? "treatment" : "holdout", variantId: treated ? "a" : null, status: treated ? "sent" : "skipped", skipReason: treated ? null : "holdout", scheduledFor: sentAt },
        });
        if ((treated && index < 8) || index === 20) await insertOrder(db, SHOP, { id: String(9_000 + index), customerId: id, at: new Date(sentAt.getTime() + 5 * 3_600_000), total: 5 });
      }
    });

    const listed = runCli(["campaigns", "list", "--shop", SHOP, "--json"], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: "tasting", name: "Thursday tasting", kind: "segment-entry", status: "active", decided: 30, sent: 20 }]);
    const listText = runCli(["campaigns", "list", "--shop", SHOP], env);
    expect(listText.stdout).toMatch(/^id +name +kind +status/);
    expect(listText.stdout).toMatch(/tasting +Thursday tasting +segment-entry +active +due-to-return +2026-03-09 12:00 +30 +20/);

    const json = runCli(["campaigns", "results", "tasting", "--shop", SHOP, "--json"], env);
    expect(json.code).toBe(0);
    const results = JSON.parse(json.stdout);
    expect(results.arms.treatment).toMatchObject({ recipients: 20, conversions: 8, rate: 0.4, revenue: 40, revenuePerRecipient: 2, windowsOpen: 0 });
    expect(results.arms.holdout).toMatchObject({ recipients: 10, conversions: 1, rate: 0.1, revenue: 5, revenuePerRecipient: 0.5 });
    // Hand-computed: Newcombe interval for 8/20 − 1/10; pooled z = 0.3 / √(0.3·0.7·(1/20 + 1/10)) = 1.690, p = 0.0910;
    // n = [1.96·√(2·0.25·0.75) + 0.8416·√(0.24 + 0.09)]² / 0.09 = 31.5 → 32 per arm, 22 more than the holdout has.
    expect(results.uplift.verdict).toBe("inconclusive");
    expect(results.uplift.difference).toBeCloseTo(0.3, 10);
    expect(results.uplift.interval.low).toBeCloseTo(-0.054, 3);
    expect(results.uplift.interval.high).toBeCloseTo(0.5287, 3);
    expect(results.uplift.pValue).toBeCloseTo(0.091, 3);
    expect(results.uplift).toMatchObject({ neededPerArm: 32, morePerArm: 22 });
    expect(results.revenuePerRecipientDifference).toBe(1.5);

    const text = runCli(["campaigns", "results", "tasting", "--shop", SHOP], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Campaign "Thursday tasting" (tasting): segment-entry, active, corner-cafe.myshopify.com');
    expect(text.stdout).toMatch(/treatment +20 +8 +40\.0 % +21\.9–61\.3 % +GBP 40\.00 +GBP 2\.00 +0/);
    expect(text.stdout).toMatch(/holdout +10 +1 +10\.0 % +1\.8–40\.4 % +GBP 5\.00 +GBP 0\.50 +0/);
    expect(text.stdout).toContain(
      "Uplift: Inconclusive: +30.0 points (95 % CI −5.4 points to +52.9 points, p = 0.091); the interval includes zero. Detecting a difference this size needs about 32 recipients per arm (22 more).",
    );

    const unknown = runCli(["campaigns", "results", "nope", "--shop", SHOP], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(`regulars: campaign nope does not exist in ${SHOP}`);
  });

  it("creates a campaign from a file, refuses one that would not fit in a push, and schedules it", SLOW, async () => {
    const folder = tempDir();
    const env: Record<string, string> = server ? { DATABASE_URL: await serverDatabase() } : { DATA_DIR: join(folder, "data") };
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    await withDatabase(env, async (db) => {
      await createShop(db, SHOP);
      await createSegment(db, SHOP, "due-to-return");
    });

    const tooLong = join(folder, "too-long.json");
    writeFileSync(tooLong, JSON.stringify({ ...TASTING, variants: [{ id: "a", title: "Tasting", body: "☕".repeat(1_500) }] }));
    const refused = runCli(["campaigns", "create", tooLong, "--shop", SHOP], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^regulars: invalid campaign: variants\[0\]: the notification takes up to [\d,]+ bytes as sent .* shorten the title or body by at least [\d,]+ bytes/);

    const good = join(folder, "tasting.json");
    writeFileSync(good, JSON.stringify(TASTING));
    const created = runCli(["campaigns", "create", good, "--shop", SHOP, "--id", "thursday-tasting"], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created thursday-tasting "Thursday tasting" (segment-entry) is draft.');
    const scheduled = runCli(["campaigns", "schedule", "thursday-tasting", "--shop", SHOP], env);
    expect(scheduled.code).toBe(0);
    expect(scheduled.stdout).toMatch(/^thursday-tasting "Thursday tasting" \(segment-entry\) is active, from \d{4}-/);
    const again = runCli(["campaigns", "schedule", "thursday-tasting", "--shop", SHOP], env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe("regulars: campaign thursday-tasting is active; only a draft can be scheduled");
    const paused = runCli(["campaigns", "pause", "thursday-tasting", "--shop", SHOP], env);
    expect(paused.stdout).toMatch(/is paused/);
  });
});

/** Opens the database the CLI uses, between CLI runs (the embedded one belongs to one process at a time). */
async function withDatabase(env: Record<string, string>, work: (db: Database) => Promise<void>): Promise<void> {
  const embedded = env.DATA_DIR ? await startEmbeddedDatabase({ dataDir: env.DATA_DIR }) : undefined;
  const db = createPrismaClient(embedded?.url ?? env.DATABASE_URL ?? "", { maxConnections: 1 });
  try {
    await work(db);
  } finally {
    await db.$disconnect();
    await embedded?.stop();
  }
}

async function serverDatabase(): Promise<string> {
  const serverUrl = process.env.DATABASE_URL ?? "";
  const name = uniqueName("regulars_campaigns_cli");
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropDatabases.push(async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
