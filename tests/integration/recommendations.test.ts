import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { holdoutEvaluation, type HoldoutEvaluation } from "../../app/recommend/evaluate.server";
import { memberRecommendations } from "../../app/recommend/recommend.server";
import type { Simulation } from "../../app/simulate/simulate";
import { cutoffBefore, loadSimulatedCafe, partnerFirstShare } from "../support/recommend-cafe";
import { freshDatabase } from "../support/stacks";

/**
 * Acceptance (issue 9): on a simulated cafe whose generator planted a partner
 * pastry for every drink (app/simulate/menu.ts; a drink brings its partner
 * along in 28 % of tickets), recommendations computed from the visits up to a
 * cutoff only rank the planted partner first for most carriers (commuters and
 * students, whose usual drink is a habit), and their precision@3 on each
 * member's visits after the cutoff beats the most-popular baseline in the
 * same run.
 *
 * Thresholds. Seed "recommend", 1,000 customers, 4 months, the last 28 days
 * held out: the partner came first for 251 of 348 carriers (0.72), and
 * precision@3 over 524 members was 0.256 against the baseline's 0.163, when
 * this test was written (bench:recommend at
 * 3,200 customers and 6 months: docs/benchmarks.md). Where the partner is not
 * first, a brunch plate usually is: brunch tables hold several drinks at once,
 * so confidence(drink → plate) runs close to the partner's for members who
 * vary their drink. The bar is 0.6: most members, with room for the seed.
 */

const SHOP = "planted-partners.myshopify.com";
const HOLDOUT_DAYS = 28;

const databases = [{ name: "embedded PostgreSQL", server: false }, ...(process.env.DATABASE_URL ? [{ name: "PostgreSQL server", server: true }] : [])];

describe.each(databases)("recommendations on a simulated cafe ($name)", ({ server }) => {
  let db: Database;
  let drop: () => Promise<void>;
  let sim: Simulation;
  let evaluation: HoldoutEvaluation;

  beforeAll(async () => {
    const database = await freshDatabase(server ? "server" : "embedded");
    drop = database.drop;
    db = createPrismaClient(database.url);
    sim = await loadSimulatedCafe(db, { seed: "recommend", shop: SHOP, months: 4, members: 1000, until: new Date("2025-11-01T00:00:00Z") });
    evaluation = await holdoutEvaluation(db, SHOP, { cutoff: cutoffBefore(sim, HOLDOUT_DAYS), k: 3 });
  }, 900_000);

  afterAll(async () => {
    await db?.$disconnect();
    await drop?.();
  });

  it("ranks the planted partner first for most members", () => {
    const partner = partnerFirstShare(sim, evaluation.firstSuggestion, evaluation.usual);
    expect(partner.members).toBeGreaterThan(200);
    expect(partner.share).toBeGreaterThan(0.6);
  });

  it("beats the most-popular baseline on held-out visits (precision@3)", () => {
    expect(evaluation.members).toBeGreaterThan(300);
    expect(evaluation.precisionAtK).toBeGreaterThan(evaluation.baselinePrecisionAtK);
  });

  it("is refreshed by the nightly recompute, up to its day", async () => {
    const carrier = sim.groundTruth.customers.find((customer) => customer.partner !== null && customer.visits >= 20);
    if (!carrier) throw new Error("the simulation has no regular carrier");
    const until = cutoffBefore(sim, 0);
    const result = await recomputeShop(db, SHOP, { until });
    expect(result.seconds.recommendations).toBeGreaterThanOrEqual(0);
    const run = await db.analyticsRun.findFirstOrThrow({ where: { shop: SHOP, id: result.runId } });
    expect(run.stats).toMatchObject({ recommendations: { items: evaluation.computed.items } });
    const { usual, suggestions } = await memberRecommendations(db, SHOP, carrier.id);
    expect(usual.length).toBeGreaterThan(0);
    expect(suggestions.length).toBe(3);
    // Every visit counts now: more than the evaluation's cutoff saw.
    const stats = z.object({ recommendations: z.object({ visits: z.number() }) }).parse(run.stats);
    expect(stats.recommendations.visits).toBeGreaterThan(evaluation.computed.visits);
  });
});
