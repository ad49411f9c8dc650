import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { daysInMonthsBefore, startOfLocalDay } from "../simulate/calendar";
import { csvLines } from "../simulate/csv";
import { planDeliveries } from "../simulate/deliveries";
import { simulationEvents } from "../simulate/events";
import { createProgress } from "../simulate/progress";
import { replayWebhooks, type ReplayReport } from "../simulate/replay.server";
import { ianaTimeZone, simulateCafe, type Simulation } from "../simulate/simulate";
import { CliInputError } from "./shop";

/**
 * `regulars simulate`: a seeded synthetic cafe, written as an order CSV for
 * the importer, as the ground truth it planted, and/or sent as signed Shopify
 * webhooks (with duplicates and reordering) to a running app.
 */

/** Enough customers for a busy cafe (~300 orders a day with the default guest share). */
export const DEFAULT_MEMBERS = 3200;

const rate = z.coerce.number().min(0).max(1);
const httpUrl = z.string().refine((value) => /^https?:$/.test(safeUrl(value)?.protocol ?? ""), "must be an http:// or https:// URL");

const flags = z
  .object({
    seed: z.string().min(1),
    months: z.coerce.number().int().min(1).max(120),
    shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a SHOP.myshopify.com domain"),
    members: z.coerce.number().int().min(0).max(1_000_000),
    guestsShare: z.coerce.number().min(0).max(0.95),
    locations: z.coerce.number().int().min(1).max(20),
    timezone: ianaTimeZone,
    currency: z.string().regex(/^[A-Z]{3}$/, "must be a three-letter currency code such as GBP"),
    until: z
      .string()
      .refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO 8601 date or time")
      .transform((value) => new Date(value))
      .optional(),
    csv: z.string().min(1).optional(),
    groundTruth: z.string().min(1).optional(),
    webhooks: httpUrl.optional(),
    apiSecret: z.string().min(1).optional(),
    duplicateRate: rate,
    reorderRate: rate,
    reorderWindow: z.coerce.number().int().min(1).max(100_000),
    concurrency: z.coerce.number().int().min(1).max(1024),
    progress: z.boolean().optional(),
  });

type Flags = z.output<typeof flags>;

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(
      "generate a seeded synthetic cafe (commuters, brunchers, students, irregulars, walk-in guests) and write it as an " +
        "order CSV, as the ground truth it planted, and/or as signed Shopify webhooks to a running app",
    )
    .option("--seed <seed>", "seed: the same seed and flags give the same cafe", "1")
    .option("--months <n>", "months of history, ending at --until", "6")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--members <n>", "customers with a customer record (some join the membership)", String(DEFAULT_MEMBERS))
    .option("--guests-share <share>", "share of orders from walk-in guests without a customer record", "0.2")
    .option("--locations <n>", "shop locations", "2")
    .option("--timezone <zone>", "the shop's IANA time zone; dayparts are local to it", "Europe/London")
    .option("--currency <code>", "the shop's currency", "GBP")
    .option("--until <time>", "end of the history (default: the start of today, shop time); fix it for identical output on any day")
    .option("--csv <file>", "write the orders as a CSV for `regulars import orders`")
    .option("--ground-truth <file>", "write the planted truth as JSON (patterns, return probabilities, per-customer totals)")
    .option("--webhooks <url>", "send the history as signed webhooks to <url>/webhooks/<topic>")
    .option("--api-secret <secret>", "the app's API secret to sign webhooks with")
    .option("--duplicate-rate <share>", "share of webhooks delivered twice (same event id)", "0.05")
    .option("--reorder-rate <share>", "share of webhooks delivered after later ones", "0.05")
    .option("--reorder-window <n>", "how many deliveries a webhook may be held back by", "50")
    .option("--concurrency <n>", "webhooks in flight at once", "16")
    .option("--no-progress", "no progress bar on stderr")
    .addHelpText("after", "\nExample:\n  regulars simulate --seed 7 --months 6 --shop demo-cafe.myshopify.com --csv cafe.csv --ground-truth truth.json")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flags.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CliInputError(`--${kebab(String(issue?.path[0] ?? ""))} ${issue?.message ?? "is invalid"}`);
      }
      const options = parsed.data;
      if (!options.csv && !options.groundTruth && !options.webhooks) {
        throw new CliInputError("nothing to write: give --csv FILE, --ground-truth FILE and/or --webhooks URL");
      }
      if (options.webhooks && !options.apiSecret) {
        throw new CliInputError("--webhooks needs --api-secret (the app's SHOPIFY_API_SECRET), or no webhook will verify");
      }
      await run(options);
    });
}

