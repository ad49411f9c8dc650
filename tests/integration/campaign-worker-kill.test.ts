import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inProgramHoldout, quarterOf } from "../../app/campaigns/assignment";
import { createCampaign, getCampaign, scheduleCampaign } from "../../app/campaigns/campaigns.server";
import { decideRecipient, type RecipientDecision } from "../../app/campaigns/decision";
import { localDateOf } from "../../app/campaigns/local-clock";
import { shopMessaging } from "../../app/campaigns/rules.server";
import { parseConfig } from "../../app/config.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { clickTokenKey, verifyClickToken } from "../../app/push/click-token.server";
import { ensureActivePushKey } from "../../app/push/keys.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createJobBackend, type JobBackend } from "../../jobs/backend.server";
import { QUEUE_NAMES } from "../../jobs/queues";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { seedPushAudience, type PlantedMember } from "../support/push-audience";
import { startPushReceiver, type PushReceiver } from "../support/push-receiver";
import { freshDatabase } from "../support/stacks";

/**
 * Issue 5: killing the worker mid-send and restarting it never sends a member
 * the same campaign twice. The real worker (`ROLE=worker`, server.ts) runs in
 * a child process against PostgreSQL and Redis and sends a broadcast to a few
 * thousand members at a Web Push receiver that checks VAPID, decrypts every
 * message and answers slowly, so requests are always in flight. The worker is
 * SIGKILLed part-way, a new one is started, and once the campaign is complete
 * every push the receiver decrypted is matched to its delivery (by the
 * delivery id in its signed click token):
 *
 * - no delivery, browser or member received the campaign twice;
 * - every delivery still queued at the kill was sent by the new worker,
 *   exactly once;
 * - every delivery the killed worker had claimed ('sending') ended failed as
 *   interrupted and was never sent again, whether or not its push had reached
 *   the receiver before the kill (a push the service accepted whose answer
 *   never came back: the window no sender can close, docs/push.md);
 * - CampaignRecipient and PushDelivery agree, and both match the eligibility
 *   table: holdout and skipped members got nothing.
 *
 * Two kills at different points (early: a sixth of the pushes received; late:
 * three fifths) run side by side, each with its own database, Redis database,
 * receiver and workers, so both fit in the time of one: a killed worker's job
 * comes back only when BullMQ finds it stalled (its lock expired, then two
 * stalled-job checks), up to 30 s after the kill with the workers checking
 * every 2 s (JOB_STALLED_INTERVAL_MS; BullMQ's default of 30 s made it a minute).
 */

const SHOP = "kill-test-cafe.myshopify.com";
const CAMPAIGN_ID = "autumn-tasting";
const SEGMENT_ID = "weekday-regulars";
const MEMBERS = 2_000;
/** Pushes per second for the shop (one batch a second); with the receiver's delay, each batch is in flight most of its second. */
const RATE = 200;
const ANSWER_DELAY_MS = 200;
const TITLES = ["Taste the autumn menu", "New on the menu"];

/** Each kill over one of the sender's two protocols: HTTP/2 (what the big push services speak) and HTTP/1.1. */
const SCENARIOS = [
  { name: "early (a sixth of the pushes received, HTTP/2)", killAtShare: 1 / 6, http: "2" as const },
  { name: "late (three fifths of the pushes received, HTTP/1.1)", killAtShare: 3 / 5, http: "1.1" as const },
];

const hasServerStack = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe.skipIf(!hasServerStack)("killing the push worker mid-campaign (PostgreSQL server + Redis)", () => {
  it(`never sends a member the campaign twice: killed ${SCENARIOS.map((s) => s.name).join(" and ")}, then restarted`, async () => {
    const outcomes = await Promise.allSettled(SCENARIOS.map((scenario) => runScenario(scenario.killAtShare, scenario.http)));
    const failures = outcomes.flatMap((outcome, index) => (outcome.status === "rejected" ? [`killed ${SCENARIOS[index]?.name}: ${describeError(outcome.reason)}`] : []));
    if (failures.length > 0) throw new Error(failures.join("\n\n"));
  }, 300_000);
});

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

