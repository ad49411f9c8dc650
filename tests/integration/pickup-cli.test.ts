import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { placeHold } from "../../app/pickup/holds.server";
import { setMenu } from "../../app/pickup/settings.server";
import { runCli } from "../support/cli";
import { LATTE, MENU } from "../support/pickup-fixtures";

const SHOP = "corner-cafe.myshopify.com";
const OTHER = "other-cafe.myshopify.com";
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The shop-local date `days` from today in London, and the weekday (1–7) it falls on. */
function londonDay(days: number): { date: string; weekday: number } {
  const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date(Date.now() + days * 86_400_000));
  const utc = new Date(`${date}T00:00:00Z`).getUTCDay();
  return { date, weekday: utc === 0 ? 7 : utc };
}

/** The location's name, the menu and one hold, written into the embedded database the CLI uses (while no command has it open). */
async function seedPickup(dataDir: string, date: string): Promise<void> {
  const embedded = await startEmbeddedDatabase({ dataDir });
  const db = createPrismaClient(embedded.url, { maxConnections: 1 });
  try {
    await db.location.create({ data: { shop: SHOP, id: "1001", name: "High Street" } });
    expect((await setMenu(db, SHOP, MENU)).ok).toBe(true);
    const slots = await import("../../app/pickup/slots.server").then((m) => m.listSlots(db, { shop: SHOP, locationId: "1001", date }));
    const slot = slots.slots.find((s) => s.label === "07:30");
    if (!slot) throw new Error("no 07:30 slot");
    const held = await placeHold(db, { shop: SHOP, locationId: "1001", slotStart: slot.start, customerId: "501", items: [{ variantId: LATTE, quantity: 3 }] });
    expect(held.ok).toBe(true);
  } finally {
    await db.$disconnect();
    await embedded.stop();
  }
}

describe("regulars pickup slots", () => {
  it("prints help", () => {
    const { code, stdout } = runCli(["pickup", "slots", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars pickup slots \[options\]/);
    expect(stdout).toContain("--location <id>");
  });

  it("refuses malformed flags before opening any database", () => {
    const folder = mkdtempSync(join(tmpdir(), "regulars-pickup-cli-"));
    folders.push(folder);
    const env = { DATA_DIR: join(folder, "data") };
    const cases: Array<[string[], string]> = [
      [["--shop", "corner cafe", "--location", "1001"], "regulars: --shop must be"],
      [["--shop", SHOP, "--location", "high-street"], 'regulars: --location: location id must be a Shopify location id such as 12345 (got "high-street")'],
      [["--shop", SHOP, "--location", "1001", "--date", "2026-02-30"], 'regulars: --date must be a date like 2026-03-02 (got "2026-02-30")'],
    ];
    for (const [args, message] of cases) {
      const result = runCli(["pickup", "slots", ...args], env);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr.trim()).toContain(message);
    }
  });

  it("prints the slot table with capacity left, as text and JSON, and refuses the wrong shop", async () => {
    const folder = mkdtempSync(join(tmpdir(), "regulars-pickup-cli-"));
    folders.push(folder);
    const env = { DATA_DIR: join(folder, "data") };
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    expect(runCli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);
    expect(runCli(["shop", "create", OTHER, "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);
    const { date, weekday } = londonDay(3);

    const settingsArgs = ["pickup", "settings", "--shop", SHOP, "--location", "1001"];
    const defaults = runCli(settingsArgs, env);
    expect([defaults.code, defaults.stdout.split("\n")[0]]).toEqual([0, `Pickup at location 1001 of ${SHOP}: off (not set up yet: defaults).`]);
    const refused = runCli([...settingsArgs, "--on", "--slot-minutes", "7", "--orders", "none"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^regulars: nothing changed: .*hours: add opening hours before turning pickup on/);
    expect(refused.stderr).toContain("slotMinutes: slot length must divide a day evenly");
    expect(runCli([...settingsArgs, "--hours", "mon-fri 07:00-09:00; sat 7am"], env).stderr.trim()).toBe('regulars: --hours: write hours like 07:00-11:00, 12:00-15:00 (got "7am")');
    const saved = runCli([...settingsArgs, "--on", "--hours", "mon-sun 07:00-09:00", "--slot-minutes", "30", "--orders", "4", "--drinks", "12", "--cutoff", "45"], env);
    expect(saved.stderr).toBe("");
    expect(saved.stdout.split("\n").filter(Boolean)).toEqual([
      `Pickup at location 1001 of ${SHOP}: on (saved).`,
      "hours: Mon 07:00-09:00; Tue 07:00-09:00; Wed 07:00-09:00; Thu 07:00-09:00; Fri 07:00-09:00; Sat 07:00-09:00; Sun 07:00-09:00",
      "slots: 30 minutes, at most 4 orders and 12 drinks each; lead 10 min, cut-off 45 min, hold 10 min",
    ]);
    await seedPickup(env.DATA_DIR, date);

    const table = runCli(["pickup", "slots", "--shop", SHOP, "--location", "1001", "--date", date], env);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    const dayName = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][weekday - 1];
    expect(table.stdout.split("\n").filter(Boolean)).toEqual([
      `Pickup slots at High Street (1001), ${SHOP}, ${dayName} ${date} (Europe/London): 30-minute slots, at most 4 orders and 12 drinks per slot.`,
      "time   orders  left  drinks  left  status",
      "07:00  0       4     0       12    open",
      "07:30  1       3     3       9     open",
      "08:00  0       4     0       12    open",
      "08:30  0       4     0       12    cutoff",
      "3 of 4 slots open.",
    ]);

    const json = runCli(["pickup", "slots", "--shop", SHOP, "--location", "gid://shopify/Location/1001", "--date", date, "--json"], env);
    expect(json.code).toBe(0);
    const parsed: unknown = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ shop: SHOP, locationId: "1001", locationName: "High Street", timezone: "Europe/London", date, enabled: true });
    expect(parsed).toHaveProperty(["slots", 1], expect.objectContaining({ label: "07:30", orders: 1, ordersLeft: 3, items: 3, itemsLeft: 9, open: true }));

    // A day that has passed: every slot has started.
    const past = runCli(["pickup", "slots", "--shop", SHOP, "--location", "1001", "--date", londonDay(-2).date, "--json"], env);
    expect(JSON.parse(past.stdout)).toMatchObject({ slots: [{ reason: "past" }, { reason: "past" }, { reason: "past" }, { reason: "past" }] });

    const wrongShop = runCli(["pickup", "slots", "--shop", OTHER, "--location", "1001"], env);
    expect([wrongShop.code, wrongShop.stderr.trim()]).toEqual([1, `regulars: location 1001 has no pickup settings in ${OTHER}`]);
    const unknownShop = runCli(["pickup", "slots", "--shop", "nobody.myshopify.com", "--location", "1001"], env);
    expect([unknownShop.code, unknownShop.stderr.trim()]).toEqual([1, "regulars: shop nobody.myshopify.com is not known to Regulars"]);
  }, 360_000); // a dozen commands, each starting the embedded database
});
