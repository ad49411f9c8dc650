import { lookup as dnsLookup } from "node:dns";
import { readFileSync } from "node:fs";
import http2, { type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import type { Http1Answer } from "../../app/push/http1.server";
import { Http2Origin, NotHttp2Error, type Http2Options } from "../../app/push/http2.server";
import { createPushTransport, type PushTransport } from "../../app/push/transport.server";
import { rawFrame } from "../support/http2-frames";

/**
 * The push transport's HTTP/2 client against Node's HTTP/2 server (nghttp2,
 * which Huffman-codes and indexes its answers' headers), and against a raw
 * TCP server for frames a well-behaved server would not send.
 */

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const tlsFile = (name: string) => readFileSync(new URL(`../support/tls/${name}`, import.meta.url), "utf8");

interface Seen {
  headers: IncomingHttpHeaders;
  body: string;
  session: Http2Session;
}

type Handler = (stream: ServerHttp2Stream, seen: Seen) => void;

async function listen(server: Http2Server | net.Server | tls.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** An h2c server (prior knowledge) whose streams are answered by `handler` once their body has arrived. */
async function h2cServer(handler: Handler, settings: http2.Settings = {}): Promise<{ origin: string; seen: Seen[]; sessions: Http2Session[] }> {
  const seen: Seen[] = [];
  const sessions: Http2Session[] = [];
  const server = http2.createServer({ settings });
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("end", () => {
      const request = { headers, body: Buffer.concat(chunks).toString(), session: stream.session as Http2Session };
      seen.push(request);
      handler(stream, request);
    });
  });
  const port = await listen(server);
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${port}`, seen, sessions };
}

function client(origin: string, options: Partial<Http2Options> = {}): Http2Origin {
  const created = new Http2Origin(origin, { maxConnections: 2, lookup: dnsLookup as unknown as net.LookupFunction, keepAliveMs: 60_000, connectTimeoutMs: 2_000, keepBodyBytes: 1_200, ...options });
  closers.push(() => created.close());
  return created;
}

function send(origin: Http2Origin, path = "/push/a", body: string | null = "sealed", headers: Array<[string, string]> = [["TTL", "60"]]): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    origin.request("POST", path, headers, body === null ? null : Buffer.from(body), (error, answer) => (error || !answer ? reject(error ?? new Error("no answer")) : resolve(answer)));
  });
}

const created = (stream: ServerHttp2Stream) => stream.respond({ ":status": 201, location: "/m/1" }, { endStream: true });

describe("push HTTP/2 client", () => {
  it("sends many requests as streams of one connection, with pseudo-headers, lowercase headers, Content-Length and body", async () => {
    const server = await h2cServer((stream) => created(stream));
    const origin = client(server.origin);
    // The first request learns the service's stream limit (its SETTINGS); until then a connection takes 100 at most.
    expect((await send(origin)).statusCode).toBe(201);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(origin, `/push/s${i}?x=1`, `sealed ${i}`, [["TTL", "60"], ["Content-Encoding", "aes128gcm"], ["Authorization", "vapid t=a.b.c, k=K"]])));
    expect(answers.every((answer) => answer.statusCode === 201 && answer.body.length === 0 && answer.retryAfter === undefined)).toBe(true);
    expect(server.sessions).toHaveLength(1);
    const first = server.seen.find((request) => request.headers[":path"] === "/push/s7?x=1");
    expect(first?.body).toBe("sealed 7");
    expect(first?.headers).toMatchObject({
      ":method": "POST",
      ":scheme": "http",
      ":authority": new URL(server.origin).host,
      ttl: "60",
      "content-encoding": "aes128gcm",
      authorization: "vapid t=a.b.c, k=K",
      "content-length": "8",
    });
    // The Authorization went into the service's table once (name, value and 32 octets) and was sent as its index from then on.
    expect(server.sessions[0]?.state.inflateDynamicTableSize).toBe("authorization".length + "vapid t=a.b.c, k=K".length + 32);
    const streams = server.seen.filter((request) => String(request.headers[":path"]).startsWith("/push/s"));
    expect(streams).toHaveLength(200);
    expect(streams.every((request) => request.headers.authorization === "vapid t=a.b.c, k=K")).toBe(true);
  });

  it("reads a refusal's status, Retry-After and text, through Huffman-coded and indexed headers", async () => {
    const server = await h2cServer((stream, seen) => {
      if (seen.headers[":path"] === "/push/busy") {
        stream.respond({ ":status": 429, "retry-after": "120", "content-type": "text/plain" });
        stream.end("slow down, é");
      } else created(stream);
    });
    const origin = client(server.origin);
    // Several times: from the second answer on, nghttp2 refers to its dynamic table.
    for (let i = 0; i < 3; i += 1) {
      expect(await send(origin, "/push/busy")).toEqual({ statusCode: 429, retryAfter: "120", body: Buffer.from("slow down, é") });
      expect(await send(origin, "/push/ok")).toMatchObject({ statusCode: 201 });
    }
  });

  it("keeps only the first bytes of a long refusal, and gives the window back as it reads", async () => {
    const text = "x".repeat(300_000);
    const server = await h2cServer((stream) => {
      stream.respond({ ":status": 400 });
      stream.end(text);
    });
    const origin = client(server.origin, { keepBodyBytes: 50 });
    const answer = await send(origin);
    expect(answer.statusCode).toBe(400);
    expect(answer.body.toString()).toBe("x".repeat(50));
  });

  it("keeps to the header table the service allows, and to a change of it mid-connection", async () => {
    // nghttp2 requires a table size update at the start of the first header block after a change, and fails the connection on an entry it no longer holds.
    const auth = (jwt: string) => `vapid t=${jwt}, k=${"K".repeat(87)}`;
    const vapid = (jwt: string): Array<[string, string]> => [["Authorization", auth(jwt)]];
    const none = await h2cServer((stream) => created(stream), { headerTableSize: 0 });
    const noTable = client(none.origin);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => send(noTable, `/push/s${i}`, "sealed", vapid("a.b.c"))));
    expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(none.sessions).toHaveLength(1);
    expect(none.sessions[0]?.state.inflateDynamicTableSize).toBe(0);

    const server = await h2cServer((stream) => created(stream));
    const origin = client(server.origin);
    for (const jwt of ["one", "two", "one"]) expect((await send(origin, "/push/a", "sealed", vapid(jwt))).statusCode).toBe(201);
    const session = server.sessions[0];
    expect(session?.state.inflateDynamicTableSize).toBe(2 * ("authorization".length + auth("one").length + 32));
    // Smaller than one entry, then 0, then back: each time the next requests still decode, with every header as sent.
    for (const headerTableSize of [100, 0, 4096]) {
      await new Promise<void>((resolve) => session?.settings({ headerTableSize }, () => resolve()));
      const later = await Promise.all(["one", "two", "one", "three"].map((jwt, i) => send(origin, `/push/t${headerTableSize}-${i}`, "sealed", vapid(jwt))));
      expect(later.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201]);
    }
    expect(server.sessions).toHaveLength(1);
    for (const request of server.seen.filter((seen) => String(seen.headers[":path"]).startsWith("/push/t"))) {
      const jwt = ["one", "two", "one", "three"][Number(String(request.headers[":path"]).split("-")[1])];
      expect(request.headers.authorization).toBe(auth(jwt ?? ""));
    }
  });

  it("waits for the service's window before sending more of a body than it allows", async () => {
    const server = await h2cServer((stream) => created(stream), { initialWindowSize: 100 });
    const origin = client(server.origin);
    const body = "b".repeat(5_000);
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(origin, "/push/a", body)));
    expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(server.seen.map((request) => request.body.length)).toEqual([5_000, 5_000, 5_000, 5_000, 5_000]);
  });

  it("keeps to the service's stream limit per connection", async () => {
    const open = new Map<Http2Session, number>();
    let most = 0;
    const held: ServerHttp2Stream[] = [];
    const server = await h2cServer(
      (stream, seen) => {
        const now = (open.get(seen.session) ?? 0) + 1;
        open.set(seen.session, now);
        most = Math.max(most, now);
        held.push(stream);
        stream.on("close", () => open.set(seen.session, (open.get(seen.session) ?? 1) - 1));
      },
      { maxConcurrentStreams: 3 },
    );
    const origin = client(server.origin, { maxConnections: 1 });
    const sends = Array.from({ length: 12 }, (_, i) => send(origin, `/push/s${i}`));
    for (let answered = 0; answered < 12; ) {
      await expect.poll(() => held.length).toBeGreaterThan(0);
      for (const stream of held.splice(0)) {
        created(stream);
        answered += 1;
      }
    }
    expect((await Promise.all(sends)).every((answer) => answer.statusCode === 201)).toBe(true);
    expect(most).toBe(3);
    expect(server.sessions).toHaveLength(1);
  });

  it("sends again, on a new connection, the requests a GOAWAY says were not processed", async () => {
    let goneAway = false;
    const server = await h2cServer((stream, seen) => {
      if (!goneAway) {
        goneAway = true;
        // Processes this stream (id 1) only; the others in flight on this connection are not processed.
        seen.session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
      }
      created(stream);
    });
    const origin = client(server.origin);
    // With an Authorization the first connection's table holds: on the new connection it is sent in full again, as that table starts empty.
    const authorization = "vapid t=h.p.s, k=K";
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(origin, `/push/s${i}`, "sealed", [["Authorization", authorization]])));
    expect(answers.every((answer) => answer.statusCode === 201)).toBe(true);
    expect(server.sessions.length).toBeGreaterThanOrEqual(2);
    // Every push reached the service; none twice.
    const paths = server.seen.map((request) => request.headers[":path"]);
    expect(new Set(paths).size).toBe(10);
    expect(server.seen.every((request) => request.headers.authorization === authorization)).toBe(true);
  });

  it("sends a refused stream again, and gives up after the service refuses it three times", async () => {
    const refusals = new Map<string, number>();
    const server = await h2cServer((stream, seen) => {
      const path = String(seen.headers[":path"]);
      const count = (refusals.get(path) ?? 0) + 1;
      refusals.set(path, count);
      if (path === "/push/always" || count === 1) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else created(stream);
    });
    const origin = client(server.origin);
    // Sent again on the same connection: the second time, the Authorization is the index of what the first added.
    expect((await send(origin, "/push/once", "sealed", [["Authorization", "vapid t=r.p.s, k=K"]])).statusCode).toBe(201);
    expect(refusals.get("/push/once")).toBe(2);
    expect(server.seen.filter((request) => request.headers[":path"] === "/push/once").map((request) => request.headers.authorization)).toEqual(["vapid t=r.p.s, k=K", "vapid t=r.p.s, k=K"]);
    await expect(send(origin, "/push/always")).rejects.toThrow("turned the request away unprocessed 3 times");
    // A reset for another reason is an error at once.
    const cancelled = await h2cServer((stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    await expect(send(client(cancelled.origin))).rejects.toThrow("reset the request (INTERNAL_ERROR)");
  });

  it("cancels an aborted request with RST_STREAM and keeps the connection for the next", async () => {
    const reset: number[] = [];
    const server = await h2cServer((stream, seen) => {
      if (seen.headers[":path"] === "/push/slow") stream.on("close", () => reset.push(stream.rstCode ?? -1));
      else created(stream);
    });
    const origin = client(server.origin);
    const slow = new Promise<Error | null>((resolve) => {
      const abort = origin.request("POST", "/push/slow", [["TTL", "0"]], Buffer.from("x"), (error) => resolve(error));
      setTimeout(() => abort(new Error("no answer within 50 ms")), 50);
    });
    expect((await slow)?.message).toBe("no answer within 50 ms");
    await expect.poll(() => reset).toEqual([http2.constants.NGHTTP2_CANCEL]);
    expect((await send(origin, "/push/next")).statusCode).toBe(201);
    expect(server.sessions).toHaveLength(1);
  });

  it("fails the requests on a connection the service drops, and opens a new one for the next", async () => {
    const server = await h2cServer((stream, seen) => {
      if (seen.headers[":path"] === "/push/drop") seen.session.destroy();
      else created(stream);
    });
    const origin = client(server.origin);
    await expect(send(origin, "/push/drop")).rejects.toMatchObject({ code: "ECONNRESET" });
    expect((await send(origin, "/push/next")).statusCode).toBe(201);
    expect(server.sessions).toHaveLength(2);
  });

  it("closes a connection left idle for the keep-alive time", async () => {
    const server = await h2cServer((stream) => created(stream));
    const origin = client(server.origin, { keepAliveMs: 100 });
    await send(origin);
    expect(origin.connections).toBe(1);
    await expect.poll(() => origin.connections, { timeout: 2_000, interval: 10 }).toBe(0);
  });

  it("speaks HTTPS with ALPN h2, and says when a service picks HTTP/1.1 instead", async () => {
    const secure = http2.createSecureServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem") });
    secure.on("stream", (stream) => {
      stream.resume();
      stream.on("end", () => created(stream));
    });
    const securePort = await listen(secure);
    closers.push(() => new Promise<void>((resolve) => secure.close(() => resolve())));
    expect((await send(client(`https://localhost:${securePort}`, { ca: tlsFile("test-ca.pem") }))).statusCode).toBe(201);

    const http1Only = tls.createServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem"), ALPNProtocols: ["http/1.1"] }, (socket) => socket.on("error", () => {}));
    const port = await listen(http1Only);
    closers.push(() => new Promise<void>((resolve) => http1Only.close(() => resolve())));
    const origin = client(`https://localhost:${port}`, { ca: tlsFile("test-ca.pem") });
    await expect(send(origin)).rejects.toBeInstanceOf(NotHttp2Error);
    // From then on, at once.
    await expect(send(origin)).rejects.toThrow('chose "http/1.1" over HTTP/2');
  });

  it("says when a plain-HTTP server answers the preface in HTTP/1", async () => {
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    });
    const port = await listen(server);
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await expect(send(client(`http://127.0.0.1:${port}`))).rejects.toBeInstanceOf(NotHttp2Error);
  });

  it("fails the requests of a service whose first frame is not SETTINGS", async () => {
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.resume();
      socket.write(rawFrame(6, 0, 0, Buffer.alloc(8)));
    });
    const port = await listen(server);
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await expect(send(client(`http://127.0.0.1:${port}`))).rejects.toThrow("first frame is not SETTINGS");
  });

  it("fails the connection's requests on frames a service may not send", async () => {
    // A raw server: SETTINGS, then the given bytes once a request's HEADERS arrive.
    const rawServer = async (reply: (streamId: number) => Buffer) => {
      const server = net.createServer((socket) => {
        socket.on("error", () => {});
        socket.write(rawFrame(4, 0, 0, Buffer.alloc(0)));
        let buffered = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          if (buffered.subarray(0, 24).toString("latin1").startsWith("PRI")) buffered = buffered.subarray(24);
          while (buffered.length >= 9) {
            const length = buffered.readUIntBE(0, 3);
            if (buffered.length < 9 + length) break;
            const type = buffered[3];
            const id = buffered.readUInt32BE(5);
            buffered = buffered.subarray(9 + length);
            if (type === 1) socket.write(reply(id));
          }
        });
      });
      const port = await listen(server);
      closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return `http://127.0.0.1:${port}`;
    };
    const pushPromise = await rawServer((id) => rawFrame(5, 4, id, Buffer.from([0, 0, 0, 2, 0x88])));
    await expect(send(client(pushPromise))).rejects.toThrow("PUSH_PROMISE");
    // 0xff at the start of a block: an index far past both tables.
    const badHeaders = await rawServer((id) => rawFrame(1, 5, id, Buffer.from([0xff, 0xff, 0xff, 0x0f])));
    await expect(send(client(badHeaders))).rejects.toThrow("headers do not decode");
    const tooLarge = await rawServer((id) => Buffer.concat([rawFrame(1, 4, id, Buffer.from([0x88])), rawFrame(0, 1, id, Buffer.alloc(20_000))]));
    await expect(send(client(tooLarge))).rejects.toThrow("exceeds the 16384");
    const noStatus = await rawServer((id) => rawFrame(1, 5, id, Buffer.from([0x82])));
    await expect(send(client(noStatus))).rejects.toThrow("no valid :status");
  });

  it("refuses header names and values that are not HTTP's, before anything is sent", async () => {
    const server = await h2cServer((stream) => created(stream));
    const origin = client(server.origin);
    await expect(send(origin, "/push/a", "x", [["Bad Name", "1"]])).rejects.toThrow("not a header name");
    await expect(send(origin, "/push/a", "x", [["TTL", "1\r\nX: y"]])).rejects.toThrow("line break");
    // The Authorization is encoded only when its stream opens; what cannot be encoded is refused before that too.
    await expect(send(origin, "/push/a", "x", [["Authorization", "vapid t=\u20ac"]])).rejects.toThrow('the "authorization" header holds a character above U+00FF');
    expect(server.seen).toHaveLength(0);
    expect((await send(origin, "/push/a", "x", [["Authorization", "vapid t=caf\u00e9"]])).statusCode).toBe(201);
  });
});