async function run(options: Flags): Promise<void> {
  const until = options.until ?? startOfLocalDay(new Date(), options.timezone);
  const sim = simulateCafe({
    seed: options.seed,
    shop: options.shop,
    days: daysInMonthsBefore(until, options.months, options.timezone),
    until,
    members: options.members,
    guestsShare: options.guestsShare,
    locations: options.locations,
    timezone: options.timezone,
    currency: options.currency,
  });
  const s = sim.groundTruth.summary;
  console.log(
    `simulated ${options.shop}: ${s.customers.toLocaleString("en-GB")} customers, ${s.orders.toLocaleString("en-GB")} orders ` +
      `(${s.guestOrders.toLocaleString("en-GB")} guest, ${s.webOrders.toLocaleString("en-GB")} online, ${s.cancelledOrders} cancelled, ` +
      `${s.refundedOrders} partly refunded) over ${sim.days.length} days to ${until.toISOString()}`,
  );
  if (options.csv) {
    const rows = await writeCsv(sim, options.csv);
    console.log(`wrote ${options.csv}: ${rows.toLocaleString("en-GB")} orders`);
  }
  if (options.groundTruth) {
    await writeFile(options.groundTruth, `${JSON.stringify(sim.groundTruth, null, 2)}\n`);
    console.log(`wrote ${options.groundTruth}: ground truth for ${s.customers.toLocaleString("en-GB")} customers`);
  }
  if (options.webhooks && options.apiSecret) await sendWebhooks(sim, options, options.webhooks, options.apiSecret);
}

async function writeCsv(sim: Simulation, path: string): Promise<number> {
  const out = createWriteStream(path);
  let rows = -1;
  let chunk: string[] = [];
  const flush = async () => {
    if (!out.write(`${chunk.join("\n")}\n`)) await once(out, "drain");
    chunk = [];
  };
  for (const line of csvLines(sim)) {
    chunk.push(line);
    rows++;
    if (chunk.length >= 1000) await flush();
  }
  if (chunk.length > 0) await flush();
  out.end();
  await once(out, "finish");
  return rows;
}

async function sendWebhooks(sim: Simulation, options: Flags, url: string, apiSecret: string): Promise<void> {
  const events = simulationEvents(sim);
  const plan = planDeliveries(events, {
    duplicateRate: options.duplicateRate,
    reorderRate: options.reorderRate,
    window: options.reorderWindow,
    seed: `${options.seed}:${options.shop}`,
  });
  const progress = options.progress === false ? undefined : createProgress("webhooks", plan.deliveries.length, process.stderr);
  const report = await replayWebhooks(sim, plan, { url, apiSecret, concurrency: options.concurrency, progress });
  printReplay(events.length, report);
  if (report.failures.length > 0) process.exitCode = 1;
}

function printReplay(events: number, report: ReplayReport): void {
  console.log(
    `sent ${report.delivered.toLocaleString("en-GB")} of ${report.deliveries.toLocaleString("en-GB")} webhooks for ${events.toLocaleString("en-GB")} events ` +
      `(${report.duplicates} duplicated, ${report.reordered} reordered, ${report.retries} retried) in ${report.seconds.toFixed(1)} s ` +
      `(${Math.round(report.perSecond).toLocaleString("en-GB")}/s)`,
  );
  if (report.failures.length === 0) return;
  console.error(`regulars: ${report.failures.length} webhook(s) failed${report.gaveUp ? "; gave up after too many failures in a row" : ""}:`);
  for (const failure of report.failures.slice(0, 5)) {
    console.error(`  ${failure.topic} ${failure.eventId}: ${failure.status ?? "no answer"} ${failure.error ?? ""}`.trimEnd());
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
