/**
 * bench:push — a campaign to 100,000 push subscriptions, sent by the app's own
 * push drain (app/push/send.server.ts, run by the push worker as in
 * production) to a local Web Push receiver in another process. The receiver
 * checks what a push service checks on every push (headers, VAPID claims,
 * aes128gcm framing; the JWT signature once per connection) and decrypts a
 * random sample as a browser would (one in 20 by default; --decrypt-one-in 1
 * decrypts all). Beside it, in the same run and process: the raw
 * per-message crypto (ECDH + HKDF + AES-GCM, no HTTP, done the cheapest way:
 * HKDF by HMAC calls rather than Node's slower hkdfSync) and, for reference,
 * web-push's stock per-message request building (which signs a fresh VAPID
 * JWT each time).
 *
 *   npm run bench:push [-- --subscriptions 100000 --queue postgres|redis --decrypt-one-in 20 --http 2|1.1]
 *
 * --http: the sender speaks HTTP/2 to the receiver (h2c, PUSH_HTTP=2, the
 * default) or HTTP/1.1 (PUSH_HTTP=1.1). --tls: the receiver serves HTTPS with
 * the test certificate (tests/support/tls), as push services do, and the
 * protocol is agreed by ALPN as with them; the benchmark then runs itself
 * again with NODE_EXTRA_CA_CERTS naming the test authority. The issue's
 * figure is the plain-HTTP one.
 *
 * Sender CPU is this process's CPU time (process.cpuUsage, all threads)
 * during the send phase; the receiver's is measured in its own process and
 * reported apart. The machine's load average is printed with each figure.
 *
 * Database: a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards; queue:
 * BullMQ on that database, or on REDIS_URL with --queue redis. The per-shop
 * rate limit is lifted (PUSH_RATE_PER_SHOP=100000) so the sender's own speed
 * is measured. Ends with one line of JSON.
 */
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { createCipheriv, createECDH, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { Redis } from "ioredis";
import webpush from "web-push";
import { directRunner } from "../app/analytics/sql-tx.server";
import { parseConfig } from "../app/config.server";
import { Prisma } from "../app/db/generated/client";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { enqueuePushes, type PushRequest } from "../app/push/enqueue.server";
import { ensureActivePushKey, loadPushSigningKey } from "../app/push/keys.server";
import { closePushSender } from "../app/push/sender.server";
import { subscriptionIdFor } from "../app/push/subscriptions.server";
import type { Runtime } from "../app/runtime.server";
import { registerInstall } from "../app/shops/shops.server";
import { createJobBackend } from "../jobs/backend.server";
import { processPushSend } from "../jobs/processors/push-send";
import { seededSubscriptionKeys } from "../tests/support/push-receiver";

const { values } = parseArgs({
  options: {
    subscriptions: { type: "string", default: "100000" },
    queue: { type: "string", default: "postgres" },
    "floor-samples": { type: "string", default: "5000" },
    "decrypt-one-in": { type: "string", default: "20" },
    http: { type: "string", default: "2" },
    tls: { type: "boolean", default: false },
  },
});
const SUBSCRIPTIONS = positiveInt("--subscriptions", values.subscriptions);
const FLOOR_SAMPLES = positiveInt("--floor-samples", values["floor-samples"]);
const DECRYPT_ONE_IN = positiveInt("--decrypt-one-in", values["decrypt-one-in"]);
const HTTP = values.http === "2" ? "2" : values.http === "1.1" ? "1.1" : fail(`--http must be 2 or 1.1 (got ${JSON.stringify(values.http)})`);
const TLS = values.tls === true;
const TEST_CA = fileURLToPath(new URL("../tests/support/tls/test-ca.pem", import.meta.url));
const QUEUE = values.queue === "redis" ? "redis" : values.queue === "postgres" ? "postgres" : fail(`--queue must be postgres or redis (got ${JSON.stringify(values.queue)})`);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SHOP = "bench-cafe.myshopify.com";
const POOL = 100;
const ENQUEUE_BATCH = 5_000;
const PAYLOAD = {
  title: "Autumn menu tasting",
  body: "Thursday 8–10 at the counter: try the new spiced oat latte with us before it goes on the menu.",
  url: "/pages/tasting",
};

function fail(message: string): never {
  console.error(`bench:push: ${message}`);
  process.exit(2);
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;
/** The machine's 1-minute load average (above the number of cores, processes wait for one). */
const load = () => round(loadavg()[0] ?? 0, 2);

/**
 * RFC 8291's three HKDFs (RFC 5869): the input keying material from the ECDH
 * secret and the auth secret, then the content-encryption key and the nonce
 * from it and the salt. "hmac" computes each as HMAC-SHA-256 calls (an
 * extract and one expand block: every output here is at most 32 bytes);
 * "hkdfSync" calls Node's hkdfSync, which gives the same bytes but costs
 * more per call on Node 20 (it sets up a key-derivation context each time).
 */
type HkdfWay = "hmac" | "hkdfSync";
const KEY_INFO = Buffer.from("WebPush: info\0", "latin1");
const CEK_INFO = Buffer.from("Content-Encoding: aes128gcm\0", "latin1");
const NONCE_INFO = Buffer.from("Content-Encoding: nonce\0", "latin1");
const BLOCK_ONE = Buffer.from([1]);

function hmacSha256(key: Buffer, ...data: Buffer[]): Buffer {
  const mac = createHmac("sha256", key);
  for (const part of data) mac.update(part);
  return mac.digest();
}

function webPushKeys(way: HkdfWay, secret: Buffer, auth: Buffer, keyInfo: Buffer, salt: Buffer): { cek: Buffer; nonce: Buffer } {
  if (way === "hkdfSync") {
    const ikm = Buffer.from(hkdfSync("sha256", secret, auth, keyInfo, 32));
    return { cek: Buffer.from(hkdfSync("sha256", ikm, salt, CEK_INFO, 16)), nonce: Buffer.from(hkdfSync("sha256", ikm, salt, NONCE_INFO, 12)) };
  }
  const ikm = hmacSha256(hmacSha256(auth, secret), keyInfo, BLOCK_ONE);
  const prk = hmacSha256(salt, ikm);
  return { cek: hmacSha256(prk, CEK_INFO, BLOCK_ONE).subarray(0, 16), nonce: hmacSha256(prk, NONCE_INFO, BLOCK_ONE).subarray(0, 12) };
}

/**
 * What no sender can skip, per message: an ephemeral P-256 key pair and ECDH,
 * RFC 8291's three HKDFs and AES-128-GCM. The floor is this done the
 * cheapest way ("hmac"); "hkdfSync" is measured beside it because earlier
 * runs used it (docs/decisions/0030-push-crypto-floor.md).
 */
function cryptoFloorMicros(samples: number, plaintext: Buffer, way: HkdfWay): number {
  const keys = Array.from({ length: POOL }, (_, i) => seededSubscriptionKeys(`k${i}`));
  const encrypt = (index: number) => {
    const key = keys[index % POOL];
    if (!key) throw new Error("no key");
    const receiverKey = Buffer.from(key.p256dh, "base64url");
    const auth = Buffer.from(key.auth, "base64url");
    const ecdh = createECDH("prime256v1");
    const senderKey = ecdh.generateKeys();
    const secret = ecdh.computeSecret(receiverKey);
    const { cek, nonce } = webPushKeys(way, secret, auth, Buffer.concat([KEY_INFO, receiverKey, senderKey]), randomBytes(16));
    const cipher = createCipheriv("aes-128-gcm", cek, nonce);
    return Buffer.concat([cipher.update(plaintext), cipher.update(Buffer.from([2])), cipher.final(), cipher.getAuthTag()]);
  };
  for (let i = 0; i < 200; i += 1) encrypt(i);
  const started = cpuMicros();
  for (let i = 0; i < samples; i += 1) encrypt(i);
  return (cpuMicros() - started) / samples;
}

/** The two ways derive the same keys (checked before anything is measured). */
function checkHkdfWaysAgree(): void {
  const [secret, auth, info, salt] = [randomBytes(32), randomBytes(16), Buffer.concat([KEY_INFO, randomBytes(130)]), randomBytes(16)];
  const viaHmac = webPushKeys("hmac", secret, auth, info, salt);
  const viaHkdf = webPushKeys("hkdfSync", secret, auth, info, salt);
  if (!viaHmac.cek.equals(viaHkdf.cek) || !viaHmac.nonce.equals(viaHkdf.nonce)) fail("the two HKDF computations disagree");
}

/**
 * web-push's own request building (no HTTP): with VAPID details, a JWT
 * signed per message (the stock call); without, only the encryption and
 * headers, which is what the sender calls (it adds its cached Authorization).
 */
function requestBuildingMicros(samples: number, plaintext: string, vapid: { publicKey: string; privateKey: string } | null): number {
  const keys = Array.from({ length: POOL }, (_, i) => seededSubscriptionKeys(`k${i}`));
  const build = (index: number) =>
    webpush.generateRequestDetails({ endpoint: `https://fcm.googleapis.com/fcm/send/s${index}`, keys: keys[index % POOL] ?? { p256dh: "", auth: "" } }, plaintext, {
      TTL: 3600,
      contentEncoding: "aes128gcm",
      ...(vapid ? { vapidDetails: { subject: "mailto:push@regulars.invalid", ...vapid } } : {}),
    });
  for (let i = 0; i < 50; i += 1) build(i);
  const started = cpuMicros();
  for (let i = 0; i < samples; i += 1) build(i);
  return (cpuMicros() - started) / samples;
}

function startReceiver(publicKey: string): Promise<{ child: ChildProcess; origin: string; stats(): Promise<ReceiverStats> }> {
  const child = fork(new URL("./support/push-receiver-process.ts", import.meta.url), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, POOL: String(POOL), SHOP_PUBLIC_KEY: publicKey, DECRYPT_ONE_IN: String(DECRYPT_ONE_IN), RECEIVER_TLS: TLS ? "1" : "" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`push receiver exited (${code})`)));
    child.once("message", (message: unknown) => {
      const origin = typeof message === "object" && message !== null && "origin" in message ? String(message.origin) : "";
      resolve({
        child,
        origin,
        stats: () =>
          new Promise((answer) => {
            child.once("message", (stats: unknown) => answer(stats as ReceiverStats));
            child.send("stats");
          }),
      });
    });
  });
}

