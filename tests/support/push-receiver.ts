import { createDecipheriv, createECDH, createHash, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders as IncomingHttp2Headers,
  type OutgoingHttpHeaders as OutgoingHttp2Headers,
  type ServerHttp2Stream,
  type Settings as Http2Settings,
} from "node:http2";
import { createServer as createNetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";

/**
 * A Web Push service for tests, on loopback, built on node:crypto only. It
 * hands out subscriptions (a P-256 key pair and an auth secret per browser,
 * as a browser would), and for every push it receives it checks what a real
 * push service and browser check:
 * - VAPID (RFC 8292): `Authorization: vapid t=JWT, k=KEY`; the JWT is ES256,
 *   signed by KEY, KEY is the applicationServerKey the subscription was made
 *   with, `aud` is this receiver's origin, `exp` is in the future and at most
 *   24 h away, `sub` is a mailto: or https: contact (the signature is
 *   verified once per connection and token, the claims on every push);
 * - RFC 8030 headers: TTL present, Urgency and Topic well formed;
 * - RFC 8291/8188: the aes128gcm body decrypts with the subscription's
 *   private key and auth secret (records, padding delimiter) — every push,
 *   or with `decryptOneIn` a random sample, the others checked for the
 *   aes128gcm framing (sizes, key id) as a push service checks them.
 * A push that fails a check is answered 400/401/403 and kept in `rejected`.
 * Tests can script answers (500, 429 with Retry-After, 404, 410) per
 * subscription; unscripted pushes are answered 201.
 *
 * One port speaks HTTP/1.1 and HTTP/2 over cleartext (h2c with prior
 * knowledge, RFC 9113 §3.3): each connection is handed to the HTTP/2 server
 * when it opens with the HTTP/2 connection preface, to the HTTP/1.1 server
 * otherwise, and both answer every push alike.
 */

export interface ReceiverSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscriptionId: string;
  /** The decrypted text ("" when this push was not in the decrypted sample). */
  text: string;
  decrypted: boolean;
  ttl: number;
  urgency: string | null;
  topic: string | null;
  jwt: { aud: string; exp: number; sub: string };
  /** The VAPID public key the push was signed with. */
  publicKey: string;
  /** The protocol the push arrived on. */
  httpVersion: "1.1" | "2";
}

export interface RejectedPush {
  subscriptionId: string;
  status: number;
  reason: string;
}

export interface ScriptedAnswer {
  status: number;
  retryAfter?: string;
  /** The answer's body; "scripted STATUS" unless given. */
  text?: string;
}