interface DeliveryRow {
  id: string;
  customerId: string | null;
  status: string;
  error: string | null;
}

interface ReceivedDelivery {
  deliveryId: string;
  receiverId: string;
}

async function runScenario(killAtShare: number, http: "2" | "1.1"): Promise<void> {
  const stack = await startScenarioStack(http);
  const { db, receiver, note } = stack;
  try {
    // The worker boots while the shop is seeded; it finds the campaign when it is scheduled.
    const first = stack.spawnWorker("worker 1");
    const { planted, expected, treated } = await seedShop(stack);
    note(`seeded ${MEMBERS} members, ${treated.size} to be sent`);
    await first.ready;
    await scheduleCampaign({ db, jobs: stack.jobs }, SHOP, CAMPAIGN_ID);
    note("campaign scheduled");

    // Killed once the share has arrived and some outcomes are recorded: mid-send, with answers pending.
    const killAt = Math.ceil(treated.size * killAtShare);
    await stack.waitFor(`${killAt} pushes, some of them recorded`, async () => {
      if (receiver.received.length < killAt) return undefined;
      const counts = countBy(await deliveries(db));
      if ((counts.queued ?? 0) === 0) {
        // The campaign run may still be handing deliveries over; once it has handed them all, nothing more will be queued.
        const toHand = await db.campaignRecipient.count({ where: { shop: SHOP, campaignId: CAMPAIGN_ID, status: "scheduled" } });
        if (toHand === 0) throw new Error(`everything was sent or claimed before the kill point: ${JSON.stringify(counts)}`);
        return undefined;
      }
      return (counts.sent ?? 0) > 0 ? true : undefined;
    });
    await first.process.stop("SIGKILL");
    note(`worker 1 killed, ${receiver.received.length} pushes received`);
    const atKill = byStatus(await deliveries(db));
    const receivedBeforeRestart = receiver.received.length;
    note(`at the kill: ${Object.entries(atKill).map(([status, ids]) => `${ids.size} ${status}`).join(", ")}`);

    const second = stack.spawnWorker("worker 2");
    await second.ready;
    let lastState = "";
    await stack.waitFor("the campaign to complete and every delivery to settle", async () => {
      const campaign = await getCampaign(db, SHOP, CAMPAIGN_ID);
      const open = await db.pushDelivery.count({ where: { shop: SHOP, campaignId: CAMPAIGN_ID, status: { in: ["queued", "sending"] } } });
      const state = `campaign ${campaign.status}, ${open} deliveries open`;
      if (state !== lastState) note(`${state}, ${receiver.received.length} pushes received`);
      lastState = state;
      return campaign.status === "completed" && open === 0 ? true : undefined;
    });
    const stopped = await second.process.stop("SIGINT");
    expect(stopped.code, "worker 2 stops cleanly").toBe(0);

    const received = receivedDeliveries(receiver, stack.clickKey);
    expect(receiver.requestsByProtocol()[http === "2" ? "http1" : "http2"], `pushes sent over another HTTP than ${http}`).toBe(0);
    const final = await deliveries(db);
    checkOnce(received, final, planted, treated);
    checkKillOutcome({ received, receivedBeforeRestart, atKill, final, treated, note });
    await checkRecipients(db, expected, treated, final);
    note("checked");
  } catch (error) {
    throw new Error(`${describeError(error)}\n--- timeline ---\n${stack.diagnostics()}`);
  } finally {
    await stack.stop();
  }
}