interface ReceiverStats {
  received: number;
  decrypted: number;
  rejected: number;
  cpuMicros: number;
  requests: number;
  byProtocol: { http1: number; http2: number };
  firstRejection: unknown;
  sample: string | null;
}

async function insertSubscriptions(runtime: Runtime, origin: string, keyId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < SUBSCRIPTIONS; offset += 10_000) {
    const rows = Array.from({ length: Math.min(10_000, SUBSCRIPTIONS - offset) }, (_, i) => {
      const n = offset + i;
      const endpoint = `${origin}/push/s${n}`;
      const keys = seededSubscriptionKeys(`k${n % POOL}`);
      return { id: subscriptionIdFor(endpoint), endpoint, ...keys, customerId: String(6_800_000_000_000 + n), browserId: `bench-browser-${String(n).padStart(8, "0")}` };
    });
    const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
    // On the driver, as the app's own bulk statements are: through Prisma, its debug history would keep these arrays
    // alive in this process (the sender's) through the send.
    await directRunner(runtime.db).execute(Prisma.sql`
      INSERT INTO "PushSubscription" (shop, id, endpoint, p256dh, auth, "customerId", "browserId", "keyId", status, "createdAt", "updatedAt")
      SELECT ${SHOP}, r.id, r.endpoint, r.p256dh, r.auth, r.customer_id, r.browser_id, ${keyId}, 'active', now(), now()
      FROM unnest(${column((r) => r.id)}::text[], ${column((r) => r.endpoint)}::text[], ${column((r) => r.p256dh)}::text[],
        ${column((r) => r.auth)}::text[], ${column((r) => r.customerId)}::text[], ${column((r) => r.browserId)}::text[])
        AS r(id, endpoint, p256dh, auth, customer_id, browser_id)`);
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

async function main(): Promise<void> {
  const name = `regulars_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect().catch((error: unknown) => fail(`PostgreSQL server at ${SERVER_URL} is unreachable: ${String(error)}`));
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const redisPrefix = `regulars_bench_${randomBytes(4).toString("hex")}`;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | null = null;
  let runtime: Runtime | null = null;
  try {
    await applyMigrations(databaseUrl);
    const config = parseConfig({
      DEMO: "1",
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      ...(QUEUE === "redis" ? { REDIS_URL } : {}),
      PUSH_ALLOW_LOCAL_RECEIVERS: "1",
      PUSH_RATE_PER_SHOP: "100000",
      // Over TLS, "auto" is what production runs: h2 or http/1.1 as ALPN agrees (the receiver offers both, in that order).
      PUSH_HTTP: TLS && HTTP === "2" ? "auto" : HTTP,
    });
    const db = createPrismaClient(databaseUrl);
    const jobs = createJobBackend(config.queue, databaseUrl, { redisPrefix });
    runtime = { config, database: { kind: "postgres", url: databaseUrl, close: async () => {} }, db, jobs, startedAt: new Date() };
    const applicationKey = config.encryptionKey ?? fail("no application key");
    await registerInstall(db, { domain: SHOP, name: "Bench Cafe" });
    const key = await ensureActivePushKey(db, applicationKey, SHOP);
    receiver = await startReceiver(key.publicKey);
    process.stderr.write(`bench:push: ${SUBSCRIPTIONS.toLocaleString("en")} subscriptions, receiver at ${receiver.origin}\n`);
    const subscriptionIds = await insertSubscriptions(runtime, receiver.origin, key.id);

    // A typical message as sent (the click token is about 90 bytes).
    const plaintext = Buffer.from(JSON.stringify({ v: 1, ...PAYLOAD, url: undefined, click: "x".repeat(90) }));
    checkHkdfWaysAgree();
    const floorBeforeLoad = load();
    const floorBefore = cryptoFloorMicros(FLOOR_SAMPLES, plaintext, "hmac");
    const hkdfSyncBefore = cryptoFloorMicros(FLOOR_SAMPLES, plaintext, "hkdfSync");
    const signing = await loadPushSigningKey(db, applicationKey, SHOP, key.id);
    const jwk = signing?.key.export({ format: "jwk" });
    const stock = requestBuildingMicros(Math.min(2_000, FLOOR_SAMPLES), plaintext.toString(), { publicKey: key.publicKey, privateKey: jwk?.d ?? "" });
    const encryptOnly = requestBuildingMicros(FLOOR_SAMPLES, plaintext.toString(), null);

    // The campaign: deliveries recorded in batches, as the campaign engine records them.
    const enqueueCpu = cpuMicros();
    const enqueueLoad = load();
    const enqueueStarted = performance.now();
    const now = new Date();
    for (let offset = 0; offset < SUBSCRIPTIONS; offset += ENQUEUE_BATCH) {
      const batch: PushRequest[] = subscriptionIds.slice(offset, offset + ENQUEUE_BATCH).map((subscriptionId, i) => ({
        shop: SHOP,
        deliveryId: `c1-${offset + i}`,
        subscriptionId,
        kind: "campaign",
        campaignId: "c1",
        payload: PAYLOAD,
        scheduledFor: now,
        ttlSeconds: 3600,
        topic: "tasting",
      }));
      await enqueuePushes(runtime, batch, now);
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    const enqueueCpuUs = cpuMicros() - enqueueCpu;
    process.stderr.write(`bench:push: enqueued in ${round(enqueueSeconds, 2)} s; sending…\n`);

    // Sending: the push worker (one drain for the shop) until every delivery is settled.
    const sendLoad = load();
    const receiverCpuBefore = (await receiver.stats()).cpuMicros;
    const sendUsage = process.cpuUsage();
    const sendStarted = performance.now();
    const liveRuntime = runtime;
    const worker = jobs.worker("push", (job) => processPushSend(job, liveRuntime), { concurrency: 2 });
    // Progress from the receiver (another process, cheap to ask); the database is asked only at the end.
    const liveReceiver = receiver;
    for (let arrived = 0; arrived < SUBSCRIPTIONS; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const stats = await liveReceiver.stats();
      if (stats.rejected > 0) throw new Error(`the receiver rejected a push: ${JSON.stringify(stats.firstRejection)}`);
      arrived = stats.requests;
      process.stderr.write(`\rbench:push: ${arrived.toLocaleString("en")} / ${SUBSCRIPTIONS.toLocaleString("en")} received`);
    }
    for (let settled = 0; settled < SUBSCRIPTIONS; ) {
      const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM "PushDelivery" WHERE shop = ${SHOP} AND status NOT IN ('queued', 'sending')`;
      settled = Number(rows[0]?.n ?? 0);
      if (settled < SUBSCRIPTIONS) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sendSeconds = (performance.now() - sendStarted) / 1000;
    const sendSplit = process.cpuUsage(sendUsage);
    const sendCpuUs = sendSplit.user + sendSplit.system;
    const sendEndLoad = load();
    const receiverCpuUs = (await receiver.stats()).cpuMicros - receiverCpuBefore;
    process.stderr.write("\n");
    await worker.close();
    const floorAfter = cryptoFloorMicros(FLOOR_SAMPLES, plaintext, "hmac");
    const hkdfSyncAfter = cryptoFloorMicros(FLOOR_SAMPLES, plaintext, "hkdfSync");
    const floorAfterLoad = load();

    const counts = await db.pushDelivery.groupBy({ by: ["status"], where: { shop: SHOP }, _count: { _all: true } });
    const stats = await receiver.stats();
    const sent = counts.find((row) => row.status === "sent")?._count._all ?? 0;
    if (sent !== SUBSCRIPTIONS || stats.received !== SUBSCRIPTIONS || stats.rejected !== 0 || stats.decrypted === 0) {
      throw new Error(`not every push arrived intact: ${JSON.stringify({ counts, receiver: stats })}`);
    }
    if ((HTTP === "2" ? stats.byProtocol.http1 : stats.byProtocol.http2) !== 0) {
      throw new Error(`pushes arrived over another HTTP than --http ${HTTP}: ${JSON.stringify(stats.byProtocol)}`);
    }
    const floor = Math.min(floorBefore, floorAfter);
    const hkdfSyncFloor = Math.min(hkdfSyncBefore, hkdfSyncAfter);
    const cpuPerPush = sendCpuUs / SUBSCRIPTIONS;
    const endToEnd = SUBSCRIPTIONS / (enqueueSeconds + sendSeconds);
    console.log(`subscriptions=${SUBSCRIPTIONS} queue=${QUEUE} http=${HTTP} tls=${TLS} node=${process.version} payload=${plaintext.length} B cores=${availableParallelism()}`);
    console.log(`enqueue   ${round(enqueueSeconds, 2)} s (${round(SUBSCRIPTIONS / enqueueSeconds)} deliveries/s, ${round(enqueueCpuUs / SUBSCRIPTIONS)} µs CPU each)  load ${enqueueLoad}`);
    console.log(
      `send      ${round(sendSeconds, 2)} s (${round(SUBSCRIPTIONS / sendSeconds)} pushes/s), sender CPU ${round(cpuPerPush)} µs/push ` +
        `(user ${round(sendSplit.user / SUBSCRIPTIONS)}, system ${round(sendSplit.system / SUBSCRIPTIONS)}); receiver CPU ${round(receiverCpuUs / SUBSCRIPTIONS)} µs/push  load ${sendLoad} → ${sendEndLoad}`,
    );
    console.log(`end to end ${round(endToEnd)} pushes/s (enqueue + send)`);
    console.log(`crypto floor ${round(floorBefore)} / ${round(floorAfter)} µs per message (before / after; the lower is used)  load ${floorBeforeLoad} / ${floorAfterLoad}`);
    console.log(
      `the same with Node's hkdfSync for the HKDFs (the floor of runs before 2026-11-28 evening): ${round(hkdfSyncBefore)} / ${round(hkdfSyncAfter)} µs; ` +
        `sender CPU = ${round(cpuPerPush / hkdfSyncFloor, 2)}× that`,
    );
    console.log(`stock web-push request building (JWT signed per message, no HTTP): ${round(stock)} µs = ${round(stock / floor, 2)}× floor`);
    console.log(`web-push request building without VAPID (the sender's call, no HTTP): ${round(encryptOnly)} µs = ${round(encryptOnly / floor, 2)}× floor`);
    console.log(
      `receiver: ${stats.received} pushes accepted over HTTP/${HTTP === "2" ? "2" : "1.1"}${TLS ? " and TLS" : HTTP === "2" ? " (h2c)" : ""} (headers, VAPID claims and framing checked; JWT signature verified once per connection), ` +
        `${stats.decrypted} decrypted (one in ${DECRYPT_ONE_IN} sampled), ${stats.rejected} rejected; sample ${stats.sample ?? ""}`,
    );
    console.log(
      JSON.stringify({
        bench: "push",
        subscriptions: SUBSCRIPTIONS,
        pushes_per_s: round(endToEnd),
        cpu_us_per_push: round(cpuPerPush),
        crypto_floor_us: round(floor),
        ratio_vs_floor: round(cpuPerPush / floor, 2),
        crypto_floor_hkdfsync_us: round(hkdfSyncFloor),
        web_push_encrypt_us: round(encryptOnly),
        http: HTTP,
        tls: TLS,
      }),
    );
  } finally {
    receiver?.child.send("stop");
    if (runtime) {
      closePushSender(runtime);
      await runtime.jobs.close();
      await runtime.db.$disconnect();
    }
    if (QUEUE === "redis") {
      const client = new Redis(REDIS_URL);
      const keys = await client.keys(`${redisPrefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (TLS && process.env.NODE_EXTRA_CA_CERTS !== TEST_CA) {
  // Node reads extra certificate authorities only at start: run again trusting the test authority.
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CA } });
  process.exit(again.status ?? 1);
}
await main();
process.exit(0);