export interface PushReceiver {
  origin: string;
  /**
   * A new browser subscription. `applicationServerKey` is the key the browser
   * subscribed with (pushes signed with another are refused); `keySeed`
   * derives its key pair deterministically (a benchmark's many subscriptions
   * share a few key pairs).
   */
  subscribe(options?: { id?: string; applicationServerKey?: string; keySeed?: string }): ReceiverSubscription;
  /** Answers for the next requests to a subscription ("*": to any), in order. */
  script(subscriptionId: string, ...answers: ScriptedAnswer[]): void;
  received: ReceivedPush[];
  rejected: RejectedPush[];
  /** Requests that reached a subscription, whatever the answer. */
  requestsFor(subscriptionId: string): number;
  totalRequests(): number;
  /** Requests (to any path, whatever the answer) per protocol. */
  requestsByProtocol(): { http1: number; http2: number };
  /** Pushes decrypted (all of them unless `decryptOneIn` samples). */
  decryptedCount(): number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

interface Registered {
  id: string;
  ecdh: ECDH;
  publicKey: Buffer;
  auth: Buffer;
  applicationServerKey: string | null;
}

const MAX_JWT_LIFETIME_SECONDS = 24 * 3600;

export interface ReceiverOptions {
  host?: string;
  now?: () => number;
  /** Decrypt every push (default), or only check its headers and VAPID JWT. */
  decrypt?: boolean;
  /**
   * Decrypt a random one in N pushes (default 1: every push). A push service
   * never decrypts (the browser does); a benchmark samples so that the
   * receiver does not take the CPU it shares with the sender.
   */
  decryptOneIn?: number;
  /**
   * Subscriptions made elsewhere (a benchmark's other process): an unknown
   * id is registered on its first push with the key pair of `keySeed`.
   */
  resolveUnknown?: (id: string) => { keySeed: string; applicationServerKey?: string } | null;
  /**
   * Answer each request this long after it arrived (a slow push service):
   * a push is in `received` from its arrival, so a sender that dies within
   * this time has had its push accepted without learning so.
   */
  answerDelayMs?: number;
  /**
   * The HTTP/2 server's SETTINGS (e.g. `maxConcurrentStreams`,
   * `initialWindowSize`), for testing a client's flow control and limits.
   */
  http2Settings?: Http2Settings;
  /**
   * Serve HTTPS instead (as push services do), with this key and
   * certificate: the protocol is agreed by ALPN (h2 or http/1.1), and the
   * origin is https://localhost:PORT (the test certificate's name).
   */
  tls?: { key: string; cert: string };
}

/** RFC 9113 §3.4: what a client speaking HTTP/2 with prior knowledge sends first. */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A request as either protocol delivers it (header names lowercase). */
interface PushRequest {
  httpVersion: "1.1" | "2";
  method: string;
  path: string;
  headers: IncomingHttpHeaders | IncomingHttp2Headers;
  /** What identifies the connection (the socket for HTTP/1.1, the session for HTTP/2). */
  connection: object;
}

/** Sends the answer; header names as in HTTP/1.1 ("Retry-After"). */
type Answerer = (status: number, headers: Record<string, string>, text: string) => void;

export async function startPushReceiver(options: ReceiverOptions = {}): Promise<PushReceiver> {
  const now = options.now ?? Date.now;
  const subscriptions = new Map<string, Registered>();
  const seeded = new Map<string, ECDH>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const requestCounts = new Map<string, number>();
  // Per connection (HTTP/1.1 socket, HTTP/2 session), as a push service's front end verifies: the token and key it last verified, and their claims.
  const verifiedOn = new WeakMap<object, { token: string; key: string; claims: { aud: string; exp: number; sub: string } }>();
  const decryptOneIn = Math.max(1, Math.floor(options.decryptOneIn ?? 1));
  let decrypted = 0;
  const received: ReceivedPush[] = [];
  const rejected: RejectedPush[] = [];
  let total = 0;
  let http1Requests = 0;
  let http2Requests = 0;
  let origin = "";

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () =>
      handle(
        { httpVersion: "1.1", method: request.method ?? "", path: request.url ?? "", headers: request.headers, connection: request.socket },
        Buffer.concat(chunks),
        (status, headers, text) => {
          response.writeHead(status, { "Content-Type": "text/plain", ...headers }).end(text);
        },
      ),
    );
  });
  server.keepAliveTimeout = 60_000;

  // HTTP/2 through the stream API (no compat objects per request: the benchmark's pushes share 2 cores with the sender).
  const h2server: Http2Server = createHttp2Server(options.http2Settings ? { settings: options.http2Settings } : {});
  // No idle timeout: a session lives until its client or close() ends it.
  h2server.setTimeout(0);
  const sessions = new Set<Http2Session>();
  h2server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => undefined);
  });
  h2server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttp2Headers) => {
    stream.on("error", () => undefined);
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () =>
      handle(
        { httpVersion: "2", method: headers[":method"] ?? "", path: headers[":path"] ?? "", headers, connection: stream.session ?? stream },
        Buffer.concat(chunks),
        (status, extra, text) => {
          // The client may have reset the stream (or the session gone) while the answer waited.
          if (stream.destroyed || stream.closed) return;
          const out: OutgoingHttp2Headers = { ":status": status, "content-type": "text/plain", "content-length": Buffer.byteLength(text) };
          for (const name in extra) out[name.toLowerCase()] = extra[name];
          if (text === "") {
            stream.respond(out, { endStream: true });
          } else {
            stream.respond(out);
            stream.end(text);
          }
        },
      ),
    );
  });

  // One port, both protocols: a connection that opens with the HTTP/2 preface is HTTP/2 (h2c, prior knowledge).
  const sockets = new Set<Socket>();
  // Sockets as each server makes them: half-open allowed (node:http ends them itself) and no Nagle delay.
  const sniffing = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const onError = () => socket.destroy();
    socket.on("error", onError);
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const compared = Math.min(head.length, HTTP2_PREFACE.length);
      const http2 = head.compare(HTTP2_PREFACE, 0, compared, 0, compared) === 0;
      if (http2 && head.length < HTTP2_PREFACE.length) return; // so far a prefix of the preface: wait for the rest
      // Stop reading into this listener and put the bytes back: the server taking over reads them first.
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.pause();
      socket.unshift(head);
      socket.off("error", onError);
      if (http2) {
        // As an HTTP/2 server's own sockets are: ended when the client ends. The session reads the bytes put back
        // (on the next tick, before any new read) and takes the socket's reads over.
        socket.allowHalfOpen = false;
        h2server.emit("connection", socket);
      } else {
        // The HTTP/1.1 parser takes the socket's reads over but only sees the bytes put back once the socket flows;
        // it flows before any new read arrives, so they come first.
        server.emit("connection", socket);
        socket.resume();
      }
    };
    const onEnd = () => socket.destroy();
    socket.on("data", onData);
    socket.once("end", onEnd);
  };

  // Over TLS, ALPN has already chosen: h2 to the HTTP/2 server, anything else to the HTTP/1.1 one.
  const agreed = (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (socket.alpnProtocol === "h2") {
      socket.allowHalfOpen = false;
      h2server.emit("connection", socket);
    } else server.emit("connection", socket);
  };
  const front = options.tls
    ? createTlsServer({ ...options.tls, ALPNProtocols: ["h2", "http/1.1"], allowHalfOpen: true }, agreed)
    : createNetServer({ allowHalfOpen: true, noDelay: true }, sniffing);

  function answerAfterDelay(send: Answerer, status: number, headers: Record<string, string> = {}, text = ""): void {
    if (options.answerDelayMs) setTimeout(() => send(status, headers, text), options.answerDelayMs);
    else send(status, headers, text);
  }

  function handle(request: PushRequest, body: Buffer, send: Answerer): void {
    total += 1;
    if (request.httpVersion === "2") http2Requests += 1;
    else http1Requests += 1;
    const answer = (status: number, headers: Record<string, string> = {}, text = "") => answerAfterDelay(send, status, headers, text);
    const match = /^\/push\/([A-Za-z0-9_-]+)$/.exec(request.path);
    const id = match?.[1];
    let subscription = id ? subscriptions.get(id) : undefined;
    if (!subscription && id && options.resolveUnknown) {
      const made = options.resolveUnknown(id);
      if (made) subscription = register(id, made.keySeed, made.applicationServerKey ?? null);
    }
    if (request.method !== "POST" || !subscription) return answer(404, {}, "no such subscription");
    requestCounts.set(subscription.id, (requestCounts.get(subscription.id) ?? 0) + 1);
    const reject = (status: number, reason: string) => {
      rejected.push({ subscriptionId: subscription.id, status, reason });
      answer(status, {}, reason);
    };
    const scripted = scripts.get(subscription.id)?.shift() ?? scripts.get("*")?.shift();
    const vapid = checkVapid(header(request, "authorization") ?? undefined, subscription, request.connection);
    if (!vapid.ok) return reject(vapid.status, vapid.reason);
    const ttlText = header(request, "ttl");
    if (ttlText === null || !/^\d+$/.test(ttlText)) return reject(400, "TTL header missing or not a number");
    const urgency = header(request, "urgency");
    if (urgency !== null && !["very-low", "low", "normal", "high"].includes(urgency)) return reject(400, `bad Urgency ${urgency}`);
    const topic = header(request, "topic");
    if (topic !== null && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return reject(400, `bad Topic ${topic}`);
    if (header(request, "content-encoding") !== "aes128gcm") return reject(400, "Content-Encoding must be aes128gcm");
    if (scripted) {
      return answer(scripted.status, scripted.retryAfter === undefined ? {} : { "Retry-After": scripted.retryAfter }, scripted.text ?? `scripted ${scripted.status}`);
    }
    let text = "";
    const decrypt = options.decrypt !== false && (decryptOneIn === 1 || Math.random() * decryptOneIn < 1);
    if (decrypt) {
      try {
        text = decryptAes128gcm(body, subscription).toString("utf8");
        decrypted += 1;
      } catch (error) {
        return reject(400, `payload does not decrypt: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      const framing = aes128gcmFramingError(body);
      if (framing !== null) return reject(400, framing);
    }
    received.push({ subscriptionId: subscription.id, text, decrypted: decrypt, ttl: Number(ttlText), urgency, topic, jwt: { aud: vapid.aud, exp: vapid.exp, sub: vapid.sub }, publicKey: vapid.key, httpVersion: request.httpVersion });
    answer(201, { Location: `${origin}/message/${received.length}` });
  }

  function checkVapid(authorization: string | undefined, subscription: Registered, connection: object) {
    const fail = (status: number, reason: string) => ({ ok: false as const, status, reason });
    const match = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
    if (!match?.[1] || !match[2]) return fail(401, "missing or malformed VAPID Authorization");
    const [, token, key] = match;
    if (subscription.applicationServerKey !== null && key !== subscription.applicationServerKey) {
      return fail(403, "VAPID key is not the key the subscription was made with");
    }
    let verified = verifiedOn.get(connection);
    if (!verified || verified.token !== token || verified.key !== key) {
      const checked = verifyJwt(token, key);
      if (!checked.ok) return fail(403, checked.reason);
      verified = { token, key, claims: checked.claims };
      verifiedOn.set(connection, verified);
    }
    const claims = { ...verified.claims, key };
    const nowSeconds = Math.floor(now() / 1000);
    if (claims.aud !== origin) return fail(403, `JWT aud ${claims.aud} is not ${origin}`);
    if (claims.exp <= nowSeconds) return fail(403, "JWT has expired");
    if (claims.exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS + 60) return fail(403, "JWT exp is more than 24 h away");
    if (!/^(mailto:|https:)/.test(claims.sub)) return fail(403, "JWT sub must be mailto: or https:");
    return { ok: true as const, ...claims };
  }

  function register(id: string, keySeed: string | null, applicationServerKey: string | null): Registered {
    let ecdh: ECDH;
    let auth: Buffer;
    if (keySeed !== null) {
      ecdh = seeded.get(keySeed) ?? seededEcdh(keySeed);
      seeded.set(keySeed, ecdh);
      auth = seededAuth(keySeed);
    } else {
      ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      auth = randomBytes(16);
    }
    const registered: Registered = { id, ecdh, publicKey: ecdh.getPublicKey(), auth, applicationServerKey };
    subscriptions.set(id, registered);
    return registered;
  }

  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(0, options.host ?? "127.0.0.1", () => {
      front.off("error", reject);
      resolve();
    });
  });
  const address = front.address();
  if (address === null || typeof address === "string") throw new Error("push receiver is not listening");
  origin = options.tls ? `https://localhost:${address.port}` : `http://${options.host ?? "127.0.0.1"}:${address.port}`;

  return {
    origin,
    subscribe(subscribeOptions = {}) {
      const id = subscribeOptions.id ?? randomBytes(12).toString("base64url");
      const registered = register(id, subscribeOptions.keySeed ?? null, subscribeOptions.applicationServerKey ?? null);
      return { id, endpoint: `${origin}/push/${id}`, keys: { p256dh: registered.publicKey.toString("base64url"), auth: registered.auth.toString("base64url") } };
    },
    script(subscriptionId, ...answers) {
      scripts.set(subscriptionId, [...(scripts.get(subscriptionId) ?? []), ...answers]);
    },
    received,
    rejected,
    requestsFor: (subscriptionId) => requestCounts.get(subscriptionId) ?? 0,
    totalRequests: () => total,
    requestsByProtocol: () => ({ http1: http1Requests, http2: http2Requests }),
    decryptedCount: () => decrypted,
    async waitFor(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`push receiver: ${received.length} of ${count} pushes after ${timeoutMs} ms (rejected: ${JSON.stringify(rejected.slice(-3))})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return received.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Neither protocol's server listens (the front server does); closing them ends their keep-alive bookkeeping.
        server.close();
        h2server.close();
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        front.close(() => resolve());
      }),
  };
}

function header(request: PushRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" ? value.trim() : null;
}

/** The browser keys a seeded subscription has, for a process that makes subscriptions the receiver resolves later. */
export function seededSubscriptionKeys(keySeed: string): { p256dh: string; auth: string } {
  return { p256dh: seededEcdh(keySeed).getPublicKey().toString("base64url"), auth: seededAuth(keySeed).toString("base64url") };
}

function seededAuth(keySeed: string): Buffer {
  return createHash("sha256").update(`auth:${keySeed}`).digest().subarray(0, 16);
}

/** A P-256 key pair derived from a seed (retrying the rare digest that is not a valid scalar). */
function seededEcdh(seed: string): ECDH {
  for (let counter = 0; ; counter += 1) {
    const ecdh = createECDH("prime256v1");
    try {
      ecdh.setPrivateKey(createHash("sha256").update(`key:${seed}:${counter}`).digest());
      return ecdh;
    } catch {
      // Out of range for the curve's order: try the next digest.
    }
  }
}

/** RFC 7515 ES256 JWS: the signature is r‖s (64 bytes) over "header.payload". */
export function verifyJwt(token: string, publicKey: string): { ok: true; claims: { aud: string; exp: number; sub: string } } | { ok: false; reason: string } {
  const [headerPart = "", payloadPart = "", signaturePart = ""] = token.split(".");
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "JWT is not JSON" };
  }
  if (!isRecord(header) || header.alg !== "ES256" || (header.typ !== undefined && header.typ !== "JWT")) return { ok: false, reason: "JWT header must be ES256" };
  const point = Buffer.from(publicKey, "base64url");
  if (point.length !== 65 || point[0] !== 0x04) return { ok: false, reason: "VAPID key is not an uncompressed P-256 point" };
  let valid = false;
  try {
    const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, format: "jwk" });
    valid = verify("sha256", Buffer.from(`${headerPart}.${payloadPart}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signaturePart, "base64url"));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "JWT signature does not verify with the VAPID key" };
  if (!isRecord(payload) || typeof payload.aud !== "string" || typeof payload.exp !== "number" || typeof payload.sub !== "string") {
    return { ok: false, reason: "JWT claims must include aud, exp and sub" };
  }
  return { ok: true, claims: { aud: payload.aud, exp: payload.exp, sub: payload.sub } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, length));
}

/**
 * What a push service checks of a body it does not decrypt (RFC 8188 §2.1,
 * RFC 8291 §4): at most 4,096 bytes, a record size that holds the body in
 * one record, and a key id that is an uncompressed P-256 point.
 */
function aes128gcmFramingError(body: Buffer): string | null {
  if (body.length > 4096) return `body of ${body.length} bytes exceeds 4096`;
  if (body.length < 21 + 65 + 17) return "body shorter than an aes128gcm header, key id and one record";
  const recordSize = body.readUInt32BE(16);
  if (body[20] !== 65 || body[21] !== 0x04) return "key id is not the sender's 65-byte public key";
  if (recordSize < body.length - 86) return "RFC 8291 allows one record, but the body is longer than the record size";
  return null;
}

/** RFC 8291 §3.4 key derivation, then RFC 8188 records (one or more), each ending in its padding delimiter. */
function decryptAes128gcm(body: Buffer, subscription: Pick<Registered, "ecdh" | "publicKey" | "auth">): Buffer {
  if (body.length < 21) throw new Error("body shorter than the aes128gcm header");
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20] ?? 0;
  const senderKey = body.subarray(21, 21 + idLength);
  if (senderKey.length !== 65) throw new Error("key id is not the sender's 65-byte public key");
  if (recordSize < 18) throw new Error("record size too small");
  const secret = subscription.ecdh.computeSecret(senderKey);
  const ikm = hkdf(subscription.auth, secret, Buffer.concat([Buffer.from("WebPush: info\0"), subscription.publicKey, senderKey]), 32);
  const cek = hkdf(salt, ikm, Buffer.from("Content-Encoding: aes128gcm\0"), 16);
  const baseNonce = hkdf(salt, ikm, Buffer.from("Content-Encoding: nonce\0"), 12);
  const ciphertext = body.subarray(21 + idLength);
  const parts: Buffer[] = [];
  for (let offset = 0, sequence = 0; offset < ciphertext.length; offset += recordSize, sequence += 1) {
    const record = ciphertext.subarray(offset, offset + recordSize);
    const last = offset + recordSize >= ciphertext.length;
    const nonce = Buffer.from(baseNonce);
    // RFC 8188 §2.3: the record sequence number, big-endian, XORed into the nonce's low bytes.
    for (let byte = 0, rest = sequence; byte < 6 && rest > 0; byte += 1, rest = Math.floor(rest / 256)) {
      nonce[11 - byte] = (nonce[11 - byte] ?? 0) ^ (rest % 256);
    }
    const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end -= 1;
    const delimiter = plain[end];
    if (delimiter !== (last ? 2 : 1)) throw new Error(`record ${sequence} has padding delimiter ${delimiter ?? "none"}`);
    parts.push(plain.subarray(0, end));
  }
  return Buffer.concat(parts);
}
