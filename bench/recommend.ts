/**
 * bench:recommend — personal recommendations on a simulated cafe whose
 * generator planted a partner pastry for every drink (app/simulate/menu.ts):
 * recommendations are computed from the visits up to a cutoff only, then
 * scored on each member's visits after it (precision@3) beside the
 * most-popular baseline in the same run, with the share of planted-partner
 * carriers whose first suggestion is their partner, and the time the
 * computation took.
 *
 *   npm run bench:recommend [-- --members 3200 --months 6 --holdout-days 28 --seed bench]
 *
 * Embedded PostgreSQL (PGlite) unless DATABASE_URL is set (then a fresh
 * database on that server, dropped afterwards). Ends with one line of JSON.
 */
import { parseArgs } from "node:util";
import { createPrismaClient } from "../app/db/prisma.server";
import { holdoutEvaluation } from "../app/recommend/evaluate.server";
import { cutoffBefore, loadSimulatedCafe, partnerFirstShare } from "../tests/support/recommend-cafe";
import { freshDatabase } from "../tests/support/stacks";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "3200" },
    months: { type: "string", default: "6" },
    "holdout-days": { type: "string", default: "28" },
    seed: { type: "string", default: "bench-recommend" },
  },
});
const MEMBERS = positiveInt("--members", values.members);
const MONTHS = positiveInt("--months", values.months);
const HOLDOUT_DAYS = positiveInt("--holdout-days", values["holdout-days"]);
const SHOP = "bench-recommend.myshopify.com";

const database = await freshDatabase(process.env.DATABASE_URL ? "server" : "embedded");
const db = createPrismaClient(database.url);
try {
  const loadStarted = performance.now();
  const sim = await loadSimulatedCafe(db, { seed: values.seed, shop: SHOP, months: MONTHS, members: MEMBERS, until: new Date("2026-11-01T00:00:00Z") });
  console.log(`loaded ${sim.customers.length.toLocaleString("en-US")} customers, ${sim.orders.length.toLocaleString("en-US")} orders in ${seconds(loadStarted)} s (${process.env.DATABASE_URL ? "PostgreSQL server" : "embedded PGlite"})`);
  const cutoff = cutoffBefore(sim, HOLDOUT_DAYS);
  const started = performance.now();
  const evaluation = await holdoutEvaluation(db, SHOP, { cutoff, k: 3 });
  const elapsed = Number(seconds(started));
  const partner = partnerFirstShare(sim, evaluation.firstSuggestion, evaluation.usual);
  const ratio = evaluation.baselinePrecisionAtK === 0 ? null : evaluation.precisionAtK / evaluation.baselinePrecisionAtK;
  console.log(`cutoff ${cutoff.toISOString().slice(0, 10)} (last ${HOLDOUT_DAYS} days held out)`);
  console.log(`computed: ${evaluation.computed.visits} visits, ${evaluation.computed.items} items, ${evaluation.computed.affinities} affinities, ${evaluation.computed.members} members in ${elapsed} s (includes the evaluation's reads)`);
  console.log(`precision@3 on held-out visits, ${evaluation.members} members: personal ${evaluation.precisionAtK.toFixed(3)}, most-popular baseline ${evaluation.baselinePrecisionAtK.toFixed(3)} (×${ratio?.toFixed(2) ?? "n/a"})`);
  console.log(`planted partner ranked first for ${partner.partnerFirst} of ${partner.members} carriers (${(partner.share * 100).toFixed(1)} %)`);
  console.log(
    JSON.stringify({
      bench: "recommend",
      members: evaluation.members,
      precision_at_3: round(evaluation.precisionAtK),
      baseline_precision_at_3: round(evaluation.baselinePrecisionAtK),
      ratio_vs_baseline: ratio === null ? null : round(ratio),
      partner_first_share: round(partner.share),
      seconds: elapsed,
    }),
  );
} finally {
  await db.$disconnect();
  await database.drop();
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${flag} must be a whole number of at least 1 (got ${value})`);
    process.exit(2);
  }
  return n;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
