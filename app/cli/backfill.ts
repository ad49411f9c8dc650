import { setTimeout as sleep } from "node:timers/promises";
import { Option, type Command } from "commander";
import { z } from "zod";
import type { Config } from "../config.server";
import type { Runtime } from "../runtime.server";
import { offlineAdminApi } from "../shopify/admin-api.server";
import { startRuntime, stopRuntime } from "../startup.server";
import { advanceBackfill } from "../sync/backfill/advance.server";
import { formatRunsTable, progressBar } from "../sync/backfill/progress";
import { requestBackfill } from "../sync/backfill/request.server";
import { findRun, listRuns } from "../sync/backfill/runs.server";
import type { BackfillResource, BackfillRunView } from "../sync/backfill/types";

/** Bad backfill flags; main prints the message without a stack. */
export class BackfillCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackfillCliError";
  }
}

const shopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a *.myshopify.com domain");

const RESOURCE_CHOICES = { orders: ["orders"], customers: ["customers"], all: ["customers", "orders"] } as const satisfies Record<
  string,
  readonly BackfillResource[]
>;
type ResourceChoice = keyof typeof RESOURCE_CHOICES;

function parseShop(value: string): string {
  const parsed = shopDomain.safeParse(value.trim().toLowerCase());
  if (!parsed.success) throw new BackfillCliError(`--shop ${parsed.error.issues[0]?.message ?? "is invalid"} (got ${JSON.stringify(value)})`);
  return parsed.data;
}

function isResourceChoice(value: string): value is ResourceChoice {
  return Object.hasOwn(RESOURCE_CHOICES, value);
}

async function withRuntime<T>(config: Config, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await startRuntime(config);
  try {
    return await work(runtime);
  } finally {
    await stopRuntime(runtime);
  }
}

export function registerBackfillCommands(program: Command, loadConfig: () => Config): void {
  const backfill = program
    .command("backfill")
    .description("copy a shop's order and customer history in from Shopify (GraphQL bulk operations); installing the app starts one");

  backfill
    .command("start")
    .description(
      "request a backfill: one run per resource, carried out by the worker (or by this process with --wait). " +
        "A run already in progress for the shop is reused, and re-running a finished backfill changes nothing that is current",
    )
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain (the app must be installed there)")
    .addOption(new Option("--resource <resource>", "what to copy").choices(Object.keys(RESOURCE_CHOICES)).default("all"))
    .option("--wait", "run the backfill in this process, with a progress bar on stderr, until every run has finished")
    .action(async (options: { shop: string; resource: string; wait?: boolean }) => {
      const shop = parseShop(options.shop);
      if (!isResourceChoice(options.resource)) throw new BackfillCliError(`--resource must be one of ${Object.keys(RESOURCE_CHOICES).join(", ")}`);
      const resources = RESOURCE_CHOICES[options.resource];
      await withRuntime(loadConfig(), async (runtime) => {
        // Fails with "no offline session … not installed" before anything is recorded.
        await offlineAdminApi(runtime, shop);
        const requested = await requestBackfill(runtime, shop, resources);
        for (const { run, reused } of requested) {
          console.log(`${run.resource}: run ${run.id} ${reused ? `already in progress (${run.status}), reused` : "requested"}`);
        }
        if (!options.wait) {
          console.log(`The worker carries the runs out; follow them with: regulars backfill status --shop ${shop}`);
          return;
        }
        const finished = await runInProcess(runtime, shop, requested.map(({ run }) => run));
        console.log(formatRunsTable(finished));
        if (finished.some((run) => run.status !== "completed")) process.exitCode = 1;
      });
    });

  backfill
    .command("status")
    .description("list the shop's backfill runs, newest first, with their progress")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--limit <n>", "how many runs to list", "20")
    .option("--json", "print the runs as JSON")
    .action(async (options: { shop: string; limit: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new BackfillCliError(`--limit must be a positive whole number (got ${JSON.stringify(options.limit)})`);
      const runs = await withRuntime(loadConfig(), (runtime) => listRuns(runtime.db, shop, limit));
      console.log(options.json ? JSON.stringify(runs, null, 2) : formatRunsTable(runs));
    });
}

/**
 * Drives the runs here instead of in the worker (a worker elsewhere is kept
 * out by the run lock, and this then just reports what it does). Ctrl-C stops
 * cleanly: the batch in flight is rolled back and the next start resumes.
 */
async function runInProcess(runtime: Runtime, shop: string, runs: BackfillRunView[]): Promise<BackfillRunView[]> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  const bar = progressDisplay();
  const results = new Map(runs.map((run) => [run.id, run]));
  try {
    let pending = runs.map((run) => run.id);
    while (pending.length > 0) {
      let delay = Number.POSITIVE_INFINITY;
      for (const runId of pending) {
        const outcome = await advanceBackfill(runtime, shop, runId, { signal: controller.signal, onProgress: (run) => bar.show(run) });
        if (outcome.kind === "done") {
          results.set(runId, outcome.run);
          bar.show(outcome.run, true);
          continue;
        }
        delay = Math.min(delay, outcome.delayMs);
        const current = await findRun(runtime.db, shop, runId);
        if (current) bar.show(current);
      }
      pending = pending.filter((id) => !["completed", "failed"].includes(results.get(id)?.status ?? ""));
      if (pending.length > 0) await sleep(delay, undefined, { signal: controller.signal });
    }
    return [...results.values()];
  } catch (error) {
    if (controller.signal.aborted) {
      bar.end();
      throw new BackfillCliError(`stopped; the runs keep what they wrote. Run the same command again to resume.`);
    }
    throw error;
  } finally {
    process.off("SIGINT", stop);
    bar.end();
  }
}

/** A live bar on a terminal; on a pipe or a log, a line per change of status or tenth of progress. */
function progressDisplay() {
  const terminal = Boolean(process.stderr.isTTY);
  const lastShown = new Map<string, string>();
  let drawn = false;
  return {
    show(run: BackfillRunView, final = false) {
      const line = progressBar(run);
      if (terminal) {
        process.stderr.write(`\r${line}\x1b[K`);
        drawn = true;
        if (final) {
          process.stderr.write("\n");
          drawn = false;
        }
        return;
      }
      const key = `${run.status} ${run.objectCount ? Math.floor((run.linesDone / run.objectCount) * 10) : ""}`;
      if (lastShown.get(run.id) === key) return;
      lastShown.set(run.id, key);
      process.stderr.write(`${line}\n`);
    },
    end() {
      if (terminal && drawn) process.stderr.write("\n");
      drawn = false;
    },
  };
}