/** A fresh database and Redis database, a slow receiver, the worker's environment, and cleanup of all of it. */
async function startScenarioStack(http: "2" | "1.1") {
  const started = Date.now();
  const events: string[] = [];
  const note = (what: string) => events.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
  const database = await freshDatabase("server");
  const redis = await claimRedisDatabase().catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const receiver: PushReceiver = await startPushReceiver({ answerDelayMs: ANSWER_DELAY_MS });
  const encryptionKey = randomBytes(32).toString("hex");
  const config = parseConfig({ NODE_ENV: "test", DEMO: "1", DATABASE_URL: database.url, REDIS_URL: redis.url, APP_ENCRYPTION_KEY: encryptionKey });
  const db = createPrismaClient(database.url);
  // The app's own queue prefix: the workers and this process share the queues.
  const jobs: JobBackend = createJobBackend(config.queue, database.url);
  const workerEnv = {
    ROLE: "worker",
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    APP_ENCRYPTION_KEY: encryptionKey,
    SHOPIFY_API_KEY: "kill-test-key",
    SHOPIFY_API_SECRET: "kill-test-secret",
    SHOPIFY_APP_URL: "https://regulars.example.com",
    PUSH_ALLOW_LOCAL_RECEIVERS: "1",
    PUSH_HTTP: http,
    PUSH_RATE_PER_SHOP: String(RATE),
    // A killed worker's job is resumed once its lock (30 s) expires, found by a check every 2 s rather than BullMQ's 30.
    JOB_STALLED_INTERVAL_MS: "2000",
  };
  const workers: AppProcess[] = [];
  const diagnostics = () => `${events.join("\n")}\n${workers.map((w, i) => `--- worker ${i + 1} output ---\n${w.output().slice(-2_000)}`).join("\n")}`;
  note("database created");
  return {
    db,
    jobs,
    receiver,
    note,
    diagnostics,
    encryptionKey: Buffer.from(encryptionKey, "hex"),
    clickKey: clickTokenKey(Buffer.from(encryptionKey, "hex")),
    /** Generous: two scenarios share a loaded two-core machine. */
    waitFor: (what: string, check: () => Promise<true | undefined>) => waitFor(what, check, 150_000),
    spawnWorker(label: string) {
      const process = spawnApp(workerEnv);
      workers.push(process);
      const ready = waitFor(`${label} to start`, async () => {
        if (process.child.exitCode !== null) throw new Error(`${label} exited at start:\n${process.output()}`);
        return /regulars: database .*; role worker/.test(process.output()) ? true : undefined;
      }, 90_000).then(() => note(`${label} started`));
      ready.catch(() => {});
      return { process, ready };
    },
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop("SIGKILL")));
      await receiver.close();
      await jobs.close();
      await db.$disconnect();
      await redis.release();
      await database.drop();
    },
  };
}

type ScenarioStack = Awaited<ReturnType<typeof startScenarioStack>>;

const claimedRedisDatabases = new Set<number>();

/** An empty Redis database of its own (the app's queues use a fixed prefix); its queues are removed afterwards. */
async function claimRedisDatabase(): Promise<{ url: string; release(): Promise<void> }> {
  const base = process.env.REDIS_URL ?? "";
  const candidates = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  for (const index of candidates) {
    if (claimedRedisDatabases.has(index)) continue;
    const parsed = new URL(base);
    parsed.pathname = `/${index}`;
    const url = parsed.toString();
    const client = new Redis(url);
    const size = await client.dbsize();
    client.disconnect();
    if (size !== 0) continue;
    claimedRedisDatabases.add(index);
    return {
      url,
      async release() {
        for (const name of QUEUE_NAMES) {
          const queue = new Queue(name, { connection: { url } });
          await queue.obliterate({ force: true });
          await queue.close();
        }
        claimedRedisDatabases.delete(index);
      },
    };
  }
  throw new Error(`no empty Redis database (1–15) at ${base}`);
}

