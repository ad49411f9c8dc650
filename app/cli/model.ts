import { CommanderError, Option, type Command } from "commander";
import { z } from "zod";
import { fitShopModel, MODEL_UNITS, type ModelFitResult } from "../analytics/model.server";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { ensureVisits, requireShop } from "./analytics-data";
import { withDatabase } from "./shop";

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
