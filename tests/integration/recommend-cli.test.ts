import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import type { Simulation } from "../../app/simulate/simulate";
import { createShopifyStandin, DEFAULT_SCOPES, type ShopifyStandin } from "../../standin/index.ts";
import { runCli, runCliAsync } from "../support/cli";
import { loadSimulatedCafe } from "../support/recommend-cafe";

const SHOP = "cli-partners.myshopify.com";

const itemJson = z.object({
  item: z.object({
    item: z.string(),
    category: z.string().nullable(),
    partners: z.array(z.object({ item: z.string(), confidence: z.number(), lift: z.number(), together: z.number(), members: z.number(), rank: z.number() })),
  }),
  tasting: z.object({ category: z.string().nullable(), members: z.array(z.object({ customerId: z.string(), score: z.number() })) }).nullable(),
});

describe("regulars recommend", () => {
  const folder = mkdtempSync(join(tmpdir(), "regulars-recommend-cli-"));
  const dataDir = join(folder, "data");
  let env: Record<string, string>;
  let standin: ShopifyStandin;
  let sim: Simulation;

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "recommend-cli-key", apiSecret: "recommend-cli-secret" });
    standin.store.addShop({ domain: SHOP });
    standin.store.seedMenu(SHOP);
    env = { DATA_DIR: dataDir, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url };
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    const embedded = await startEmbeddedDatabase({ dataDir });
    const db = createPrismaClient(embedded.url, { maxConnections: 1 });
    try {
      sim = await loadSimulatedCafe(db, { seed: "recommend-cli", shop: SHOP, months: 3, members: 300, until: new Date("2025-11-01T00:00:00Z") });
      const token = standin.store.issueAccessToken(SHOP, { scope: DEFAULT_SCOPES });
      await db.session.create({ data: { id: `offline_${SHOP}`, shop: SHOP, state: "", isOnline: false, accessToken: token.token, scope: token.scope } });
    } finally {
      await db.$disconnect();
      await embedded.stop();
    }
  }, 600_000);
  afterAll(async () => {
    await standin?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("refuses a member and an item together, or neither", () => {
    for (const args of [["--member", "1", "--item", "FW"], [], ["--member", "1", "--tasting"]]) {
      const { code, stderr } = runCli(["recommend", "--shop", SHOP, ...args], env);
      expect(code).toBe(2);
      expect(stderr).toMatch(/give either --member ID or --item SKU|--tasting needs --item/);
    }
  });

  it("computes on first use and prints a member's usual order and suggestions", async () => {
    const regular = sim.groundTruth.customers.find((customer) => customer.partner !== null && customer.visits >= 15);
    if (!regular) throw new Error("no regular in the simulation");
    const { code, stdout, stderr } = await runCliAsync(["recommend", "--shop", SHOP, "--member", regular.id], env);
    expect(code).toBe(0);
    expect(stderr).toContain("has no recommendations yet: computing them");
    expect(stdout).toContain(`Usual order of ${regular.id}:`);
    expect(stdout).toMatch(/Suggestions:\n {2}1\. .+ \(\w+\) — score \d\.\d{3}, goes with /);
  });

  it("prints an item's partners and, after reading categories from the Admin API, its tasting audience", async () => {
    const { code, stdout, stderr } = await runCliAsync(["recommend", "--shop", SHOP, "--item", "FW", "--tasting", "--categories", "--json"], env);
    expect(stderr).toMatch(/Categories read from the Admin API: \d+ items updated/);
    expect(code).toBe(0);
    const parsed = itemJson.parse(JSON.parse(stdout));
    expect(parsed.item.category).toBe("drink");
    expect(parsed.item.partners[0]).toMatchObject({ item: "ACRO", rank: 1 });
    expect(parsed.item.partners[0]?.together).toBeGreaterThanOrEqual(20);
    expect(parsed.tasting?.category).toBe("drink");
    expect(parsed.tasting?.members.length).toBeGreaterThan(0);
    const scores = parsed.tasting?.members.map((member) => member.score) ?? [];
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});
