import { createHash } from "node:crypto";
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

const smtpUrl = z
  .string()
  .refine((value) => isUrlWithProtocol(value, ["smtp:", "smtps:"]), {
    message: "must be an smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start) URL, e.g. smtp://user:password@mail.example.com:587",
  });

const mailFrom = z
  .string()
  .refine((value) => /^[^\s@<>]+@[^\s@<>]+$/.test(value) || /^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(value), {
    message: 'must be an address, optionally with a name: reports@cafe.example or "Regulars <reports@cafe.example>"',
  });

const flag = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((value) => value === "1" || value === "true" || value === "yes");

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

/** Pino's levels, quietest last; "silent" logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const logLevel = z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` });

/** Long and random enough that guessing it over HTTP is hopeless; no whitespace, so it survives an Authorization header. */
const metricsToken = z
  .string()
  .min(32, "must be at least 32 characters (generate one with: openssl rand -hex 32)")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces (generate one with: openssl rand -hex 32)");

/** FCM (Chrome, Android, Edge on Android), Mozilla autopush (Firefox), Apple (Safari), Windows (Edge). */
export const DEFAULT_PUSH_SERVICE_HOSTS = [
  "fcm.googleapis.com",
  "updates.push.services.mozilla.com",
  "*.push.apple.com",
  "*.notify.windows.com",
] as const;

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
  /**
   * Least severe log level written (docs/operations.md): fatal, error, warn,
   * info, debug, trace or silent. Default: info, or silent when NODE_ENV=test.
   */
  LOG_LEVEL: z.preprocess(emptyAsUnset, logLevel.optional()),
  /**
   * Bearer token Prometheus presents at GET /metrics. Unset: the endpoint
   * answers 404 (metrics are off).
   */
  METRICS_TOKEN: z.preprocess(emptyAsUnset, metricsToken.optional()),
  /** Jobs one worker process runs at once, per queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /**
   * How often a worker looks for stalled jobs (their worker died, so their
   * lock expired) and returns them to the queue. The default is BullMQ's; the
   * worker-kill tests shorten it so a killed worker's jobs resume sooner.
   */
  JOB_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
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
    .default(
      "read_orders,read_all_orders,read_customers,write_customers,read_locations,read_products,write_app_proxy,write_discounts,unauthenticated_read_product_listings,unauthenticated_write_checkouts",
    ),
  /** A custom shop domain pattern, for Shopify's test environments. */
  SHOP_CUSTOM_DOMAIN: z.preprocess(emptyAsUnset, z.string().optional()),
  /**
   * Origin of a local Shopify stand-in that receives the Admin API calls meant
   * for https://SHOP. Tests and the demo only: refused in production.
   */
  SHOPIFY_API_ORIGIN_OVERRIDE: z.preprocess(emptyAsUnset, httpUrl.optional()),
  /**
   * 32 random bytes (64 hex digits or base64) that encrypt secrets at rest
   * (each shop's VAPID private key) and sign push click links. Required in
   * production; the demo and tests use a fixed development key.
   */
  APP_ENCRYPTION_KEY: z.preprocess(emptyAsUnset, z.string().optional()),
  /** Push services a subscription may point at, comma separated; "*.example.com" allows any subdomain. */
  PUSH_SERVICE_HOSTS: z.string().default(DEFAULT_PUSH_SERVICE_HOSTS.join(",")),
  /** Tests only: accept subscriptions on a loopback HTTP receiver. Refused in production. */
  PUSH_ALLOW_LOCAL_RECEIVERS: z.preprocess(emptyAsUnset, flag.default(false)),
  /**
   * Which HTTP the push sender speaks: "auto" (HTTP/2 to push services that offer it, else HTTP/1.1), "1.1" (HTTP/1.1 only),
   * or "2" (as auto, and HTTP/2 to a plain-HTTP local receiver too: tests and benchmarks).
   */
  PUSH_HTTP: z.preprocess(emptyAsUnset, z.enum(["auto", "1.1", "2"]).default("auto")),
  /** Pushes per second one shop may send (its campaign is paced; other shops are not held up). */
  PUSH_RATE_PER_SHOP: z.coerce.number().int().min(1).max(100_000).default(50),
  /** Who push services may contact about our pushes (the VAPID `sub`): mailto: or https:. Default: SHOPIFY_APP_URL when https. */
  PUSH_CONTACT: z.preprocess(emptyAsUnset, z.string().refine(isPushContact, { message: "must be a mailto: address or an https:// URL" }).optional()),
  /**
   * SMTP server the weekly report is mailed through (docs/reports.md). Unset:
   * reports are made, stored and shown in the admin but not mailed; the demo
   * starts a local server that captures the mail instead.
   */
  SMTP_URL: z.preprocess(emptyAsUnset, smtpUrl.optional()),
  /** The weekly report's From address. */
  REPORT_MAIL_FROM: z.preprocess(emptyAsUnset, mailFrom.default("Regulars <reports@regulars.invalid>")),
});

