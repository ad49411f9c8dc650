import type { Config } from "./config.server";
import type { OpenDatabase } from "./db/database.server";
import type { Database } from "./db/prisma.server";
import type { JobBackend } from "../jobs/backend.server";

/**
 * The process's open resources, set once by the server bootstrap. Kept on
 * globalThis because in development Vite loads the route modules in a module
 * graph of its own, separate from the one that started the server.
 */
export interface Runtime {
  config: Config;
  database: OpenDatabase;
  db: Database;
  jobs: JobBackend;
  startedAt: Date;
}

const RUNTIME_KEY = Symbol.for("regulars.runtime");
type RuntimeHolder = { [RUNTIME_KEY]?: Runtime };

export function setRuntime(runtime: Runtime | undefined): void {
  (globalThis as RuntimeHolder)[RUNTIME_KEY] = runtime;
}

export function getRuntime(): Runtime {
  const runtime = (globalThis as RuntimeHolder)[RUNTIME_KEY];
  if (!runtime) throw new Error("Regulars runtime is not started: start the app through server.ts or the CLI");
  return runtime;
}
