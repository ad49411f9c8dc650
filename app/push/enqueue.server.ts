import { z } from "zod";
import { enqueue } from "../../jobs/enqueue.server";
import type { JobBackend } from "../../jobs/backend.server";
import { pushSendJobOptions, pushWakeJobOptions } from "../../jobs/queues";
import { directRunner, type SqlRunner } from "../analytics/sql-tx.server";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { Runtime } from "../runtime.server";
import { signClickToken } from "./click-token.server";
import {
  MAX_TTL_SECONDS,
  PushPayloadTooLargeError,
  TOPIC_PATTERN,
  URGENCIES,
  MAX_PUSH_PLAINTEXT_BYTES,
  notificationSchema,
  storefrontDestination,
  wireBytes,
  wireMessage,
  type PushNotification,
  type Urgency,
} from "./payload";

/**
 * The one way to send a push: `enqueuePushes` validates each request,
 * resolves its subscription, records a PushDelivery under the caller's
 * delivery id (the same id again is the same delivery: nothing new is
 * recorded or sent) and asks for the shop's push drain at the earliest
 * scheduled time. The drain (app/push/send.server.ts) sends each delivery
 * at most once.
 */

export const PUSH_KINDS = ["campaign", "transactional", "test"] as const;
export type PushKind = (typeof PUSH_KINDS)[number];

/** Caller-chosen, unique per shop: e.g. `c42-m1234`, or a UUID. */
export const DELIVERY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SUBSCRIPTION_ID_PATTERN = /^[0-9a-f]{64}$/;
const CUSTOMER_ID_PATTERN = /^[1-9][0-9]{0,19}$/;
const SHOP_PATTERN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

export interface PushRequest {
  shop: string;
  deliveryId: string;
  /** A member (their most recently active subscription is used) … */
  customerId?: string;
  /** … or one subscription. Exactly one of the two. */
  subscriptionId?: string;
  kind: PushKind;
  /** Required for kind "campaign", absent otherwise. */
  campaignId?: string | null;
  payload: PushNotification;
  scheduledFor: Date;
  /** How long the push service keeps it for a browser that is offline (0 = deliver now or never). */
  ttlSeconds: number;
  urgency?: Urgency;
  /** RFC 8030 topic: a later push with the same topic replaces an undelivered earlier one. */
  topic?: string | null;
}

export type EnqueueOutcome =
  | { deliveryId: string; status: "queued"; subscriptionId: string }
  /** A delivery with this id exists already (whatever its state); nothing was changed. */
  | { deliveryId: string; status: "duplicate"; subscriptionId: string }
  /** The member has no active subscription, or the subscription is not this shop's or not active. */
  | { deliveryId: string; status: "no-subscription" };

/** A request that can never be sent as given; `field` names what is wrong. */
export class InvalidPushError extends Error {
  constructor(
    readonly index: number,
    readonly field: string,
    reason: string,
  ) {
    super(`push request ${index}: ${field ? `${field} ` : ""}${reason}`);
    this.name = "InvalidPushError";
  }
}

const requestSchema = z
  .object({
    shop: z.string().regex(SHOP_PATTERN, "must be a *.myshopify.com domain"),
    deliveryId: z.string().regex(DELIVERY_ID_PATTERN, "must be 1–128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"),
    customerId: z.string().regex(CUSTOMER_ID_PATTERN, "must be a numeric customer id").optional(),
    subscriptionId: z.string().regex(SUBSCRIPTION_ID_PATTERN, "must be a subscription id (64 hex digits)").optional(),
    kind: z.enum(PUSH_KINDS, `must be one of ${PUSH_KINDS.join(", ")}`),
    campaignId: z.string().min(1).max(128).nullable().optional(),
    payload: notificationSchema,
    scheduledFor: z.date({ error: "must be a valid Date" }),
    ttlSeconds: z.number().int("must be a whole number of seconds").min(0, "must not be negative").max(MAX_TTL_SECONDS, `must be at most ${MAX_TTL_SECONDS} (four weeks)`),
    urgency: z.enum(URGENCIES, `must be one of ${URGENCIES.join(", ")}`).default("normal"),
    topic: z.string().regex(TOPIC_PATTERN, "must be 1–32 characters of A–Z, a–z, 0–9, - and _ (RFC 8030)").nullable().optional(),
  })
  .superRefine((request, context) => {
    if ((request.customerId === undefined) === (request.subscriptionId === undefined)) {
      context.addIssue({ code: "custom", path: ["customerId"], message: "or subscriptionId: give exactly one" });
    }
    if (request.kind === "campaign" && !request.campaignId) context.addIssue({ code: "custom", path: ["campaignId"], message: "is required for a campaign push" });
    if (request.kind !== "campaign" && request.campaignId) context.addIssue({ code: "custom", path: ["campaignId"], message: `must be absent for a ${request.kind} push` });
  });