export type RawEnv = z.input<typeof envSchema>;

/** Variables whose value must never appear in an error message or a log. */
const SECRET_VARIABLES = new Set(["APP_ENCRYPTION_KEY", "SHOPIFY_API_SECRET", "SMTP_URL", "METRICS_TOKEN"]);

export interface Config {
  nodeEnv: "development" | "production" | "test";
  role: "web" | "worker" | "all";
  webBundle: "vite" | "build";
  port: number;
  host: string;
  database: { kind: "postgres"; url: string } | { kind: "embedded"; dataDir: string; port: number };
  queue: { kind: "redis"; url: string } | { kind: "postgres" };
  workerConcurrency: number;
  /** JOB_STALLED_INTERVAL_MS: time between a worker's checks for stalled jobs. */
  jobStalledIntervalMs: number;
  logLevel: LogLevel;
  /** METRICS_TOKEN; null: GET /metrics answers 404. */
  metricsToken: string | null;
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
  /**
   * The application key (APP_ENCRYPTION_KEY, 32 bytes). Null only for a
   * maintenance command in production without it; whatever needs it then
   * fails through `requireEncryptionKey`.
   */
  encryptionKey: Buffer | null;
  push: {
    /** Allowed push-service hosts; "*.x" matches any subdomain of x. */
    serviceHosts: string[];
    allowLocalReceivers: boolean;
    /** PUSH_HTTP: which HTTP the sender speaks to push services. */
    http: "auto" | "1.1" | "2";
    ratePerShop: number;
    contact: string;
  };
  mail: {
    /** SMTP_URL; null: reports are not mailed (the demo captures them locally). */
    smtpUrl: string | null;
    from: string;
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
    const got = typeof issue?.path[0] === "string" && !SECRET_VARIABLES.has(issue.path[0]) ? env[issue.path[0]] : undefined;
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
  if (e.PUSH_ALLOW_LOCAL_RECEIVERS && e.NODE_ENV === "production") {
    throw new ConfigError(
      "Invalid configuration: PUSH_ALLOW_LOCAL_RECEIVERS lets push subscriptions point at this machine's own network and cannot be set when NODE_ENV=production",
    );
  }
  const appUrl = e.SHOPIFY_APP_URL ?? `http://${displayHost(e.HOST)}:${e.PORT}`;
  const production = e.NODE_ENV === "production";
  const encryptionKey = parseEncryptionKey(e.APP_ENCRYPTION_KEY, { production, required: production && (options.requireShopifyCredentials ?? true) });
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
    jobStalledIntervalMs: e.JOB_STALLED_INTERVAL_MS,
    logLevel: e.LOG_LEVEL ?? defaultLogLevel(e.NODE_ENV),
    metricsToken: e.METRICS_TOKEN ?? null,
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
    encryptionKey,
    push: {
      serviceHosts: parsePushServiceHosts(e.PUSH_SERVICE_HOSTS),
      allowLocalReceivers: e.PUSH_ALLOW_LOCAL_RECEIVERS,
      http: e.PUSH_HTTP,
      ratePerShop: e.PUSH_RATE_PER_SHOP,
      contact: e.PUSH_CONTACT ?? defaultPushContact(appUrl, production && (options.requireShopifyCredentials ?? true)),
    },
    mail: { smtpUrl: e.SMTP_URL ?? null, from: e.REPORT_MAIL_FROM },
  };
}

