import { setTimeout as sleep } from "node:timers/promises";
import { directRunner } from "../analytics/sql-tx.server";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { Runtime } from "../runtime.server";
import { CLICK_TOKEN_LIFETIME_SECONDS, signClickToken } from "./click-token.server";
import { requestPushSend } from "./enqueue.server";
import { notificationSchema, storefrontDestination, wireMessage, URGENCIES, type PushNotification, type Urgency } from "./payload";
import { EndpointRefusedError, pushSenderFor, type PushSender } from "./sender.server";
import type { PushResponse } from "./transport.server";
import type { VapidSigner } from "./vapid.server";

/**
 * A shop's push drain: sends the shop's due deliveries at the shop's rate,
 * then asks for itself again when more are due. One drain per shop runs at a
 * time (the job's deduplication), so the rate holds however many workers run.
 *
 * At most once: a delivery is claimed ('queued' → 'sending', one conditional
 * UPDATE) before its request goes out, and only the claimer sends it. A
 * delivery found still 'sending' after the worker died is marked failed and
 * never sent again: it may have reached the browser, and a member must never
 * get the same push twice. Retries (5xx, 429, network) put it back to
 * 'queued' with `scheduledFor` moved to the retry time.
 *
 * `sentAt` is set exactly when the push went out or may have: while
 * 'sending' (the claim time), once 'sent' (the push service's acceptance),
 * and on a delivery failed as interrupted. Caps can count `sentAt IS NOT NULL`.
 */

export const MAX_ATTEMPTS = 5;
/** Without Retry-After, the first retry waits this long, doubling: 10 s, 20 s, 40 s, 80 s. */
export const RETRY_BASE_SECONDS = 10;
/** A Retry-After longer than this fails the delivery instead of holding it. */
export const MAX_RETRY_AFTER_SECONDS = 3600;
/** A claim older than this belongs to a drain that died (requests time out after 10 s). */
export const INTERRUPTED_AFTER_MS = 60_000;
/** Deliveries claimed and sent together; the rate limit paces these. */
const MAX_BATCH = 250;
/** Due delivery ids read per query (then claimed in batches). */
const DUE_PAGE = 5_000;
/**
 * Batches in flight, so that the next batch is claimed while this one's
 * last requests are answered. Requests in flight are limited per push
 * service by the transport's window, not here; two batches are enough to
 * keep it fed and keep few claims waiting (what a dying worker loses).
 */
const PIPELINE = 2;

export interface DrainOptions {
  now?: () => Date;
  /** Stop taking new batches after this long, so other shops' drains get their turn. */
  sliceMs?: number;
  /** Pushes per second; defaults to PUSH_RATE_PER_SHOP. */
  ratePerSecond?: number;
  /** The process's sender (connections, signed headers) unless another is given. */
  sender?: PushSender;
}

export interface DrainResult {
  shop: string;
  sent: number;
  retrying: number;
  failed: number;
  expired: number;
  interrupted: number;
  /** When the next drain was asked for: "now" (more are due), a time, or null (nothing queued). */
  next: "now" | Date | null;
}

type Outcome = "sent" | "queued" | "failed" | "expired";

interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  /** Which of the batch's distinct stored notifications it sends (an index into `ClaimedBatch.payloads`). */
  payload: number;
  ttlSeconds: number;
  urgency: string;
  topic: string | null;
  attempts: number;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
  keyId: string | null;
  subscriptionStatus: string | null;
}

interface DeliveryResult {
  id: string;
  status: Outcome;
  statusCode: number | null;
  error: string | null;
  retryAt: Date | null;
}

