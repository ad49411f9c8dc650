import type { Command } from "commander";
import { z } from "zod";
import { CURVE_DAYS } from "../analytics/cohorts/curves";
import { formatCohortReport } from "../analytics/cohorts/format";
import { cohortReport } from "../analytics/cohorts/report.server";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { ensureVisits, requireShop } from "./analytics-data";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars cohorts`: P(return within N days) per visit-pattern or
 * acquisition cohort, Kaplan–Meier with 95 % intervals, the findings against
 * everyone else, and for acquisition cohorts the retention matrix.
 */

const flags = z.object({
  shop: shopSettingsSchema.shape.domain,
  returnDays: z
    .string()
    .regex(/^\d+$/, `must be a whole number of days from 1 to ${CURVE_DAYS}`)
    .transform(Number)
    .refine((days) => days >= 1 && days <= CURVE_DAYS, `must be a whole number of days from 1 to ${CURVE_DAYS}`),
  by: z.enum(["pattern", "acquisition"], { error: "must be pattern or acquisition" }),
  period: z.enum(["week", "month"], { error: "must be week or month" }).optional(),
  until: z.iso
    .date({ error: "must be a calendar date written YYYY-MM-DD (the shop's local date; visits after it are ignored)" })
    .transform((date) => new Date(`${date}T00:00:00Z`))
    .optional(),
  json: z.boolean().optional(),
});

export function registerCohortCommands(program: Command, loadConfig: () => Config): void {
  program
    .command("cohorts")
    .description(
      "how likely a visit is to be followed by the same customer's next visit within N days, per visit-pattern or acquisition cohort " +
        "(Kaplan–Meier: visits whose N days are not over yet are censored, not lost), with 95 % intervals, the findings that " +
        "stand out against everyone else, and for acquisition cohorts the retention matrix",
    )
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .requiredOption("--return-days <n>", `N: return within this many days (1–${CURVE_DAYS})`)
    .option("--by <kind>", "cohorts by visit pattern or by acquisition (first visit)", "pattern")
    .option("--period <period>", "acquisition cohorts and retention periods by week or month (with --by acquisition; default week)")
    .option("--until <date>", "ignore visits after this shop-local date (YYYY-MM-DD) and censor at it; default: the latest visit")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      "\nVisits and member features are built from the shop's orders first if the shop has none yet.\n\n" +
        "Example:\n  regulars cohorts --shop corner-cafe.myshopify.com --return-days 12\n" +
        "  regulars cohorts --shop corner-cafe.myshopify.com --return-days 30 --by acquisition --period month --json",
    )
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flags.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const flag = String(issue?.path[0] ?? "");
        throw new CliInputError(`--${kebab(flag)} ${issue?.message ?? "is invalid"} (got ${JSON.stringify(raw[flag])})`);
      }
      const options = parsed.data;
      if (options.period && options.by !== "acquisition") throw new CliInputError("--period applies to --by acquisition only");
      const report = await withDatabase(loadConfig(), async (db) => {
        await requireShop(db, options.shop);
        await ensureVisits(db, options.shop);
        return cohortReport(db, options.shop, { by: options.by, period: options.period ?? "week", returnDays: options.returnDays, until: options.until });
      });
      console.log(options.json ? JSON.stringify(report, null, 2) : formatCohortReport(report));
    });
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