/**
 * Tests are quiet: many drive failures on purpose (a job that must fail, a
 * push service answering 500), and what they check is asserted, not read in
 * the output. LOG_LEVEL=debug shows it when a test needs looking into.
 */
function defaultLogLevel(nodeEnv: Config["nodeEnv"]): LogLevel {
  return nodeEnv === "test" ? "silent" : "info";
}

/**
 * LOG_LEVEL alone, for the logger, which exists before (and without) the full
 * configuration: the CLI and tests log without Shopify credentials. An invalid
 * value is a ConfigError with the same message parseConfig gives.
 */
export function logLevelFromEnv(env: Record<string, string | undefined>): LogLevel {
  const nodeEnv = envSchema.shape.NODE_ENV.safeParse(env.NODE_ENV);
  const parsed = envSchema.shape.LOG_LEVEL.safeParse(env.LOG_LEVEL);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: LOG_LEVEL ${parsed.error.issues[0]?.message ?? "is invalid"} (got ${JSON.stringify(env.LOG_LEVEL)})`);
  }
  return parsed.data ?? defaultLogLevel(nodeEnv.success ? nodeEnv.data : "development");
}

/** Fixed and public: the demo and tests only. Production refuses it. */
const DEVELOPMENT_ENCRYPTION_KEY = createHash("sha256").update("regulars development key: demo and tests only").digest();

const KEY_HELP = "32 random bytes written as 64 hex digits or base64 (generate one with: openssl rand -base64 32)";

function parseEncryptionKey(text: string | undefined, context: { production: boolean; required: boolean }): Buffer | null {
  if (text === undefined) {
    if (context.required) throw new ConfigError(`Invalid configuration: APP_ENCRYPTION_KEY is required when NODE_ENV=production: ${KEY_HELP}`);
    return context.production ? null : DEVELOPMENT_ENCRYPTION_KEY;
  }
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
      ? Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64")
      : null;
  if (key === null) throw new ConfigError(`Invalid configuration: APP_ENCRYPTION_KEY is neither hex nor base64: it must be ${KEY_HELP}`);
  if (key.length !== 32) throw new ConfigError(`Invalid configuration: APP_ENCRYPTION_KEY decodes to ${key.length} bytes: it must be ${KEY_HELP}`);
  if (context.production && key.equals(DEVELOPMENT_ENCRYPTION_KEY)) {
    throw new ConfigError("Invalid configuration: APP_ENCRYPTION_KEY is the public development key, which cannot be used when NODE_ENV=production");
  }
  return key;
}

/** The application key, or a ConfigError saying how to set it (a maintenance command run without it). */
export function requireEncryptionKey(config: Pick<Config, "encryptionKey">): Buffer {
  if (config.encryptionKey === null) throw new ConfigError(`Invalid configuration: APP_ENCRYPTION_KEY is required for this command: ${KEY_HELP}`);
  return config.encryptionKey;
}

const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

function parsePushServiceHosts(text: string): string[] {
  const hosts = text.split(",").map((host) => host.trim().toLowerCase()).filter(Boolean);
  if (hosts.length === 0) throw new ConfigError("Invalid configuration: PUSH_SERVICE_HOSTS names no host: list the push services subscriptions may use");
  for (const host of hosts) {
    if (!HOST_PATTERN.test(host)) {
      throw new ConfigError(`Invalid configuration: PUSH_SERVICE_HOSTS entry "${host}" is not a host name or "*.domain" pattern`);
    }
  }
  return hosts;
}

function isPushContact(value: string): boolean {
  return /^mailto:[^\s@]+@[^\s@]+$/.test(value) || isUrlWithProtocol(value, ["https:"]);
}

/** Push services read the contact; a maintenance command sends nothing and may run without one. */
function defaultPushContact(appUrl: string, required: boolean): string {
  if (isUrlWithProtocol(appUrl, ["https:"])) return appUrl;
  if (required) throw new ConfigError("Invalid configuration: PUSH_CONTACT is required when SHOPIFY_APP_URL is not https: a mailto: address or https:// URL push services can reach you at");
  return "mailto:push@regulars.invalid";
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