/** The installed shop, its members, the broadcast (a draft, as `regulars campaigns create` makes it), and the eligibility table. */
async function seedShop(stack: ScenarioStack) {
  const { db } = stack;
  await registerInstall(db, { domain: SHOP, name: "Kill Test Cafe", timezone: "Europe/London", currency: "GBP" });
  // No quiet hours: the broadcast goes now, whatever the time of day the test runs.
  await db.shopSettings.create({ data: { shop: SHOP, quietStartMinute: 0, quietEndMinute: 0 } });
  const key = await ensureActivePushKey(db, stack.encryptionKey, SHOP);
  const planted = await seedPushAudience(db, { shop: SHOP, members: MEMBERS, segmentId: SEGMENT_ID, key, receiver: stack.receiver, firstCustomerId: 7_100_000_000_000, at: new Date() });
  const draft = await createCampaign(
    db,
    SHOP,
    {
      name: "Autumn menu tasting",
      kind: "broadcast",
      segmentId: SEGMENT_ID,
      variants: [
        { id: "a", title: TITLES[0], body: "Thursday 8–10 at the counter: the new spiced oat latte, on us.", weight: 1 },
        { id: "b", title: TITLES[1], body: "Come and try the spiced oat latte before it goes on the board.", weight: 1 },
      ],
      offer: { type: "tasting", link: "/pages/tasting" },
      holdoutPercent: 10,
      startsAt: new Date().toISOString(),
    },
    { id: CAMPAIGN_ID },
  );

  const rules = await shopMessaging(db, SHOP);
  const decidedAt = new Date();
  const quarter = quarterOf(localDateOf(decidedAt, rules.timezone));
  const expected = new Map<string, RecipientDecision>();
  for (const member of planted) {
    const facts = { ...member.facts, programHoldout: inProgramHoldout(SHOP, member.customerId, quarter, rules.programHoldoutPercent) };
    expected.set(member.customerId, decideRecipient(draft, { customerId: member.customerId, dueFrom: null, dueUntil: null }, facts, rules, decidedAt));
  }
  const treated = new Set([...expected.values()].filter((d) => d.status === "scheduled").map((d) => d.customerId));
  const reasons = new Set<string | null>([...expected.values()].map((d) => d.skipReason));
  for (const reason of ["holdout", "program-holdout", "consent", "no-subscription", "frequency-cap"]) expect(reasons.has(reason), `members skipped for ${reason}`).toBe(true);
  expect(treated.size).toBeGreaterThan(MEMBERS / 2);
  return { planted, expected, treated };
}

const deliveries = (db: Database): Promise<DeliveryRow[]> =>
  db.pushDelivery.findMany({ where: { shop: SHOP, campaignId: CAMPAIGN_ID }, select: { id: true, customerId: true, status: true, error: true } });

function countBy(rows: DeliveryRow[]): Record<string, number> {
  return Object.fromEntries(Object.entries(byStatus(rows)).map(([status, ids]) => [status, ids.size]));
}

function byStatus(rows: DeliveryRow[]): Record<string, Set<string>> {
  const groups: Record<string, Set<string>> = {};
  for (const row of rows) (groups[row.status] ??= new Set()).add(row.id);
  return groups;
}

const wireMessage = z.object({ v: z.literal(1), title: z.string(), body: z.string(), click: z.string() });

/** Every push the receiver decrypted and accepted, with the delivery its signed click token names. */
function receivedDeliveries(receiver: PushReceiver, clickKey: Buffer): ReceivedDelivery[] {
  expect(receiver.rejected, "pushes the receiver refused").toEqual([]);
  const nowSeconds = Math.floor(Date.now() / 1000);
  return receiver.received.map((push) => {
    const message = wireMessage.parse(JSON.parse(push.text));
    expect(TITLES).toContain(message.title);
    const token = verifyClickToken(clickKey, message.click, { shop: SHOP, nowSeconds });
    if (!token.ok) throw new Error(`a push carries an invalid click token: ${token.message}`);
    return { deliveryId: token.deliveryId, receiverId: push.subscriptionId };
  });
}

function repeated(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => seen.size === seen.add(value).size);
}

/** Nobody got the campaign twice, and only the treatment arm got it at all. */
function checkOnce(received: ReceivedDelivery[], final: DeliveryRow[], planted: PlantedMember[], treated: Set<string>): void {
  expect(repeated(received.map((r) => r.deliveryId)), "deliveries received more than once").toEqual([]);
  expect(repeated(received.map((r) => r.receiverId)), "browsers that got the campaign twice").toEqual([]);
  const memberOf = new Map(planted.flatMap((m) => (m.receiverId ? [[m.receiverId, m.customerId] as const] : [])));
  const rowOf = new Map(final.map((row) => [row.id, row]));
  for (const { deliveryId, receiverId } of received) {
    expect(rowOf.get(deliveryId)?.customerId, `push ${deliveryId} went to its member's browser`).toBe(memberOf.get(receiverId));
  }
  const members = received.map((r) => memberOf.get(r.receiverId) ?? `unknown browser ${r.receiverId}`);
  expect(repeated(members), "members who got the campaign twice").toEqual([]);
  expect(members.filter((id) => !treated.has(id)), "pushes to members outside the treatment arm").toEqual([]);
}