type ValidRequest = z.infer<typeof requestSchema>;

/** A key only for measuring: a token signed with it is exactly as long as a real one. */
const MEASURING_KEY = Buffer.alloc(32);
/** Tokens are measured with an expiry of this many digits (good until the year 2286). */
const LONGEST_EXPIRY = 9_999_999_999;

/** Validates and measures one request; throws InvalidPushError or PushPayloadTooLargeError. */
export function checkPushRequest(request: PushRequest, index = 0): ValidRequest {
  const parsed = requestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidPushError(index, issue?.path.join(".") ?? "", issue?.message ?? "is invalid");
  }
  const valid = parsed.data;
  const destination = storefrontDestination(valid.payload.url, valid.shop);
  if (!destination.ok) throw new InvalidPushError(index, "payload.url", destination.message);
  valid.payload.url = destination.path;
  const token = signClickToken(MEASURING_KEY, { shop: valid.shop, deliveryId: valid.deliveryId, expiresAt: LONGEST_EXPIRY });
  const bytes = wireBytes(wireMessage(valid.payload, token));
  if (bytes > MAX_PUSH_PLAINTEXT_BYTES) throw new PushPayloadTooLargeError(bytes, `push request ${index}: `);
  return valid;
}

type Deps = Pick<Runtime, "db" | "jobs">;

export async function enqueuePush(deps: Deps, request: PushRequest, now = new Date()): Promise<EnqueueOutcome> {
  const [outcome] = await enqueuePushes(deps, [request], now);
  if (!outcome) throw new Error("enqueuePushes returned no outcome");
  return outcome;
}

/**
 * Every request is validated before anything is written (one bad request
 * refuses the batch). Outcomes come back in the order of the requests.
 */
export async function enqueuePushes(deps: Deps, requests: readonly PushRequest[], now = new Date()): Promise<EnqueueOutcome[]> {
  const valid = requests.map((request, index) => checkPushRequest(request, index));
  const seen = new Set<string>();
  valid.forEach((request, index) => {
    const key = `${request.shop} ${request.deliveryId}`;
    if (seen.has(key)) throw new InvalidPushError(index, "deliveryId", `repeats ${request.deliveryId} within one call`);
    seen.add(key);
  });
  const outcomes = new Map<string, EnqueueOutcome>();
  const byShop = new Map<string, ValidRequest[]>();
  for (const request of valid) byShop.set(request.shop, [...(byShop.get(request.shop) ?? []), request]);
  for (const [shop, shopRequests] of byShop) {
    const earliest = await recordDeliveries(deps.db, shop, shopRequests, outcomes);
    if (earliest !== null) await requestPushSend(deps.jobs, shop, earliest, now);
  }
  return valid.map((request) => {
    const outcome = outcomes.get(`${request.shop} ${request.deliveryId}`);
    if (!outcome) throw new Error(`no outcome for delivery ${request.deliveryId}`);
    return outcome;
  });
}