describe("push transport over HTTP/2", () => {
  let transport: PushTransport | null = null;
  afterEach(() => {
    transport?.close();
    transport = null;
  });
  const request = () => ({ method: "POST", headers: { TTL: 60, "Content-Encoding": "aes128gcm" }, body: Buffer.from("sealed") });

  it("speaks h2c to a local receiver when told to (PUSH_HTTP=2), and HTTP/1.1 to one that does not speak it", async () => {
    const server = await h2cServer((stream) => created(stream));
    transport = createPushTransport({ allowLocalReceivers: true }, { http: "2" });
    expect(await transport.send(new URL(`${server.origin}/push/a`), request)).toEqual({ statusCode: 201, retryAfterSeconds: null, body: "" });
    expect(server.seen).toHaveLength(1);

    const { createServer } = await import("node:http");
    const http1 = createServer((_request, response) => response.writeHead(201).end());
    const port = await listen(http1 as unknown as net.Server);
    closers.push(() => new Promise<void>((resolve) => http1.close(() => resolve())));
    const answers = await Promise.all(Array.from({ length: 5 }, () => transport?.send(new URL(`http://127.0.0.1:${port}/push/b`), request)));
    expect(answers.map((answer) => answer?.statusCode)).toEqual([201, 201, 201, 201, 201]);
  });

  it("uses HTTP/2 to an HTTPS service that offers it, and HTTP/1.1 to one that does not", async () => {
    const secure = http2.createSecureServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem") });
    let streams = 0;
    secure.on("stream", (stream) => {
      streams += 1;
      stream.resume();
      stream.on("end", () => created(stream));
    });
    const securePort = await listen(secure);
    closers.push(() => new Promise<void>((resolve) => secure.close(() => resolve())));
    transport = createPushTransport({ allowLocalReceivers: true }, { ca: tlsFile("test-ca.pem") });
    expect((await transport.send(new URL(`https://localhost:${securePort}/push/a`), request)).statusCode).toBe(201);
    expect(streams).toBe(1);

    const { createServer } = await import("node:https");
    const http1 = createServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem") }, (_request, response) => response.writeHead(201).end());
    const port = await listen(http1 as unknown as net.Server);
    closers.push(() => new Promise<void>((resolve) => http1.close(() => resolve())));
    const answers = await Promise.all(Array.from({ length: 3 }, () => transport?.send(new URL(`https://localhost:${port}/push/b`), request)));
    expect(answers.map((answer) => answer?.statusCode)).toEqual([201, 201, 201]);
  });

  it("speaks HTTP/1.1 only when told to (PUSH_HTTP=1.1)", async () => {
    const secure = http2.createSecureServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem"), allowHTTP1: true }, (request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(201, { "x-version": request.httpVersion }).end());
    });
    const versions: string[] = [];
    secure.on("request", (request) => versions.push(request.httpVersion));
    const port = await listen(secure);
    closers.push(() => new Promise<void>((resolve) => secure.close(() => resolve())));
    transport = createPushTransport({ allowLocalReceivers: true }, { http: "1.1", ca: tlsFile("test-ca.pem") });
    expect((await transport.send(new URL(`https://localhost:${port}/push/a`), request)).statusCode).toBe(201);
    expect(versions).toEqual(["1.1"]);
  });
});
