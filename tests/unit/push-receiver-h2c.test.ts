import { readFileSync } from "node:fs";
import { request as http1Request } from "node:http";
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders as Http2Headers } from "node:http2";
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import webpush from "web-push";
import { afterEach, describe, expect, it } from "vitest";
import { createPushTransport } from "../../app/push/transport.server";
import { startPushReceiver, type PushReceiver, type ReceiverOptions, type ReceiverSubscription } from "../support/push-receiver";

/**
 * The test Web Push receiver speaks HTTP/2 over cleartext with prior
 * knowledge (what node:http2's connect("http://…") speaks) and HTTP/1.1 on
 * the same port, and checks and answers pushes alike on both.
 */

const SUBJECT = "mailto:t@example.com";
const vapid = webpush.generateVAPIDKeys();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface PushDetails {
  endpoint: string;
  headers: Record<string, string>;
  body: Buffer;
}

let receiver: PushReceiver | null = null;
const sessions: ClientHttp2Session[] = [];
const servers: NetServer[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await receiver?.close();
  receiver = null;
});

async function start(options: ReceiverOptions = {}): Promise<PushReceiver> {
  receiver = await startPushReceiver(options);
  return receiver;
}

function subscribe(target: PushReceiver): ReceiverSubscription {
  return target.subscribe({ applicationServerKey: vapid.publicKey });
}

/** A push as web-push builds it: aes128gcm body, TTL, and a VAPID JWT whose aud is the endpoint's origin. */
function push(subscription: Pick<ReceiverSubscription, "endpoint" | "keys">, text: string, options: { urgency?: webpush.Urgency; topic?: string; keys?: { publicKey: string; privateKey: string } } = {}): PushDetails {
  const details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, text, {
    TTL: 3600,
    contentEncoding: "aes128gcm",
    vapidDetails: { subject: SUBJECT, ...(options.keys ?? vapid) },
    ...(options.urgency ? { urgency: options.urgency } : {}),
    ...(options.topic ? { topic: options.topic } : {}),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name.toLowerCase()] = String(value);
  return { endpoint: details.endpoint, headers, body: details.body };
}

function h2c(origin: string): ClientHttp2Session {
  const session = connect(origin);
  session.on("error", () => undefined);
  sessions.push(session);
  return session;
}

function h2Post(session: ClientHttp2Session, path: string, headers: Record<string, string>, body: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    let responseHeaders: Http2Headers = {};
    const chunks: Buffer[] = [];
    stream.on("response", (received) => (responseHeaders = received));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve({ status: Number(responseHeaders[":status"]), headers: { ...responseHeaders }, text: Buffer.concat(chunks).toString("utf8") }));
    stream.on("error", reject);
    stream.end(body);
  });
}

function h2Push(session: ClientHttp2Session, details: PushDetails): Promise<Answer> {
  return h2Post(session, new URL(details.endpoint).pathname, details.headers, details.body);
}

/** HTTP/1.1 through node:http, to `port` (the receiver's unless a proxy's). */
function http1Push(details: PushDetails, port?: number): Promise<Answer> {
  const url = new URL(details.endpoint);
  return new Promise((resolve, reject) => {
    const request = http1Request({ host: url.hostname, port: port ?? Number(url.port), path: url.pathname, method: "POST", headers: details.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: { ...response.headers }, text: Buffer.concat(chunks).toString("utf8") }));
    });
    request.on("error", reject);
    request.end(details.body);
  });
}

/**
 * A TCP relay to the receiver that delivers the client's bytes in a chosen
 * way: "bytewise" sends the first 64 bytes one at a time (each its own read
 * at the receiver), "coalesce" holds everything the client sends in its first
 * 150 ms and delivers it in one write.
 */
