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
import { log, setLogLevel } from "../lib/log.server";
import { startMetricsServer, type MetricsServer } from "./metrics-endpoint.server";

/**
 * Starts what ROLE asks for and stops it cleanly on SIGINT/SIGTERM: the web
 * server stops taking requests, workers finish (or return) their jobs, and the
 * embedded database is closed so its folder opens next time.
 */
export async function bootstrap(config: Config): Promise<void> {
  setLogLevel(config.logLevel);
  const runtime = await startRuntime(config, { migrate: config.demo });
  setRuntime(runtime);
  let web: WebServer | MetricsServer | undefined;
  let workers: JobWorker[] = [];
  let mailCapture: MailCapture | null = null;
  try {
    const runsWorkers = config.role === "worker" || config.role === "all";
    if (config.demo) {
      await ensureDemoShop(runtime);
      mailCapture = await startDemoReports(runtime);
    }
    if (runsWorkers) {
      workers = startWorkers({ runtime, db: runtime.db, jobs: runtime.jobs, concurrency: config.workerConcurrency, stalledIntervalMs: config.jobStalledIntervalMs });
      await scheduleAllShops(runtime);
    }
    if (config.role === "web" || config.role === "all") web = await startWebServer(config, runtime);
    // A worker-only process serves its own job, webhook and push figures; nothing else.
    else if (config.metricsToken !== null) web = await startMetricsServer(runtime, { token: config.metricsToken, port: config.port, host: config.host });
    announce(runtime, web);
  } catch (error) {
    await stopAll(runtime, web, workers).catch(() => {});
    await mailCapture?.close();
    throw error;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again, exiting now`);
      process.exit(130);
    }
    stopping = true;
    log.info(`${signal} received, shutting down`);
    stopAll(runtime, web, workers).then(
      async () => {
        await mailCapture?.close();
        log.info("stopped cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function stopAll(runtime: Runtime, web: WebServer | MetricsServer | undefined, workers: JobWorker[]): Promise<void> {
  await web?.close();
  const outcome = await stopWorkers(workers, runtime.config.shutdownGraceMs);
  if (outcome === "forced") log.warn("jobs still running at the deadline were returned to the queue");
  await stopRuntime(runtime);
  setRuntime(undefined);
}

async function scheduleAllShops(runtime: Runtime): Promise<void> {
  for (const shop of await listInstalledShops(runtime.db)) {
    await scheduleShopJobs(runtime.jobs, shop.domain, runtime.config.heartbeatIntervalSeconds);
    await scheduleShopAnalytics(runtime.db, runtime.jobs, shop.domain);
  }
}

function announce(runtime: Runtime, web: WebServer | MetricsServer | undefined): void {
  const { config, database, jobs } = runtime;
  const db = database.kind === "embedded" ? `embedded PostgreSQL in ${database.dataDir}` : redactUrl(database.url);
  log.info({ role: config.role, jobs: jobs.kind }, `database ${db}; jobs on ${jobs.kind === "redis" ? "Redis" : "PostgreSQL"}; role ${config.role}`);
  if (config.demo) log.info("DEMO MODE (demo shop, no Shopify)");
  if (web && config.role === "worker") log.info(`serving metrics at ${web.url}/metrics`);
  else if (web) log.info(`serving ${config.demo ? `${web.url}/app` : web.url}`);
}
