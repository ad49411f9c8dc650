import { z } from "zod";

/**
 * Every environment variable Regulars reads, with its default and meaning.
 * Parsed once at start-up; a missing or malformed value stops the process with
 * a one-line message naming the variable. `.env.example` mirrors this list.
 */
const postgresUrl = z
  .string()
  .refine((value) => isUrlWithProtocol(value, ["postgres:", "postgresql:"]), {
    message: "must be a postgres:// or postgresql:// URL",
  });

const redisUrl = z
  .string()
  .refine((value) => isUrlWithProtocol(value, ["redis:", "rediss:"]), {
    message: "must be a redis:// or rediss:// URL",
  });

const httpUrl = z
  .string()
  .refine((value) => isUrlWithProtocol(value, ["http:", "https:"]), {
    message: "must be an http:// or https:// URL",
  });

const flag = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((value) => value === "1" || value === "true" || value === "yes");

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Which parts run in this process: the web server, the job workers, or both. */
  ROLE: z.enum(["web", "worker", "all"]).default("all"),
  /** HTTP port of the web server. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the web server binds to; set 0.0.0.0 behind a proxy or in a container. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** PostgreSQL server. Unset: the embedded database under DATA_DIR. */
  DATABASE_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
  /** Folder of the embedded database (used only without DATABASE_URL). */
  DATA_DIR: z.string().min(1).default(".data"),
  /** Loopback port the embedded database is served on; 0 picks a free one. */
  EMBEDDED_DATABASE_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Redis for the job queues. Unset: BullMQ's PostgreSQL backend on the app's database. */
  REDIS_URL: z.preprocess(emptyAsUnset, redisUrl.optional()),
  /** Jobs one worker process runs at once, per queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /** How long shutdown waits for in-flight jobs and requests before giving up. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  /** Seconds between each shop's heartbeat job. */
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(300),
  /**
   * How the web server gets its pages: `vite` compiles routes on demand
   * (development), `build` serves the output of `npm run build`. Defaults to
   * `build` in production and `vite` elsewhere.
   */
  WEB_BUNDLE: z.preprocess(emptyAsUnset, z.enum(["vite", "build"]).optional()),
  /** Run as the demo: a demo shop with an offline session, no Shopify needed. Refused in production. */
  DEMO: z.preprocess(emptyAsUnset, flag.default(false)),
  /** Shopify app credentials from the Partner Dashboard (required unless DEMO). */
  SHOPIFY_API_KEY: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
  SHOPIFY_API_SECRET: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
  /** Public URL of this app (required unless DEMO); defaults to http://HOST:PORT in the demo. */
  SHOPIFY_APP_URL: z.preprocess(emptyAsUnset, httpUrl.optional()),
  /** Access scopes, comma separated; must match shopify.app.toml. */
  SCOPES: z
    .string()
    .default("read_orders,read_all_orders,read_customers,write_customers,read_locations,read_products,write_app_proxy"),
  /** A custom shop domain pattern, for Shopify's test environments. */
  SHOP_CUSTOM_DOMAIN: z.preprocess(emptyAsUnset, z.string().optional()),
  /**
   * Origin of a local Shopify stand-in that receives the Admin API calls meant
   * for https://SHOP. Tests and the demo only: refused in production.
   */
  SHOPIFY_API_ORIGIN_OVERRIDE: z.preprocess(emptyAsUnset, httpUrl.optional()),
});

export type RawEnv = z.input<typeof envSchema>;

export interface Config {
  nodeEnv: "development" | "production" | "test";
  role: "web" | "worker" | "all";
  webBundle: "vite" | "build";
  port: number;
  host: string;
  database: { kind: "postgres"; url: string } | { kind: "embedded"; dataDir: string; port: number };
  queue: { kind: "redis"; url: string } | { kind: "postgres" };
  workerConcurrency: number;
  shutdownGraceMs: number;
  heartbeatIntervalSeconds: number;
  demo: boolean;
  shopify: {
    apiKey: string;
    apiSecret: string;
    appUrl: string;
    scopes: string[];
    customShopDomain?: string;
    apiOriginOverride?: string;
  };
}

/** The environment is not a valid configuration; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Demo credentials: the demo never talks to Shopify, and production refuses them. */
const DEMO_API_KEY = "regulars-demo-api-key";
const DEMO_API_SECRET = "regulars-demo-api-secret";

export interface ParseOptions {
  /**
   * The web server and workers need Shopify credentials; maintenance commands
   * (db migrate, doctor) do not, and run with an empty environment.
   */
  requireShopifyCredentials?: boolean;
}

export function parseConfig(env: Record<string, string | undefined>, options: ParseOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join(".") ?? "environment";
    const got = typeof issue?.path[0] === "string" ? env[issue.path[0]] : undefined;
    throw new ConfigError(
      `Invalid configuration: ${name} ${issue?.message ?? "is invalid"}` +
        (got === undefined ? "" : ` (got ${JSON.stringify(got)})`),
    );
  }
  const e = parsed.data;
  if (e.DEMO && e.NODE_ENV === "production") {
    throw new ConfigError("Invalid configuration: DEMO cannot be enabled when NODE_ENV=production");
  }
  if (e.SHOPIFY_API_ORIGIN_OVERRIDE && e.NODE_ENV === "production") {
    throw new ConfigError(
      "Invalid configuration: SHOPIFY_API_ORIGIN_OVERRIDE points the app at a Shopify stand-in and cannot be set when NODE_ENV=production",
    );
  }
  if (!e.DEMO && (options.requireShopifyCredentials ?? true)) {
    for (const name of ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL"] as const) {
      if (!e[name]) throw new ConfigError(`Invalid configuration: ${name} is required (or set DEMO=1 to run the demo)`);
    }
  }
  const appUrl = e.SHOPIFY_APP_URL ?? `http://${displayHost(e.HOST)}:${e.PORT}`;
  return {
    nodeEnv: e.NODE_ENV,
    role: e.ROLE,
    webBundle: e.WEB_BUNDLE ?? (e.NODE_ENV === "production" ? "build" : "vite"),
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "embedded", dataDir: e.DATA_DIR, port: e.EMBEDDED_DATABASE_PORT },
    queue: e.REDIS_URL ? { kind: "redis", url: e.REDIS_URL } : { kind: "postgres" },
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    heartbeatIntervalSeconds: e.HEARTBEAT_INTERVAL_SECONDS,
    demo: e.DEMO,
    shopify: {
      apiKey: e.SHOPIFY_API_KEY ?? DEMO_API_KEY,
      apiSecret: e.SHOPIFY_API_SECRET ?? DEMO_API_SECRET,
      appUrl,
      scopes: e.SCOPES.split(",").map((scope) => scope.trim()).filter(Boolean),
      customShopDomain: e.SHOP_CUSTOM_DOMAIN,
      apiOriginOverride: e.SHOPIFY_API_ORIGIN_OVERRIDE,
    },
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed from `process.env` on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Describes a database URL without its password, for logs and `doctor`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function isUrlWithProtocol(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== "" ;
  } catch {
    return false;
  }
}

function displayHost(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "localhost" : host;
}
