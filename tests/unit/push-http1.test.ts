import { lookup as dnsLookup } from "node:dns";
import { readFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { Http1Origin, requestHead, type Http1Answer, type Http1Options } from "../../app/push/http1.server";

/**
 * The push transport's HTTP/1.1 client against a raw TCP server that
 * answers with scripted bytes, so framing the client must handle (chunked
 * bodies, 1xx answers, bodies until close, split reads) and answers it must
 * refuse are sent exactly.
 */

interface SeenRequest {
  head: string;
  body: string;
  connection: number;
}

type Reply = (request: SeenRequest, socket: net.Socket) => void;

const servers: net.Server[] = [];
const clients: Http1Origin[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function rawServer(reply: Reply): Promise<{ origin: string; seen: SeenRequest[]; connections: () => number; sockets: net.Socket[] }> {
  const seen: SeenRequest[] = [];
  const sockets: net.Socket[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    const id = connections;
    sockets.push(socket);
    let buffered = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = buffered.toString("latin1", 0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = { head, body: buffered.toString("utf8", end + 4, end + 4 + length), connection: id };
        buffered = buffered.subarray(end + 4 + length);
        seen.push(request);
        reply(request, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, connections: () => connections, sockets };
}

function client(origin: string, options: Partial<Http1Options> = {}): Http1Origin {
  const created = new Http1Origin(origin, {
    maxConnections: 4,
    lookup: dnsLookup as unknown as net.LookupFunction,
    keepAliveMs: 60_000,
    connectTimeoutMs: 2_000,
    keepBodyBytes: 1_200,
    ...options,
  });
  clients.push(created);
  return created;
}

function send(origin: Http1Origin, path = "/push/a", body: string | null = "sealed", headers: Array<[string, string]> = [["TTL", "60"]]): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    origin.request("POST", path, headers, body === null ? null : Buffer.from(body), (error, answer) => (error || !answer ? reject(error ?? new Error("no answer")) : resolve(answer)));
  });
}

const created201 = "HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 0\r\n\r\n";

describe("push HTTP/1.1 client", () => {
  it("writes the request line, Host, headers, Content-Length and body, and reuses the connection", async () => {
    const server = await rawServer((_request, socket) => socket.write(created201));
    const origin = client(server.origin);
    const first = await send(origin, "/push/one?x=1", "sealed", [["TTL", "60"], ["Urgency", "high"], ["Authorization", "vapid t=a.b.c, k=K"]]);
    const second = await send(origin, "/push/two");
    expect(first).toEqual({ statusCode: 201, retryAfter: undefined, body: Buffer.alloc(0) });
    expect(second.statusCode).toBe(201);
    const host = new URL(server.origin).host;
    expect(server.seen[0]?.head).toBe(`POST /push/one?x=1 HTTP/1.1\r\nHost: ${host}\r\nTTL: 60\r\nUrgency: high\r\nAuthorization: vapid t=a.b.c, k=K\r\nContent-Length: 6`);
    expect(server.seen[0]?.body).toBe("sealed");
    expect(server.seen.map((request) => request.connection)).toEqual([1, 1]);
  });

  it("keeps a refusal's text and Retry-After, and drops a success's body", async () => {
    const server = await rawServer((request, socket) => {
      if (request.head.includes("/busy")) socket.write("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 9\r\n\r\nslow down");
      else socket.write("HTTP/1.1 201 Created\r\nContent-Length: 8\r\n\r\naccepted");
    });
    const origin = client(server.origin);
    expect(await send(origin, "/push/busy")).toEqual({ statusCode: 429, retryAfter: "7", body: Buffer.from("slow down") });
    expect(await send(origin, "/push/ok")).toEqual({ statusCode: 201, retryAfter: undefined, body: Buffer.alloc(0) });
    expect(server.connections()).toBe(1);
  });

  it("reads chunked bodies (with extensions and trailers) and keeps only the first bytes of a long refusal", async () => {
    const server = await rawServer((request, socket) => {
      if (request.head.includes("/long")) {
        socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: 5000\r\n\r\n${"x".repeat(5000)}`);
        return;
      }
      socket.write("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n4;note=1\r\nbad \r\n7\r\nrequest\r\n0\r\nX-Trace: abc\r\n\r\n");
    });
    const origin = client(server.origin, { keepBodyBytes: 100 });
    expect((await send(origin, "/push/chunked")).body.toString()).toBe("bad request");
    expect((await send(origin, "/push/long")).body.toString()).toBe("x".repeat(100));
    // Both answers were read to their end: the same connection served both, and serves a third.
    expect((await send(origin, "/push/chunked")).statusCode).toBe(400);
    expect(server.connections()).toBe(1);
  });

  it("reads an answer that arrives a byte at a time", async () => {
    const answer = "HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngone.\r\n0\r\n\r\n";
    const server = await rawServer((_request, socket) => {
      let i = 0;
      const drip = () => {
        if (i >= answer.length) return;
        socket.write(answer[i] ?? "");
        i += 1;
        setImmediate(drip);
      };
      drip();
    });
    expect(await send(client(server.origin))).toEqual({ statusCode: 410, retryAfter: undefined, body: Buffer.from("gone.") });
  });

  it("skips 1xx answers and reads a 204 without a body", async () => {
    const server = await rawServer((request, socket) => {
      if (request.head.includes("/early")) socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + created201);
      else socket.write("HTTP/1.1 204 No Content\r\n\r\n");
    });
    const origin = client(server.origin);
    expect((await send(origin, "/push/early")).statusCode).toBe(201);
    expect((await send(origin, "/push/empty")).statusCode).toBe(204);
    expect((await send(origin, "/push/early")).statusCode).toBe(201);
    expect(server.connections()).toBe(1);
  });

  it("opens a new connection after Connection: close, after a body read until close, and after the service closes an idle one", async () => {
    const server = await rawServer((request, socket) => {
      if (request.head.includes("/close")) socket.end("HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else if (request.head.includes("/until-close")) socket.end("HTTP/1.1 500 Internal Server Error\r\n\r\nthe rest of the stream");
      else if (request.head.includes("/then-idle-close")) {
        socket.write(created201);
        setTimeout(() => socket.end(), 20);
      } else socket.write(created201);
    });
    const origin = client(server.origin);
    expect((await send(origin, "/push/close")).statusCode).toBe(201);
    expect(await send(origin, "/push/until-close")).toEqual({ statusCode: 500, retryAfter: undefined, body: Buffer.from("the rest of the stream") });
    expect((await send(origin, "/push/then-idle-close")).statusCode).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await send(origin, "/push/after")).statusCode).toBe(201);
    expect(server.seen.map((request) => request.connection)).toEqual([1, 2, 3, 4]);
    await expect.poll(() => origin.connections).toBe(1);
  });

  it("fails the request and drops the connection on an answer that is not HTTP/1.1, then recovers on a fresh one", async () => {
    const bad = ["SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 201 Created\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"];
    let next = 0;
    const server = await rawServer((request, socket) => socket.write(request.head.includes("/good") ? created201 : (bad[next++] ?? "")));
    const origin = client(server.origin);
    for (let i = 0; i < bad.length; i += 1) {
      await expect(send(origin, "/push/bad")).rejects.toMatchObject({ code: "EPUSHPROTOCOL" });
      expect((await send(origin, "/push/good")).statusCode).toBe(201);
    }
    // Each refused answer took its connection with it; each good one went out on a fresh connection, then carried the next bad one.
    expect(server.connections()).toBe(bad.length + 1);
  });

  it("does not read bytes sent after an answer as the next request's answer", async () => {
    const server = await rawServer((request, socket) => socket.write(request.head.includes("/extra") ? created201 + "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" : created201));
    const origin = client(server.origin);
    expect((await send(origin, "/push/extra")).statusCode).toBe(201);
    expect((await send(origin, "/push/next")).statusCode).toBe(201);
    expect(server.seen.map((request) => request.connection)).toEqual([1, 2]);
  });

  it("fails a request whose connection is dropped before the answer ends", async () => {
    const server = await rawServer((_request, socket) => {
      socket.write("HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\nabc");
      setTimeout(() => socket.destroy(), 10);
    });
    await expect(send(client(server.origin))).rejects.toMatchObject({ code: "ECONNRESET" });
  });

  it("holds requests beyond its connection limit until a connection is free", async () => {
    const held: net.Socket[] = [];
    const server = await rawServer((_request, socket) => held.push(socket));
    const origin = client(server.origin, { maxConnections: 2 });
    const answers = Array.from({ length: 5 }, (_, i) => send(origin, `/push/s${i}`));
    await expect.poll(() => held.length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.connections()).toBe(2);
    expect(held.length).toBe(2);
    for (let answered = 0; answered < 5; ) {
      for (const socket of held.splice(0)) {
        socket.write(created201);
        answered += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await Promise.all(answers)).map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(server.connections()).toBe(2);
  });

  it("aborts a request in flight (closing its connection) or still waiting (never sent)", async () => {
    const server = await rawServer(() => {});
    const origin = client(server.origin, { maxConnections: 1 });
    const results: Array<Error | null> = [];
    const inFlight = origin.request("POST", "/push/a", [], Buffer.from("a"), (error) => results.push(error));
    const waiting = origin.request("POST", "/push/b", [], Buffer.from("b"), (error) => results.push(error));
    await expect.poll(() => server.seen.length).toBe(1);
    waiting(new Error("deadline b"));
    inFlight(new Error("deadline a"));
    await expect.poll(() => results.length).toBe(2);
    expect(results.map((error) => error?.message)).toEqual(["deadline b", "deadline a"]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.seen.map((request) => request.head.split(" ")[1])).toEqual(["/push/a"]);
    await expect.poll(() => origin.connections).toBe(0);
  });

  it("writes the requests of one turn of the event loop at its end, and not one whose connection went before then", async () => {
    const server = await rawServer((_request, socket) => socket.write(created201));
    const origin = client(server.origin, { maxConnections: 2 });
    await Promise.all([send(origin, "/push/warm-1"), send(origin, "/push/warm-2")]);
    expect(server.connections()).toBe(2);
    const results: Array<Error | null> = [];
    // Both connections are idle and open: one request goes to each, and one is aborted before the turn ends.
    origin.request("POST", "/push/kept", [], Buffer.from("k"), (error) => results.push(error));
    const abort = origin.request("POST", "/push/dropped", [], Buffer.from("d"), (error) => results.push(error));
    abort(new Error("deadline"));
    await expect.poll(() => results.length).toBe(2);
    expect(results.map((error) => error?.message ?? null).sort()).toEqual([null, "deadline"].sort());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.seen.map((request) => request.head.split(" ")[1])).toEqual(["/push/warm-1", "/push/warm-2", "/push/kept"]);
  });

  it("refuses header names and values that would break the request's framing, before connecting", async () => {
    const server = await rawServer((_request, socket) => socket.write(created201));
    const origin = client(server.origin);
    await expect(send(origin, "/push/a", "x", [["Topic", "a\r\nX-Injected: 1"]])).rejects.toThrow("line break");
    await expect(send(origin, "/push/a", "x", [["Bad Name", "1"]])).rejects.toThrow("not a header name");
    await expect(send(origin, "/push/a b", "x")).rejects.toThrow("not a request path");
    expect(server.connections()).toBe(0);
    expect(() => requestHead("POST\r\n", "/", "h", [], 0)).toThrow("not an HTTP method");
    // The client sets Host and Content-Length itself; a caller's copies are not sent twice.
    expect(requestHead("POST", "/p", "push.example", [["Host", "evil"], ["Content-Length", "99"], ["TTL", "0"]], 3)).toBe("POST /p HTTP/1.1\r\nHost: push.example\r\nTTL: 0\r\nContent-Length: 3\r\n\r\n");
  });

  it("follows the service's Keep-Alive timeout, closing an idle connection before the service would", async () => {
    const server = await rawServer((_request, socket) => socket.write("HTTP/1.1 201 Created\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n"));
    const origin = client(server.origin);
    expect((await send(origin)).statusCode).toBe(201);
    // timeout=1 s: closed a second early, i.e. at once.
    await expect.poll(() => origin.connections).toBe(0);
    expect((await send(origin)).statusCode).toBe(201);
    expect(server.connections()).toBe(2);
  });

  it("keeps a connection in use open past the keep-alive time, and closes it once it has been idle that long", async () => {
    const server = await rawServer((_request, socket) => socket.write(created201));
    const origin = client(server.origin, { keepAliveMs: 150 });
    const started = performance.now();
    let lastAnswered = started;
    // Used every 40 ms for 400 ms: never idle for 150 ms, so the one connection serves every request.
    while (performance.now() - started < 400) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect((await send(origin)).statusCode).toBe(201);
      lastAnswered = performance.now();
    }
    expect(server.connections()).toBe(1);
    expect(origin.connections).toBe(1);
    await expect.poll(() => origin.connections, { timeout: 2_000, interval: 10 }).toBe(0);
    expect(performance.now() - lastAnswered).toBeGreaterThanOrEqual(140);
  });

  it("speaks HTTPS with SNI and ALPN http/1.1, and refuses a certificate it cannot verify", async () => {
    const tlsFile = (name: string) => readFileSync(new URL(`../support/tls/${name}`, import.meta.url), "utf8");
    const seen: Array<{ servername: string | false | null; alpn: string | false | null }> = [];
    const server = tls.createServer({ key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem"), ALPNProtocols: ["http/1.1"] }, (socket) => {
      seen.push({ servername: socket.servername, alpn: socket.alpnProtocol });
      socket.on("error", () => {});
      socket.once("data", () => socket.write(created201));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const trusted = client(`https://localhost:${port}`, { ca: tlsFile("test-ca.pem") });
    expect((await send(trusted)).statusCode).toBe(201);
    expect(seen).toEqual([{ servername: "localhost", alpn: "http/1.1" }]);
    // The system's authorities do not know the test CA: the connection is refused, nothing is sent.
    await expect(send(client(`https://localhost:${port}`))).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  it("fails requests with a clear error once closed", async () => {
    const server = await rawServer((_request, socket) => socket.write(created201));
    const origin = client(server.origin);
    origin.close();
    await expect(send(origin)).rejects.toThrow("closed");
    expect(server.connections()).toBe(0);
  });
});