async function relay(target: PushReceiver, mode: "bytewise" | "coalesce"): Promise<number> {
  const port = Number(new URL(target.origin).port);
  const server = createNetServer((client) => {
    const upstream = netConnect(port, "127.0.0.1");
    upstream.setNoDelay(true);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.pipe(client);
    let sent = 0;
    let held: Buffer[] | null = null;
    let queue = Promise.resolve();
    if (mode === "coalesce") {
      const chunks: Buffer[] = [];
      held = chunks;
      queue = new Promise((resolve) =>
        setTimeout(() => {
          if (chunks.length > 0) upstream.write(Buffer.concat(chunks));
          held = null;
          resolve();
        }, 150),
      );
    }
    const pause = () => new Promise((resolve) => setTimeout(resolve, 3));
    client.on("data", (chunk: Buffer) => {
      if (held) return void held.push(chunk);
      queue = queue.then(async () => {
        for (let at = 0; at < chunk.length; ) {
          const size = mode === "bytewise" && sent < 64 ? 1 : chunk.length - at;
          upstream.write(chunk.subarray(at, at + size));
          at += size;
          sent += size;
          if (size === 1) await pause();
        }
      });
    });
    client.on("end", () => void queue.then(() => upstream.end()));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("relay is not listening");
  return address.port;
}

describe("push receiver over h2c (prior knowledge)", () => {
  it("accepts a push over HTTP/2, answers 201 with a Location and decrypts it", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const answer = await h2Push(h2c(target.origin), push(subscription, "Autumn menu tasting", { urgency: "high", topic: "tasting" }));
    expect(answer.status, answer.text).toBe(201);
    expect(answer.headers.location).toBe(`${target.origin}/message/1`);
    expect(answer.headers["content-type"]).toBe("text/plain");
    // No HTTP/1-only header in an HTTP/2 answer (a client must treat one as malformed).
    for (const name of ["connection", "keep-alive", "transfer-encoding", "upgrade"]) expect(answer.headers[name]).toBeUndefined();
    expect(target.received).toHaveLength(1);
    expect(target.received[0]).toMatchObject({ subscriptionId: subscription.id, text: "Autumn menu tasting", decrypted: true, ttl: 3600, urgency: "high", topic: "tasting", httpVersion: "2", publicKey: vapid.publicKey });
    expect(target.received[0]?.jwt.aud).toBe(target.origin);
    expect(target.requestsByProtocol()).toEqual({ http1: 0, http2: 1 });
  });

  it("accepts HTTP/1.1 pushes on the same port and counts each protocol", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const overH2 = await h2Push(h2c(target.origin), push(subscription, "over h2"));
    const overHttp1 = await http1Push(push(subscription, "over http/1.1"));
    const viaFetch = push(subscription, "over fetch");
    const overFetch = await fetch(viaFetch.endpoint, { method: "POST", headers: viaFetch.headers, body: new Uint8Array(viaFetch.body) });
    expect([overH2.status, overHttp1.status, overFetch.status]).toEqual([201, 201, 201]);
    expect(overHttp1.headers.location).toBe(`${target.origin}/message/2`);
    expect(overFetch.headers.get("keep-alive")).toBe("timeout=60");
    expect(target.received.map((received) => [received.text, received.httpVersion])).toEqual([
      ["over h2", "2"],
      ["over http/1.1", "1.1"],
      ["over fetch", "1.1"],
    ]);
    expect(target.requestsByProtocol()).toEqual({ http1: 2, http2: 1 });
    expect(target.totalRequests()).toBe(3);
    expect(target.requestsFor(subscription.id)).toBe(3);
  });

  it("sends a scripted 429 with Retry-After and its text over HTTP/2", async () => {
    const target = await start();
    const subscription = subscribe(target);
    target.script(subscription.id, { status: 429, retryAfter: "120", text: "slow down" }, { status: 410 });
    const session = h2c(target.origin);
    const throttled = await h2Push(session, push(subscription, "one"));
    expect(throttled).toMatchObject({ status: 429, text: "slow down" });
    expect(throttled.headers["retry-after"]).toBe("120");
    const gone = await h2Push(session, push(subscription, "two"));
    expect(gone).toMatchObject({ status: 410, text: "scripted 410" });
    expect(gone.headers["retry-after"]).toBeUndefined();
    expect((await h2Push(session, push(subscription, "three"))).status).toBe(201);
    expect(target.received.map((received) => received.text)).toEqual(["three"]);
    expect(target.requestsFor(subscription.id)).toBe(3);
  });

  it("answers 404 over HTTP/2 for an unknown subscription or another method", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const session = h2c(target.origin);
    const unknown = await h2Push(session, push({ endpoint: `${target.origin}/push/nobody`, keys: subscription.keys }, "lost"));
    expect(unknown).toMatchObject({ status: 404, text: "no such subscription" });
    const get = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ":method": "GET", ":path": new URL(subscription.endpoint).pathname });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.resume();
    });
    expect(get).toBe(404);
    expect(target.received).toHaveLength(0);
    expect(target.requestsByProtocol()).toEqual({ http1: 0, http2: 2 });
  });

  it("answers 200 concurrent streams on one session, each 201 and decrypted", async () => {
    const target = await start();
    const subscriptions = Array.from({ length: 10 }, () => subscribe(target));
    const pushes = Array.from({ length: 200 }, (_, index) => push(subscriptions[index % 10] as ReceiverSubscription, `push ${index}`));
    const session = h2c(target.origin);
    const answers = await Promise.all(pushes.map((details) => h2Push(session, details)));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(200);
    expect(new Set(answers.map((answer) => answer.headers.location)).size).toBe(200);
    expect(target.received.map((received) => received.text).sort()).toEqual(pushes.map((_, index) => `push ${index}`).sort());
    expect(target.received.every((received) => received.httpVersion === "2" && received.decrypted)).toBe(true);
    expect(target.rejected).toEqual([]);
  });

  it("applies http2Settings: a stream limit and a small window the client must respect", async () => {
    const target = await start({ http2Settings: { maxConcurrentStreams: 4, initialWindowSize: 512 } });
    const subscription = subscribe(target);
    const session = h2c(target.origin);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings).toMatchObject({ maxConcurrentStreams: 4, initialWindowSize: 512 });
    // Bodies of about 3 KB each need several WINDOW_UPDATEs at a 512-byte window.
    const pushes = Array.from({ length: 30 }, (_, index) => push(subscription, `${index} ${"x".repeat(3000)}`));
    const answers = await Promise.all(pushes.map((details) => h2Push(session, details)));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 30 }, () => 201));
    expect(target.received).toHaveLength(30);
    expect(target.received.every((received) => received.decrypted && received.text.endsWith("x".repeat(3000)))).toBe(true);
  });

  it("rejects a missing or badly signed VAPID Authorization over HTTP/2", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const session = h2c(target.origin);
    const details = push(subscription, "unsigned");
    const { authorization: _authorization, ...unsigned } = details.headers;
    const missing = await h2Post(session, new URL(details.endpoint).pathname, unsigned, details.body);
    expect(missing).toMatchObject({ status: 401, text: "missing or malformed VAPID Authorization" });

    // Signed by another key, but claiming the subscription's key.
    const other = webpush.generateVAPIDKeys();
    const forged = push(subscription, "forged", { keys: other });
    forged.headers.authorization = forged.headers.authorization?.replace(/k=[A-Za-z0-9_-]+$/, `k=${vapid.publicKey}`) ?? "";
    const badSignature = await h2Push(session, forged);
    expect(badSignature).toMatchObject({ status: 403, text: "JWT signature does not verify with the VAPID key" });

    // Signed and sent with a key the subscription was not made with.
    const wrongKey = await h2Push(session, push(subscription, "wrong key", { keys: other }));
    expect(wrongKey).toMatchObject({ status: 403, text: "VAPID key is not the key the subscription was made with" });

    // The session still verifies a good token after the bad ones.
    expect((await h2Push(session, push(subscription, "good"))).status).toBe(201);
    expect(target.rejected.map((rejected) => rejected.status)).toEqual([401, 403, 403]);
    expect(target.received.map((received) => received.text)).toEqual(["good"]);
  });

  it("checks the JWT claims on every HTTP/2 push (aud of another origin is refused)", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const elsewhere = push({ endpoint: subscription.endpoint.replace("127.0.0.1", "localhost"), keys: subscription.keys }, "elsewhere");
    const answer = await h2Post(h2c(target.origin), new URL(subscription.endpoint).pathname, elsewhere.headers, elsewhere.body);
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/^JWT aud http:\/\/localhost:\d+ is not http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("delays answers by answerDelayMs on HTTP/2, the push being received on arrival", async () => {
    const target = await start({ answerDelayMs: 300 });
    const subscription = subscribe(target);
    const started = Date.now();
    let answered = false;
    const answering = h2Push(h2c(target.origin), push(subscription, "slow")).finally(() => (answered = true));
    await target.waitFor(1, 5_000);
    expect(answered).toBe(false);
    const answer = await answering;
    expect(answer.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("survives a client that resets its stream while the answer is delayed", async () => {
    const target = await start({ answerDelayMs: 150 });
    const subscription = subscribe(target);
    const session = h2c(target.origin);
    const details = push(subscription, "abandoned");
    const stream = session.request({ ":method": "POST", ":path": new URL(details.endpoint).pathname, ...details.headers });
    stream.on("error", () => undefined);
    stream.end(details.body);
    await target.waitFor(1, 5_000);
    stream.close(constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await h2Push(session, push(subscription, "after"))).status).toBe(201);
  });

  describe("connection hand-off", () => {
    it("reads the preface and the request arriving one byte at a time, for either protocol", async () => {
      const target = await start();
      const subscription = subscribe(target);
      const port = await relay(target, "bytewise");
      const overH2 = await h2Push(h2c(`http://127.0.0.1:${port}`), push(subscription, "h2 bytewise"));
      const overHttp1 = await http1Push(push(subscription, "http/1.1 bytewise"), port);
      expect([overH2.status, overHttp1.status]).toEqual([201, 201]);
      expect(target.received.map((received) => [received.text, received.httpVersion])).toEqual([
        ["h2 bytewise", "2"],
        ["http/1.1 bytewise", "1.1"],
      ]);
    });

    it("hands over a first read far larger than the preface (many pushes in one write)", async () => {
      const target = await start();
      const subscription = subscribe(target);
      const port = await relay(target, "coalesce");
      // HTTP/2: 20 streams of about 4 KB sent before the relay lets anything through (the first window's worth in one write).
      const session = h2c(`http://127.0.0.1:${port}`);
      const h2Pushes = Array.from({ length: 20 }, (_, index) => push(subscription, `${index} ${"h".repeat(3500)}`));
      const h2Answers = await Promise.all(h2Pushes.map((details) => h2Push(session, details)));
      expect(h2Answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 201));

      // HTTP/1.1: 20 pipelined requests in one write.
      const http1Pushes = Array.from({ length: 20 }, (_, index) => push(subscription, `${index} ${"p".repeat(3500)}`));
      const bytes = Buffer.concat(
        http1Pushes.flatMap((details) => [
          Buffer.from(`POST ${new URL(details.endpoint).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(details.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`),
          details.body,
        ]),
      );
      const socket: Socket = netConnect(port, "127.0.0.1");
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.write(bytes);
      const deadline = Date.now() + 10_000;
      while ((text.match(/^HTTP\/1\.1 201 Created\r\n/gm) ?? []).length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
      expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(Array.from({ length: 20 }, () => "HTTP/1.1 201"));

      expect(target.received).toHaveLength(40);
      expect(target.rejected).toEqual([]);
      expect(target.requestsByProtocol()).toEqual({ http1: 20, http2: 20 });
    });

    it("serves many connections of both protocols at once", async () => {
      const target = await start();
      const subscription = subscribe(target);
      const work: Promise<Answer>[] = [];
      for (let index = 0; index < 15; index += 1) {
        work.push(h2Push(h2c(target.origin), push(subscription, `h2 ${index}`)));
        work.push(http1Push(push(subscription, `http1 ${index}`)));
      }
      const answers = await Promise.all(work);
      expect(answers.every((answer) => answer.status === 201)).toBe(true);
      expect(target.requestsByProtocol()).toEqual({ http1: 15, http2: 15 });
    });

    it("refuses a connection that is neither protocol without disturbing the others", async () => {
      const target = await start();
      const subscription = subscribe(target);
      // Starts like the preface, then is not: HTTP/1.1's parser answers 400 (no such method) and closes.
      const socket = netConnect(Number(new URL(target.origin).port), "127.0.0.1");
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.on("error", () => undefined);
      socket.write("PRZ * HTTP/1.1\r\n\r\n");
      await new Promise((resolve) => socket.once("close", resolve));
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect((await h2Push(h2c(target.origin), push(subscription, "fine"))).status).toBe(201);
    });
  });

  it("closes with HTTP/2 sessions, HTTP/1.1 keep-alive connections and undecided connections open", async () => {
    const target = await start();
    const subscription = subscribe(target);
    const session = h2c(target.origin);
    expect((await h2Push(session, push(subscription, "open"))).status).toBe(201);
    const keptPush = push(subscription, "kept");
    const kept = await fetch(keptPush.endpoint, { method: "POST", headers: keptPush.headers, body: new Uint8Array(keptPush.body) });
    expect(kept.status).toBe(201);
    await kept.text();
    const undecided = netConnect(Number(new URL(target.origin).port), "127.0.0.1");
    undecided.on("error", () => undefined);
    undecided.write("PRI * HT");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sessionClosed = new Promise((resolve) => session.once("close", resolve));
    const undecidedClosed = new Promise((resolve) => undecided.once("close", resolve));
    const started = Date.now();
    await target.close();
    receiver = null;
    await Promise.all([sessionClosed, undecidedClosed]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("serves HTTPS instead when given a certificate, agreeing h2 or HTTP/1.1 by ALPN", async () => {
    const tlsFile = (name: string) => readFileSync(new URL(`../support/tls/${name}`, import.meta.url), "utf8");
    const target = await start({ tls: { key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem") } });
    expect(target.origin).toMatch(/^https:\/\/localhost:\d+$/);
    const subscription = subscribe(target);
    for (const http of ["auto", "1.1"] as const) {
      const transport = createPushTransport({ allowLocalReceivers: true }, { http, ca: tlsFile("test-ca.pem") });
      try {
        const details = push(subscription, `over ${http}`);
        const answer = await transport.send(new URL(details.endpoint), () => ({ method: "POST", headers: details.headers, body: details.body }));
        expect(answer.statusCode).toBe(201);
      } finally {
        transport.close();
      }
    }
    expect(target.received.map((received) => [received.httpVersion, received.text])).toEqual([
      ["2", "over auto"],
      ["1.1", "over 1.1"],
    ]);
  });
});
