import type { Config } from "../config.server";
import { redactUrl } from "../config.server";
import { setRuntime, type Runtime } from "../runtime.server";
import { startRuntime, stopRuntime } from "../startup.server";
import { ensureDemoShop } from "../shops/demo.server";
import { listInstalledShops } from "../shops/shops.server";
import { scheduleShopAnalytics, scheduleShopJobs } from "../../jobs/schedules.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import type { JobWorker } from "../../jobs/backend.server";
import { startWebServer, type WebServer } from "./web.server";
import { startDemoReports } from "../reports/demo.server";
import type { MailCapture } from "../reports/capture-smtp.server";

/**
 * Starts what ROLE asks for and stops it cleanly on SIGINT/SIGTERM: the web
 * server stops taking requests, workers finish (or return) their jobs, and the
 * embedded database is closed so its folder opens next time.
 */
export async function bootstrap(config: Config): Promise<void> {
  const runtime = await startRuntime(config, { migrate: config.demo });
  setRuntime(runtime);
  let web: WebServer | undefined;
  let workers: JobWorker[] = [];
  let mailCapture: MailCapture | null = null;
  try {
    const runsWorkers = config.role === "worker" || config.role === "all";
    if (config.demo) {
      await ensureDemoShop(runtime);
      mailCapture = await startDemoReports(runtime);
    }
    if (runsWorkers) {
      workers = startWorkers({ runtime, db: runtime.db, jobs: runtime.jobs, concurrency: config.workerConcurrency });
      await scheduleAllShops(runtime);
    }
    if (config.role === "web" || config.role === "all") web = await startWebServer(config, runtime);
    announce(runtime, web);
  } catch (error) {
    await stopAll(runtime, web, workers).catch(() => {});
    await mailCapture?.close();
    throw error;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`regulars: ${signal} again, exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`regulars: ${signal} received, shutting down`);
    stopAll(runtime, web, workers).then(
      async () => {
        await mailCapture?.close();
        console.log("regulars: stopped cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        console.error("regulars: shutdown failed", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function stopAll(runtime: Runtime, web: WebServer | undefined, workers: JobWorker[]): Promise<void> {
  await web?.close();
  const outcome = await stopWorkers(workers, runtime.config.shutdownGraceMs);
  if (outcome === "forced") console.log("regulars: jobs still running at the deadline were returned to the queue");
  await stopRuntime(runtime);
  setRuntime(undefined);
}

async function scheduleAllShops(runtime: Runtime): Promise<void> {
  for (const shop of await listInstalledShops(runtime.db)) {
    await scheduleShopJobs(runtime.jobs, shop.domain, runtime.config.heartbeatIntervalSeconds);
    await scheduleShopAnalytics(runtime.db, runtime.jobs, shop.domain);
  }
}

function announce(runtime: Runtime, web: WebServer | undefined): void {
  const { config, database, jobs } = runtime;
  const db = database.kind === "embedded" ? `embedded PostgreSQL in ${database.dataDir}` : redactUrl(database.url);
  console.log(`regulars: database ${db}; jobs on ${jobs.kind === "redis" ? "Redis" : "PostgreSQL"}; role ${config.role}`);
  if (config.demo) console.log("regulars: DEMO MODE (demo shop, no Shopify)");
  if (web) console.log(`regulars: serving ${config.demo ? `${web.url}/app` : web.url}`);
}
