import { CommanderError, Option, type Command } from "commander";
import { z } from "zod";
import { recomputeFeatures } from "../analytics/features.server";
import { fitShopModel, MODEL_UNITS, type ModelFitResult } from "../analytics/model.server";
import { rebuildVisits } from "../analytics/visits.server";
import type { Config } from "../config.server";
import type { Database } from "../db/prisma.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars model fit`: fits the shop's BG/NBD visit model and prints its
 * parameters with their uncertainty, or why predictions are withheld (a valid
 * outcome: exit 0). Bad flags exit 2, as usage errors do.
 */

const USAGE_EXIT_CODE = 2;

const flags = z.object({
  shop: shopSettingsSchema.shape.domain,
  until: z.iso
    .date({ error: "must be a calendar date written YYYY-MM-DD (the shop's local date; visits after it are ignored)" })
    .transform((date) => new Date(`${date}T00:00:00Z`)),
  unit: z.enum(["day", "week"], { error: `must be one of ${MODEL_UNITS.join(", ")}` }),
  json: z.boolean().optional(),
});

export function registerModelCommands(program: Command, loadConfig: () => Config): void {
  const model = program.command("model").description("the visit model behind each member's predictions (BG/NBD)");
  const fit = model
    .command("fit")
    .description(
      "fit BG/NBD (Fader, Hardie & Lee 2005) to the shop's visits up to a date by maximum likelihood and store it as the shop's " +
        "model: prints r, alpha, a, b with standard errors and 95 % intervals, and the log-likelihood; or, when the data is too " +
        "thin (fewer than 50 members with two or more visits, or under 8 weeks of history), why predictions are withheld",
    )
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .requiredOption("--until <date>", "end of the calibration period, a shop-local date YYYY-MM-DD (inclusive)")
    .addOption(new Option("--unit <unit>", "time unit of recency and age in the model").choices(MODEL_UNITS).makeOptionMandatory())
    .option("--json", "print the fit as JSON")
    .addHelpText(
      "after",
      "\nVisits and member features are built from the shop's orders first if the shop has none yet.\n\n" +
        "Example:\n  regulars model fit --shop corner-cafe.myshopify.com --until 2026-03-31 --unit week",
    );
  // Usage errors (missing or malformed flags) exit 2; help still exits 0.
  fit.exitOverride((error) => {
    throw error.exitCode === 0 ? error : new CommanderError(USAGE_EXIT_CODE, error.code, error.message);
  });
  fit.action(async (raw: Record<string, unknown>) => {
    const parsed = flags.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const flag = String(issue?.path[0] ?? "");
      usageError(fit, `--${flag} ${issue?.message ?? "is invalid"} (got ${JSON.stringify(raw[flag])})`);
    }
    const options = parsed.data;
    const result = await withDatabase(loadConfig(), async (db) => {
      await requireShop(db, options.shop);
      await ensureVisits(db, options.shop);
      return fitShopModel(db, options.shop, { until: options.until, unit: options.unit });
    });
    console.log(options.json ? JSON.stringify(toJson(result), null, 2) : formatFit(result));
  });
}

/** Prints the message as commander prints its own usage errors, and exits 2. */
function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE, code: "regulars.invalidFlag" });
}

async function requireShop(db: Database, shop: string): Promise<void> {
  const known = await db.shop.findUnique({ where: { domain: shop }, select: { domain: true } });
  if (!known) {
    throw new CliInputError(
      `Shop ${shop} is not known to Regulars. Install the app on it, or register it with: regulars shop create ${shop} --timezone Area/City --currency XXX`,
    );
  }
}

/** A shop with orders but no visits yet (an import, a fresh backfill): build visits and features once so the fit sees them. */
async function ensureVisits(db: Database, shop: string): Promise<void> {
  const [visit, feature] = await Promise.all([
    db.visit.findFirst({ where: { shop }, select: { customerId: true } }),
    db.memberFeature.findFirst({ where: { shop }, select: { customerId: true } }),
  ]);
  if (visit && feature) return;
  if (!visit) {
    const order = await db.order.findFirst({ where: { shop, customerId: { not: null }, cancelledAt: null }, select: { id: true } });
    if (!order) return;
    console.error(`${shop} has orders but no visits yet: building visits and member features from its orders first.`);
    await rebuildVisits(db, shop);
  } else {
    console.error(`${shop} has visits but no member features yet: computing them first.`);
  }
  await recomputeFeatures(db, shop);
}

function dateKey(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function toJson(result: ModelFitResult) {
  return { ...result, until: dateKey(result.until), fittedAt: result.fittedAt.toISOString() };
}

const count = (n: number) => n.toLocaleString("en-US");

/** Four significant digits, without scientific notation for the sizes these parameters take. */
function figure(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 8));
}

export function formatFit(result: ModelFitResult): string {
  const header = `BG/NBD visit model for ${result.shop}, visits up to ${dateKey(result.until)}, time unit: ${result.unit}`;
  const data =
    `  ${count(result.customers)} customers, ${count(result.repeaters)} with two or more visit days; ` +
    `${count(result.historyDays)} days of history`;
  if (result.status === "withheld") {
    return [header, data, `Predictions withheld: ${result.reason}`].join("\n");
  }
  const rows = (["r", "alpha", "a", "b"] as const).map((name) => {
    const [low, high] = result.intervals[name];
    return [name, figure(result.params[name]), figure(result.standardErrors[name]), `${figure(low)} – ${figure(high)}`];
  });
  const table = [["parameter", "estimate", "std. error", "95 % interval"], ...rows];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => row[i]?.length ?? 0))) ?? [];
  const lines = table.map((row) => `  ${row.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("   ").trimEnd()}`);
  return [
    header,
    `${data}; ${count(result.cells)} distinct (x, tx, T) cells`,
    ...lines,
    `  log-likelihood ${result.logLikelihood.toFixed(2)} (${result.converged ? "converged" : "did not converge"} after ${result.iterations} iterations)`,
    `Stored as model fit ${result.id}; member predictions use it from their next update.`,
  ].join("\n");
}
