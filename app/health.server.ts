import type { Runtime } from "./runtime.server";

export interface ComponentHealth {
  status: "up" | "down";
  kind: string;
  latencyMs: number;
  error?: string;
}

export interface Health {
  status: "ok" | "down";
  /** Names of the components that are down. */
  down: string[];
  components: { database: ComponentHealth; queue: ComponentHealth };
}

const CHECK_TIMEOUT_MS = 2_000;

/** Checks the database and the job queue with one cheap real operation each. */
export async function checkHealth(runtime: Runtime): Promise<Health> {
  const [database, queue] = await Promise.all([
    probe(runtime.database.kind, () => runtime.db.$queryRaw`SELECT 1`),
    probe(runtime.jobs.kind, () => runtime.jobs.queue("maintenance").getJobCounts("waiting")),
  ]);
  const components = { database, queue };
  const down = Object.entries(components)
    .filter(([, health]) => health.status === "down")
    .map(([name]) => name);
  return { status: down.length === 0 ? "ok" : "down", down, components };
}

async function probe(kind: string, check: () => Promise<unknown>): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "up", kind, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: "down", kind, latencyMs: Math.round(performance.now() - started), error: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