export async function sendDuePushes(runtime: Runtime, shop: string, options: DrainOptions = {}): Promise<DrainResult> {
  const clock = options.now ?? (() => new Date());
  const sender = options.sender ?? pushSenderFor(runtime);
  const db = runtime.db;
  // Pacing and the time slice run on the monotonic clock; `clock` is the business time written to rows.
  const deadline = performance.now() + (options.sliceMs ?? 20_000);
  const bucket = tokenBucket(options.ratePerSecond ?? runtime.config.push.ratePerShop);
  const totals: DrainResult = { shop, sent: 0, retrying: 0, failed: 0, expired: 0, interrupted: await failInterrupted(db, shop, clock()), next: null };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const settle = async () => {
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
  };
  let timeIsUp = false;
  while (!timeIsUp) {
    const ids = await dueIds(db, shop, clock());
    if (ids.length === 0) break;
    for (let offset = 0; offset < ids.length && !timeIsUp; ) {
      const batch = ids.slice(offset, offset + bucket.batch);
      offset += batch.length;
      await bucket.take(batch.length);
      while (inFlight.size >= PIPELINE) await Promise.race(inFlight);
      if (failure !== null) break;
      const tracked: Promise<void> = sendBatch(db, sender, shop, batch, clock)
        .then(
          (results) => count(totals, results),
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      timeIsUp = performance.now() >= deadline;
    }
    // The next page is read only when this one's outcomes are written, so no id is read twice.
    await settle();
  }
  await settle();
  totals.next = await scheduleNext(runtime, shop, clock());
  return totals;
}

function count(totals: DrainResult, results: DeliveryResult[]): void {
  for (const result of results) {
    if (result.status === "sent") totals.sent += 1;
    else if (result.status === "queued") totals.retrying += 1;
    else if (result.status === "failed") totals.failed += 1;
    else totals.expired += 1;
  }
}

async function sendBatch(db: Database, sender: PushSender, shop: string, ids: string[], clock: () => Date): Promise<DeliveryResult[]> {
  const { rows: claimed, payloads } = await claim(db, shop, ids, clock());
  if (claimed.length === 0) return [];
  let signers: Map<string, VapidSigner | null>;
  try {
    signers = await loadSigners(db, sender, shop, claimed);
  } catch (error) {
    // The keys cannot be opened (e.g. APP_ENCRYPTION_KEY changed): nothing was sent, so give the claims back.
    await release(db, shop, claimed.map((row) => row.id));
    throw error;
  }
  // Each distinct notification is checked once (a campaign's rows share one, or one per variant).
  const notifications = payloads.map((text) => checkStoredNotification(text, shop));
  const unreadable: StoredNotification = { ok: false, error: "the stored notification is missing" };
  // Each request waits for room in its push service's window (app/push/transport.server.ts).
  const results = await Promise.all(claimed.map((row) => sendOne(sender, shop, row, notifications[row.payload] ?? unreadable, signers, clock)));
  await record(db, shop, results, clock());
  return results;
}

type StoredNotification = { ok: true; notification: PushNotification } | { ok: false; error: string };

/** A stored notification as the drain can send it, or why it cannot be sent (it was valid when enqueued; this guards against edits). */
function checkStoredNotification(text: string, shop: string): StoredNotification {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return { ok: false, error: "the stored notification is not JSON" };
  }
  const notification = notificationSchema.safeParse(stored);
  if (!notification.success) {
    const issue = notification.error.issues[0];
    return { ok: false, error: `the stored notification is invalid: ${[issue?.path.join("."), issue?.message ?? "unreadable"].filter(Boolean).join(" ")}` };
  }
  const destination = storefrontDestination(notification.data.url, shop);
  if (!destination.ok) return { ok: false, error: `the stored url ${destination.message}` };
  return { ok: true, notification: notification.data };
}