/** Queued at the kill: sent once after it. Claimed at the kill: failed as interrupted, never sent again. */
function checkKillOutcome(input: {
  received: ReceivedDelivery[];
  receivedBeforeRestart: number;
  atKill: Record<string, Set<string>>;
  final: DeliveryRow[];
  treated: Set<string>;
  note: (what: string) => void;
}): void {
  const { received, atKill, final } = input;
  const sentAtKill = atKill.sent ?? new Set<string>();
  const claimedAtKill = atKill.sending ?? new Set<string>();
  const queuedAtKill = atKill.queued ?? new Set<string>();
  // The kill came mid-send: some pushes were out, some not yet handed to the push service.
  expect(sentAtKill.size, "deliveries sent before the kill").toBeGreaterThan(0);
  expect(sentAtKill.size + claimedAtKill.size, "deliveries sent or claimed before the kill").toBeLessThan(input.treated.size);

  const finalByStatus = byStatus(final);
  expect(Object.keys(finalByStatus).filter((status) => status !== "sent" && status !== "failed"), "deliveries neither sent nor failed").toEqual([]);
  const sent = finalByStatus.sent ?? new Set<string>();
  const failed = finalByStatus.failed ?? new Set<string>();
  expect([...failed].sort(), "failed deliveries are those the killed worker had claimed").toEqual([...claimedAtKill].sort());
  for (const row of final) if (row.status === "failed") expect(row.error).toMatch(/^interrupted while sending/);
  for (const id of queuedAtKill) expect(sent.has(id), `delivery ${id}, queued at the kill, was sent`).toBe(true);

  const times = new Map<string, number>();
  for (const { deliveryId } of received) times.set(deliveryId, (times.get(deliveryId) ?? 0) + 1);
  for (const id of sent) expect(times.get(id), `sent delivery ${id} reached its browser once`).toBe(1);
  const afterRestart = received.slice(input.receivedBeforeRestart).filter(({ deliveryId }) => sentAtKill.has(deliveryId) || claimedAtKill.has(deliveryId));
  expect(afterRestart, "deliveries sent or claimed before the kill and sent again after it").toEqual([]);
  const acceptedUnrecorded = [...claimedAtKill].filter((id) => times.has(id)).length;
  expect(received.length).toBe(sent.size + acceptedUnrecorded);
  input.note(`${claimedAtKill.size} claimed at the kill, ${acceptedUnrecorded} of them had reached the receiver; none sent again`);
}

/** One recipient row per member, as the eligibility table says; each treated one's delivery is the member's. */
async function checkRecipients(db: Database, expected: Map<string, RecipientDecision>, treated: Set<string>, final: DeliveryRow[]): Promise<void> {
  const recipients = await db.campaignRecipient.findMany({ where: { shop: SHOP, campaignId: CAMPAIGN_ID } });
  expect(recipients).toHaveLength(MEMBERS);
  const rowOf = new Map(final.map((row) => [row.id, row]));
  for (const recipient of recipients) {
    const decision = expected.get(recipient.customerId);
    const treatedHere = decision?.status === "scheduled";
    expect(
      { arm: recipient.arm, status: recipient.status, skipReason: recipient.skipReason, delivered: recipient.deliveryId ? rowOf.get(recipient.deliveryId)?.customerId : null },
      `recipient ${recipient.customerId}`,
    ).toEqual({ arm: decision?.arm, status: treatedHere ? "sent" : "skipped", skipReason: decision?.skipReason, delivered: treatedHere ? recipient.customerId : null });
  }
  expect(final).toHaveLength(treated.size);
  expect(new Set(final.map((row) => row.customerId))).toEqual(treated);
}
