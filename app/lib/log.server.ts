import { pino, type DestinationStream, type Logger } from "pino";
import { logLevelFromEnv, type LogLevel } from "../config.server";

/**
 * The process's structured log: one JSON object per line on stderr (stdout
 * belongs to the CLI's tables, and the same domain code runs there), each
 * line carrying the shop and job it concerns through child loggers.
 *
 * No personal data reaches a line, by two independent guards:
 * - `redact` blanks fields that hold it wherever the code puts them in the
 *   log object (a webhook payload, a subscription endpoint, a customer's
 *   email, an Authorization header), up to one level down;
 * - `scrubLine` rewrites the finished line, so what slips past the field
 *   names — an email address inside an error message, a push endpoint inside
 *   a network error, a token in a stack — is blanked too.
 * docs/operations.md lists the fields and what a line looks like.
 */

/** Field names that hold personal data, credentials or whole bodies. */
const SENSITIVE_FIELDS = [
  "email",
  "phone",
  "firstName",
  "lastName",
  "first_name",
  "last_name",
  "customerName",
  "displayName",
  "address",
  "address1",
  "address2",
  "addresses",
  "billing_address",
  "shipping_address",
  "default_address",
  "note",
  "token",
  "accessToken",
  "access_token",
  "password",
  "secret",
  "endpoint",
  "p256dh",
  "auth",
  "keys",
  "authorization",
  "cookie",
  "payload",
  "body",
  "detail",
] as const;

export const REDACTED = "[redacted]";

/** Each field at the top of the log object and one level down (`err.detail`, `delivery.payload`, `headers.authorization`). */
export const REDACT_PATHS: string[] = [
  ...SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`]),
  'req.headers["authorization"]',
  'req.headers["cookie"]',
  'req.headers["x-shopify-hmac-sha256"]',
];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** International numbers (a leading +); bare digit runs are ids and timestamps, not phones. */
const PHONE = /\+\d[\d ().-]{6,}\d/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** Shopify access tokens and secrets (shpat_, shpca_, shpss_, …). */
const SHOPIFY_TOKEN = /\bshp[a-z]{2}_[A-Za-z0-9]{16,}/g;
/** A URL whose path or query carries something token-like (a push endpoint, a signed link): only its origin stays. */
const URL_WITH_TOKEN = /\b(https?:\/\/[^/\s"'?#]+)([/?#][^\s"']*)/g;
const TOKEN_LIKE = /[A-Za-z0-9_:%-]{16,}/;

/** Blanks emails, phone numbers, bearer credentials, tokens and token-bearing URLs in a finished log line. */
export function scrubLine(line: string): string {
  return line
    .replace(URL_WITH_TOKEN, (whole, origin: string, rest: string) => (TOKEN_LIKE.test(rest) ? `${origin}/${REDACTED}` : whole))
    .replace(EMAIL, REDACTED)
    .replace(PHONE, REDACTED)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(SHOPIFY_TOKEN, REDACTED);
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stderr, written synchronously so nothing is lost on exit, unless given. */
  destination?: DestinationStream;
}

/** A logger with the redaction, line scrubbing and `regulars: ` message prefix of every Regulars process. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      msgPrefix: "regulars: ",
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: scrubLine },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * Before the configuration is parsed the level comes from LOG_LEVEL alone;
 * an invalid value logs at info until start-up stops with the config error.
 */
function initialLevel(): LogLevel {
  try {
    return logLevelFromEnv(process.env);
  } catch {
    return "info";
  }
}

const LOGGER_KEY = Symbol.for("regulars.log");
interface LoggerState {
  logger: Logger;
  /** Where the root logger's lines go now: stderr, or a test's capture. */
  target: DestinationStream;
}
type LoggerHolder = { [LOGGER_KEY]?: LoggerState };

function rootState(): LoggerState {
  const holder = globalThis as LoggerHolder;
  if (!holder[LOGGER_KEY]) {
    const stderr = pino.destination({ dest: 2, sync: true });
    const state: LoggerState = { target: stderr, logger: createLogger({ level: initialLevel(), destination: { write: (line: string) => state.target.write(line) } }) };
    holder[LOGGER_KEY] = state;
  }
  return holder[LOGGER_KEY];
}

/**
 * The process's root logger. Kept on globalThis because in development Vite
 * loads route modules in a module graph of its own: both graphs share one
 * logger and one level.
 */
export const log: Logger = rootState().logger;

/**
 * Sends the root logger's lines (children's included) to `stream` until the
 * returned function restores stderr: how tests read what the real code paths
 * log, redaction and all.
 */
export function captureLogs(stream: DestinationStream): () => void {
  const state = rootState();
  const previous = state.target;
  state.target = stream;
  return () => {
    state.target = previous;
  };
}

/** Applies the validated LOG_LEVEL (server start-up). */
export function setLogLevel(level: LogLevel): void {
  log.level = level;
}

/** Lines about one shop. */
export function shopLog(shop: string, bindings: Record<string, unknown> = {}): Logger {
  return log.child({ shop, ...bindings });
}

/** What a job log line says about its job: never its data beyond the shop. */
export interface JobIdentity {
  id?: string;
  name: string;
  queueName: string;
  attemptsMade: number;
  data: unknown;
}

/** Lines about one job run: queue, job kind, job id, attempt and (when the payload names one) the shop. */
export function jobLog(job: JobIdentity): Logger {
  const shop = shopOf(job.data);
  return log.child({ queue: job.queueName, job: job.name, jobId: job.id ?? null, attempt: job.attemptsMade + 1, ...(shop ? { shop } : {}) });
}

function shopOf(data: unknown): string | null {
  if (typeof data !== "object" || data === null || !("shop" in data)) return null;
  const shop = data.shop;
  // Only a shop domain: anything else in that field is not trusted into a log line.
  return typeof shop === "string" && /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(shop) ? shop : null;
}