async function sendOne(
  sender: PushSender,
  shop: string,
  row: ClaimedDelivery,
  stored: StoredNotification,
  signers: Map<string, VapidSigner | null>,
  clock: () => Date,
): Promise<DeliveryResult> {
  if (row.endpoint === null || row.p256dh === null || row.auth === null || row.keyId === null) return done(row, "failed", null, "the subscription no longer exists");
  if (row.subscriptionStatus === "expired") return done(row, "expired", null, "the subscription had expired");
  if (row.subscriptionStatus !== "active") return done(row, "failed", null, "the browser unsubscribed");
  if (!stored.ok) return done(row, "failed", null, stored.error);
  const signer = signers.get(row.keyId);
  if (!signer) return done(row, "failed", null, `the shop's push key ${row.keyId} is missing`);

  const now = clock();
  const notification = stored.notification;
  let response: PushResponse;
  try {
    response = await sender.send(
      {
        endpoint: row.endpoint,
        p256dh: row.p256dh,
        auth: row.auth,
        message: wireText(sender.clickKey, shop, row.id, now, notification),
        ttlSeconds: row.ttlSeconds,
        urgency: asUrgency(row.urgency),
        topic: row.topic,
      },
      signer,
    );
  } catch (error) {
    if (error instanceof EndpointRefusedError) return done(row, "failed", null, `endpoint refused: ${error.message}`);
    const reason = error instanceof Error ? error.message : String(error);
    return retryOrFail(row, null, `network: ${reason}`, null, now);
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return done(row, "sent", response.statusCode, null);
  const host = new URL(row.endpoint).host;
  const said = response.body.trim() === "" ? "" : `: ${response.body.trim().slice(0, 200)}`;
  if (response.statusCode === 404 || response.statusCode === 410) {
    return done(row, "expired", response.statusCode, `${host} answered ${response.statusCode}: the subscription has expired${said}`);
  }
  if (response.statusCode === 429 || response.statusCode >= 500) {
    return retryOrFail(row, response.statusCode, `${host} answered ${response.statusCode}${said}`, response.retryAfterSeconds, now);
  }
  return done(row, "failed", response.statusCode, `${host} refused the push with ${response.statusCode}${said}`);
}

/** The delivery's outcome when it is not put back for a retry. */
function done(row: ClaimedDelivery, status: Outcome, statusCode: number | null, error: string | null): DeliveryResult {
  return { id: row.id, status, statusCode, error, retryAt: null };
}

/**
 * Builds, when called, the JSON the service worker receives: the notification
 * and this delivery's click token. The function is returned unnamed: under
 * tsx, a function given a name where it is made (a variable or property) gets
 * that name set on it each time, a cost paid on every push.
 */
function wireText(clickKey: Buffer, shop: string, deliveryId: string, now: Date, notification: PushNotification): () => string {
  return () => {
    const token = signClickToken(clickKey, { shop, deliveryId, expiresAt: Math.floor(now.getTime() / 1000) + CLICK_TOKEN_LIFETIME_SECONDS });
    return JSON.stringify(wireMessage(notification, token));
  };
}

/** Back to the queue for a later attempt, honouring Retry-After, or failed when attempts (or patience) run out. */
function retryOrFail(row: ClaimedDelivery, statusCode: number | null, error: string, retryAfterSeconds: number | null, now: Date): DeliveryResult {
  if (row.attempts >= MAX_ATTEMPTS) return { id: row.id, status: "failed", statusCode, error: `${error} (gave up after ${row.attempts} attempts)`, retryAt: null };
  if (retryAfterSeconds !== null && retryAfterSeconds > MAX_RETRY_AFTER_SECONDS) {
    return { id: row.id, status: "failed", statusCode, error: `${error} (asked to wait ${retryAfterSeconds} s, more than ${MAX_RETRY_AFTER_SECONDS} s)`, retryAt: null };
  }
  return { id: row.id, status: "queued", statusCode, error, retryAt: new Date(now.getTime() + retryDelaySeconds(row.attempts, retryAfterSeconds) * 1000) };
}

/** The push service's Retry-After when it gave one (at least a second), else exponential backoff from RETRY_BASE_SECONDS. */
export function retryDelaySeconds(attemptsMade: number, retryAfterSeconds: number | null): number {
  if (retryAfterSeconds !== null) return Math.max(1, retryAfterSeconds);
  return RETRY_BASE_SECONDS * 2 ** Math.max(0, attemptsMade - 1);
}

async function loadSigners(db: Database, sender: PushSender, shop: string, rows: ClaimedDelivery[]): Promise<Map<string, VapidSigner | null>> {
  const keyIds = [...new Set(rows.flatMap((row) => (row.keyId === null ? [] : [row.keyId])))];
  const loaded = await Promise.all(keyIds.map(async (keyId) => [keyId, await sender.signer(db, shop, keyId)] as const));
  return new Map(loaded);
}

async function dueIds(db: Database, shop: string, now: Date): Promise<string[]> {
  const rows = await directRunner(db).query<{ id: string }>(Prisma.sql`
    SELECT id FROM "PushDelivery"
    WHERE shop = ${shop} AND status = 'queued' AND "scheduledFor" <= ${now}
    ORDER BY "scheduledFor", id LIMIT ${DUE_PAGE}`);
  return rows.map((row) => row.id);
}

interface ClaimedBatch {
  rows: ClaimedDelivery[];
  /** The distinct stored notifications of the rows, as JSON texts. */
  payloads: string[];
}

/**
 * Claims the batch's still-queued, due deliveries (a concurrent drain claims
 * none of the same) with their subscriptions. The rows come back as one JSON
 * text, parsed in one call, which costs the sender less than the driver's
 * reading of a dozen columns per row; each distinct notification comes once,
 * beside them, and the rows name theirs by its place (a campaign's 250 rows
 * would otherwise carry 250 copies of the same text to read and parse).
 */
async function claim(db: Database, shop: string, ids: string[], now: Date): Promise<ClaimedBatch> {
  const [result] = await directRunner(db).query<{ rows: string; payloads: string }>(Prisma.sql`
    WITH claimed AS MATERIALIZED (
      UPDATE "PushDelivery" SET status = 'sending', attempts = attempts + 1, "sentAt" = ${now}
      WHERE shop = ${shop} AND id = ANY(${ids}::text[]) AND status = 'queued' AND "scheduledFor" <= ${now}
      RETURNING id, "subscriptionId", payload, "ttlSeconds", urgency, topic, attempts
    ), texts AS MATERIALIZED (
      SELECT payload, (row_number() OVER () - 1)::int AS n FROM (SELECT DISTINCT payload FROM claimed) distinct_payloads
    )
    SELECT
      (SELECT coalesce(json_agg(t.payload::text ORDER BY t.n), '[]') FROM texts t)::text AS payloads,
      coalesce(json_agg(json_build_object(
        'id', c.id, 'subscriptionId', c."subscriptionId", 'payload', t.n, 'ttlSeconds', c."ttlSeconds",
        'urgency', c.urgency, 'topic', c.topic, 'attempts', c.attempts, 'endpoint', s.endpoint, 'p256dh', s.p256dh,
        'auth', s.auth, 'keyId', s."keyId", 'subscriptionStatus', s.status)), '[]')::text AS rows
    FROM claimed c JOIN texts t ON t.payload = c.payload
    LEFT JOIN "PushSubscription" s ON s.shop = ${shop} AND s.id = c."subscriptionId"`);
  return result ? { rows: JSON.parse(result.rows) as ClaimedDelivery[], payloads: JSON.parse(result.payloads) as string[] } : { rows: [], payloads: [] };
}

async function release(db: Database, shop: string, ids: string[]): Promise<void> {
  await db.$executeRaw`
    UPDATE "PushDelivery" SET status = 'queued', attempts = attempts - 1, "sentAt" = NULL
    WHERE shop = ${shop} AND id = ANY(${ids}::text[]) AND status = 'sending'`;
}

/**
 * Writes each delivery's outcome (only over its own claim) and, in the same
 * statement, marks subscriptions that answered 2xx as working and those
 * that answered 404/410 as expired.
 */
async function record(db: Database, shop: string, results: DeliveryResult[], at: Date): Promise<void> {
  if (results.length === 0) return;
  for (const result of results) if (result.error !== null) result.error = storableText(result.error);
  // One JSON parameter (serialized in one call) rather than an array per column.
  await directRunner(db).execute(Prisma.sql`
    WITH r AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(results)}::jsonb)
        AS r(id text, status text, "statusCode" int, error text, "retryAt" timestamptz)
    ), done AS (
      UPDATE "PushDelivery" d SET status = r.status, "statusCode" = r."statusCode", error = r.error,
        "sentAt" = CASE WHEN r.status = 'sent' THEN ${at}::timestamp ELSE NULL END,
        "scheduledFor" = COALESCE(r."retryAt" AT TIME ZONE 'UTC', d."scheduledFor")
      FROM r WHERE d.shop = ${shop} AND d.id = r.id AND d.status = 'sending'
      RETURNING d."subscriptionId", r.status, r."statusCode" AS code
    ), touched AS (
      SELECT "subscriptionId" AS id, bool_or(status = 'sent') AS ok, bool_or(code IN (404, 410)) AS gone
      FROM done GROUP BY 1
    )
    UPDATE "PushSubscription" s SET
      "lastSuccessAt" = CASE WHEN t.ok THEN ${at}::timestamp ELSE s."lastSuccessAt" END,
      status = CASE WHEN t.gone AND s.status = 'active' THEN 'expired' ELSE s.status END,
      "expiredAt" = CASE WHEN t.gone AND s.status = 'active' THEN ${at}::timestamp ELSE s."expiredAt" END
    FROM touched t WHERE s.shop = ${shop} AND s.id = t.id AND (t.ok OR t.gone)`);
}

/**
 * Error text as PostgreSQL can store it: no NUL (text cannot hold one) and
 * no half of a surrogate pair (jsonb refuses one; a push service's text cut
 * at a character limit can end in one).
 */
export function storableText(text: string): string {
  return text.replace(/\0/g, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** Claims left by a drain that died: failed, never retried (the push may have gone out). */
async function failInterrupted(db: Database, shop: string, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - INTERRUPTED_AFTER_MS);
  return db.$executeRaw`
    UPDATE "PushDelivery" SET status = 'failed',
      error = 'interrupted while sending (the worker stopped); not retried, as it may have been delivered'
    WHERE shop = ${shop} AND status = 'sending' AND "sentAt" < ${cutoff}`;
}

/** Asks for the next drain when something is (or will be) due: queued deliveries, or claims to clear when they are old enough. */
async function scheduleNext(runtime: Runtime, shop: string, now: Date): Promise<"now" | Date | null> {
  const rows = await runtime.db.$queryRaw<Array<{ next: Date | null }>>`
    SELECT min(CASE WHEN status = 'queued' THEN "scheduledFor"
                    ELSE "sentAt" + make_interval(secs => ${INTERRUPTED_AFTER_MS / 1000}) END) AS next
    FROM "PushDelivery" WHERE shop = ${shop} AND status IN ('queued', 'sending')`;
  const next = rows[0]?.next ?? null;
  if (next === null) return null;
  await requestPushSend(runtime.jobs, shop, next, now);
  return next.getTime() <= now.getTime() ? "now" : next;
}

/** Pushes per second with a one-second burst; `take` waits until the batch may go. */
function tokenBucket(ratePerSecond: number) {
  const capacity = Math.max(1, ratePerSecond);
  let tokens = capacity;
  let last = performance.now();
  return {
    batch: Math.max(1, Math.min(MAX_BATCH, Math.floor(capacity))),
    async take(count: number): Promise<void> {
      for (;;) {
        const current = performance.now();
        tokens = Math.min(capacity, tokens + ((current - last) / 1000) * ratePerSecond);
        last = current;
        if (tokens >= count) {
          tokens -= count;
          return;
        }
        await sleep(Math.ceil(((count - tokens) / ratePerSecond) * 1000));
      }
    },
  };
}

function asUrgency(value: string): Urgency {
  return URGENCIES.find((urgency) => urgency === value) ?? "normal";
}