/** Inserts the shop's deliveries; returns the earliest scheduled time among those queued (new, or repeated and still waiting). */
async function recordDeliveries(db: Database, shop: string, requests: ValidRequest[], outcomes: Map<string, EnqueueOutcome>): Promise<Date | null> {
  // Straight on the driver (directRunner): Prisma's debug history would otherwise keep the last statements' arrays
  // (megabytes per batch of thousands) alive in every process that enqueues, for as long as it runs.
  const sql = directRunner(db);
  const targets = await resolveTargets(sql, shop, requests);
  // Raw SQL with one array parameter: a Prisma `in` list of thousands of ids costs more to compile than to run.
  // The time comes back as epoch milliseconds, which reads the same whatever the driver's time zone.
  const existing = await sql.query<{ id: string; subscriptionId: string; status: string; scheduledMs: number }>(Prisma.sql`
    SELECT id, "subscriptionId", status, (extract(epoch FROM "scheduledFor") * 1000)::float8 AS "scheduledMs" FROM "PushDelivery"
    WHERE shop = ${shop} AND id = ANY(${requests.map((r) => r.deliveryId)}::text[])`);
  const existingById = new Map(existing.map((row) => [row.id, row.subscriptionId]));
  // A repeat of a call that recorded its deliveries but died before asking for the drain asks for it now.
  let earliest: Date | null = null;
  for (const row of existing) {
    if (row.status === "queued" && (earliest === null || row.scheduledMs < earliest.getTime())) earliest = new Date(row.scheduledMs);
  }
  const toInsert: Array<{ request: ValidRequest; subscriptionId: string; customerId: string | null }> = [];
  for (const request of requests) {
    const key = `${shop} ${request.deliveryId}`;
    const previous = existingById.get(request.deliveryId);
    if (previous !== undefined) {
      outcomes.set(key, { deliveryId: request.deliveryId, status: "duplicate", subscriptionId: previous });
      continue;
    }
    const target = targets.get(request.deliveryId);
    if (!target) {
      outcomes.set(key, { deliveryId: request.deliveryId, status: "no-subscription" });
      continue;
    }
    toInsert.push({ request, ...target });
  }
  if (toInsert.length === 0) return earliest;
  const column = <T>(pick: (row: (typeof toInsert)[number]) => T): T[] => toInsert.map(pick);
  // A concurrent call with the same id may insert first: ON CONFLICT keeps its row, and RETURNING tells us.
  const inserted = await sql.query<{ id: string }>(Prisma.sql`
    INSERT INTO "PushDelivery" (shop, id, "subscriptionId", "customerId", "campaignId", kind, payload, topic, urgency, "ttlSeconds", status, "scheduledFor")
    SELECT ${shop}, r.id, r.subscription_id, r.customer_id, r.campaign_id, r.kind, r.payload, r.topic, r.urgency, r.ttl, 'queued',
      r.scheduled_for AT TIME ZONE 'UTC'
    FROM unnest(
      ${column((row) => row.request.deliveryId)}::text[],
      ${column((row) => row.subscriptionId)}::text[],
      ${column((row) => row.customerId)}::text[],
      ${column((row) => row.request.campaignId ?? null)}::text[],
      ${column((row) => row.request.kind)}::text[],
      ${column((row) => JSON.stringify(row.request.payload))}::jsonb[],
      ${column((row) => row.request.topic ?? null)}::text[],
      ${column((row) => row.request.urgency)}::text[],
      ${column((row) => row.request.ttlSeconds)}::int[],
      ${column((row) => row.request.scheduledFor.toISOString())}::timestamptz[]
    ) AS r(id, subscription_id, customer_id, campaign_id, kind, payload, topic, urgency, ttl, scheduled_for)
    ON CONFLICT (shop, id) DO NOTHING
    RETURNING id`);
  const insertedIds = new Set(inserted.map((row) => row.id));
  for (const { request, subscriptionId } of toInsert) {
    const key = `${shop} ${request.deliveryId}`;
    if (insertedIds.has(request.deliveryId)) {
      outcomes.set(key, { deliveryId: request.deliveryId, status: "queued", subscriptionId });
      if (earliest === null || request.scheduledFor < earliest) earliest = request.scheduledFor;
    } else {
      const winner = await db.pushDelivery.findUnique({ where: { shop_id: { shop, id: request.deliveryId } }, select: { subscriptionId: true } });
      outcomes.set(key, { deliveryId: request.deliveryId, status: "duplicate", subscriptionId: winner?.subscriptionId ?? subscriptionId });
    }
  }
  return earliest;
}

/**
 * Delivery id → the subscription it goes to. A member's push goes to their
 * most recently active subscription (one push per member, on the browser
 * they used last; docs/decisions/0014-web-push-delivery.md).
 */
async function resolveTargets(sql: SqlRunner, shop: string, requests: ValidRequest[]): Promise<Map<string, { subscriptionId: string; customerId: string | null }>> {
  const targets = new Map<string, { subscriptionId: string; customerId: string | null }>();
  const subscriptionIds = [...new Set(requests.flatMap((r) => (r.subscriptionId ? [r.subscriptionId] : [])))];
  const customerIds = [...new Set(requests.flatMap((r) => (r.customerId ? [r.customerId] : [])))];
  const [subscriptions, newest] = await Promise.all([
    subscriptionIds.length === 0
      ? []
      : sql.query<{ id: string; customerId: string | null }>(Prisma.sql`
          SELECT id, "customerId" FROM "PushSubscription"
          WHERE shop = ${shop} AND id = ANY(${subscriptionIds}::text[]) AND status = 'active'`),
    customerIds.length === 0
      ? []
      : sql.query<{ id: string; customerId: string }>(Prisma.sql`
          SELECT DISTINCT ON ("customerId") id, "customerId" FROM "PushSubscription"
          WHERE shop = ${shop} AND "customerId" = ANY(${customerIds}::text[]) AND status = 'active'
          ORDER BY "customerId", "updatedAt" DESC, id`),
  ]);
  const subscriptionOwner = new Map(subscriptions.map((row) => [row.id, row.customerId]));
  const newestByCustomer = new Map(newest.map((row) => [row.customerId, row.id]));
  for (const request of requests) {
    if (request.subscriptionId !== undefined) {
      if (subscriptionOwner.has(request.subscriptionId)) {
        targets.set(request.deliveryId, { subscriptionId: request.subscriptionId, customerId: subscriptionOwner.get(request.subscriptionId) ?? null });
      }
    } else if (request.customerId !== undefined) {
      const subscriptionId = newestByCustomer.get(request.customerId);
      if (subscriptionId) targets.set(request.deliveryId, { subscriptionId, customerId: request.customerId });
    }
  }
  return targets;
}

/**
 * Asks for the shop's drain at `at`: now if due, else a wake-up job at that
 * second which then asks for the drain. Cheap to call often: requests for the
 * same moment collapse into one job.
 */
export async function requestPushSend(jobs: JobBackend, shop: string, at: Date, now = new Date()): Promise<void> {
  if (at.getTime() <= now.getTime()) return requestPushDrain(jobs, shop);
  // Rounded up to the second: requests for the same second share one wake-up.
  const atMs = Math.ceil(at.getTime() / 1000) * 1000;
  await enqueue(jobs, "push-send", { shop, purpose: "wake" }, pushWakeJobOptions(shop, atMs, now.getTime()));
}

/** Asks for the shop's drain now (one runs per shop; one more may wait behind it). */
export async function requestPushDrain(jobs: JobBackend, shop: string): Promise<void> {
  await enqueue(jobs, "push-send", { shop, purpose: "send" }, pushSendJobOptions(shop));
}

/** Pushes due for longer than `overdueMs` with no drain to send them (a lost wake-up); the heartbeat restarts the drain. */
export async function hasOverduePushes(db: Database, shop: string, overdueMs: number, now = new Date()): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ overdue: boolean }>>`
    SELECT EXISTS (
      SELECT 1 FROM "PushDelivery"
      WHERE shop = ${shop} AND status = 'queued' AND "scheduledFor" < ${new Date(now.getTime() - overdueMs)}
    ) AS overdue`;
  return rows[0]?.overdue === true;
}
