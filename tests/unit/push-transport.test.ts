import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { InFlightWindow, createPushTransport, parseRetryAfter, type PushTransport } from "../../app/push/transport.server";

/** An event loop that is never busy (the fake clock's time all passes waiting). */
const idleLoop = () => 0;

/** Fills the window, then answers every request of one round with the same round trip. */
async function runRound(window: InFlightWindow, roundTripMs: number, clock: { now: number }, options: { congested?: boolean } = {}) {
  const width = window.size;
  for (let i = 0; i < width; i += 1) await window.acquire();
  for (let i = 0; i < width; i += 1) {
    clock.now += roundTripMs / width;
    window.release({ roundTripMs, congested: options.congested === true && i === 0 });
  }
}

describe("in-flight window per push service", () => {
  it("admits as many requests as it is wide and lets the others wait their turn, in order", async () => {
    const window = new InFlightWindow({ initial: 3 });
    const started: number[] = [];
    const waits = Array.from({ length: 5 }, (_, i) => window.acquire().then(() => started.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(window.queued).toBe(2);
    window.release(null);
    await waits[3];
    expect(started).toEqual([0, 1, 2, 3]);
    window.release(null);
    await waits[4];
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(window.active).toBe(3);
    // Requests that never went out teach it nothing.
    expect(window.size).toBe(3);
  });

  it("grows while it is full and round trips stay short, up to its maximum", async () => {
    const clock = { now: 0 };
    const window = new InFlightWindow({ initial: 4, max: 40, now: () => clock.now, loopBusyMs: idleLoop });
    const sizes: number[] = [];
    for (let round = 0; round < 60; round += 1) {
      await runRound(window, 50, clock);
      sizes.push(window.size);
    }
    expect(sizes[5]).toBeGreaterThan(4);
    expect(sizes.every((size, i) => i === 0 || size >= (sizes[i - 1] ?? 0))).toBe(true);
    expect(window.size).toBe(40);
  });

  it("does not grow when the sender never fills it", async () => {
    const clock = { now: 0 };
    const window = new InFlightWindow({ initial: 8, now: () => clock.now, loopBusyMs: idleLoop });
    for (let i = 0; i < 200; i += 1) {
      await window.acquire();
      clock.now += 50;
      window.release({ roundTripMs: 50, congested: false });
    }
    expect(window.size).toBe(8);
  });

  it("shrinks when round trips stretch while the sender's event loop has time to spare (requests queue at the service)", async () => {
    const clock = { now: 0 };
    // Busy 80 % of the time (under LOOP_SATURATED): the stretch is the service's.
    const window = new InFlightWindow({ initial: 32, min: 2, now: () => clock.now, loopBusyMs: () => 0.8 * clock.now });
    await runRound(window, 1, clock);
    for (let round = 0; round < 40; round += 1) await runRound(window, 10, clock);
    expect(window.size).toBeLessThan(8);
    expect(window.size).toBeGreaterThanOrEqual(2);
  });

  it("keeps growing while the sender's own event loop is saturated: the stretch is its own queueing, and only 429/503 cut it", async () => {
    const clock = { now: 0 };
    const window = new InFlightWindow({ initial: 8, max: 64, now: () => clock.now, loopBusyMs: () => clock.now });
    await runRound(window, 1, clock);
    for (let round = 0; round < 80; round += 1) await runRound(window, 10, clock);
    expect(window.size).toBe(64);
    // A 429 halves it (the round's second half then grows it by √32 / 5, as any full round).
    await runRound(window, 10, clock, { congested: true });
    expect(window.size).toBe(33);
  });

  it("halves at once on 429/503, once per round", async () => {
    const clock = { now: 0 };
    const window = new InFlightWindow({ initial: 16, now: () => clock.now, loopBusyMs: idleLoop });
    for (let i = 0; i < 16; i += 1) await window.acquire();
    window.release({ roundTripMs: 20, congested: true });
    expect(window.size).toBe(8);
    window.release({ roundTripMs: 20, congested: true });
    expect(window.size).toBe(8);
  });

  it("forgets a short round trip after two spans, so a service that got slower is not held to it", async () => {
    const clock = { now: 0 };
    const window = new InFlightWindow({ initial: 8, baseSpanMs: 1_000, now: () => clock.now, loopBusyMs: idleLoop });
    await runRound(window, 1, clock);
    for (let round = 0; round < 10; round += 1) await runRound(window, 10, clock);
    const shrunk = window.size;
    // Two spans later the shortest round trip is 10 ms: no longer queueing, so it grows again.
    clock.now += 2_500;
    for (let round = 0; round < 30; round += 1) await runRound(window, 10, clock);
    expect(window.size).toBeGreaterThan(shrunk);
  });
});

describe("push transport", () => {
  let transport: PushTransport | null = null;
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    transport?.close();
    await close?.();
    transport = null;
    close = null;
  });

  let connections = 0;
  async function serve(handler: (request: IncomingMessage, body: Buffer, response: ServerResponse) => void): Promise<string> {
    connections = 0;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => handler(request, Buffer.concat(chunks), response));
    });
    server.on("connection", () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("sends the prepared request with its headers, body and Host, and reads status, Retry-After and the refusal's text", async () => {
    const seen: Array<{ url: string | undefined; headers: IncomingMessage["headers"]; body: string }> = [];
    const origin = await serve((request, body, response) => {
      seen.push({ url: request.url, headers: request.headers, body: body.toString() });
      if (request.url === "/push/busy") response.writeHead(429, { "Retry-After": "7" }).end("slow down");
      else response.writeHead(201).end();
    });
    transport = createPushTransport({ allowLocalReceivers: true });
    const headers = { TTL: 60, "Content-Encoding": "aes128gcm", Urgency: "high", Topic: "tasting", Authorization: "vapid t=a.b.c, k=K" };
    const ok = await transport.send(new URL(`${origin}/push/one`), () => ({ method: "POST", headers, body: Buffer.from("sealed") }));
    expect(ok).toEqual({ statusCode: 201, retryAfterSeconds: null, body: "" });
    const busy = await transport.send(new URL(`${origin}/push/busy`), () => ({ method: "POST", headers, body: Buffer.from("sealed") }));
    expect(busy).toEqual({ statusCode: 429, retryAfterSeconds: 7, body: "slow down" });
    expect(seen[0]).toMatchObject({
      url: "/push/one",
      body: "sealed",
      headers: { host: new URL(origin).host, ttl: "60", "content-encoding": "aes128gcm", urgency: "high", topic: "tasting", authorization: "vapid t=a.b.c, k=K", "content-length": "6" },
    });
  });

  it("prepares (encrypts) a push only when its service's window has room", async () => {
    const held: ServerResponse[] = [];
    const origin = await serve((_request, _body, response) => held.push(response));
    transport = createPushTransport({ allowLocalReceivers: true });
    let prepared = 0;
    const sends = Array.from({ length: 20 }, (_, i) =>
      transport?.send(new URL(`${origin}/push/s${i}`), () => {
        prepared += 1;
        return { method: "POST", headers: { TTL: 0 }, body: Buffer.from("x") };
      }),
    );
    await expect.poll(() => held.length).toBe(8);
    expect(prepared).toBe(8);
    for (const response of held.splice(0)) response.writeHead(201).end();
    await expect.poll(() => held.length).toBe(8);
    expect(prepared).toBe(16);
    // The rest, as they arrive (a request is prepared a moment before the server sees it).
    for (let answered = 8; answered < 20; ) {
      for (const response of held.splice(0)) {
        response.writeHead(201).end();
        answered += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const answers = await Promise.all(sends);
    expect(answers.map((answer) => answer?.statusCode)).toEqual(Array.from({ length: 20 }, () => 201));
  });

  it("prepares the pushes let in by answers read in one turn after all those answers, back to back", async () => {
    const held: ServerResponse[] = [];
    const origin = await serve((_request, _body, response) => held.push(response));
    transport = createPushTransport({ allowLocalReceivers: true }, { maxWindow: 2 });
    const events: string[] = [];
    const sends = Array.from({ length: 4 }, (_, i) =>
      transport?.send(new URL(`${origin}/push/s${i}`), () => {
        events.push(`prepare ${i}`);
        return { method: "POST", headers: { TTL: 0 }, body: Buffer.from("x") };
      }).then(() => events.push(`answered ${i}`)),
    );
    await expect.poll(() => held.length).toBe(2);
    events.length = 0;
    // Both answers are written before the client's next turn, so it reads them in the same turn.
    for (const response of held.splice(0)) response.writeHead(201).end();
    await expect.poll(() => held.length).toBe(2);
    expect(events).toEqual(["answered 0", "answered 1", "prepare 2", "prepare 3"]);
    for (const response of held.splice(0)) response.writeHead(201).end();
    await Promise.all(sends);
  });

  it("gives the slot back when preparing fails, and rejects with that error", async () => {
    const origin = await serve((_request, _body, response) => response.writeHead(201).end());
    transport = createPushTransport({ allowLocalReceivers: true }, { maxWindow: 2 });
    const failing = Array.from({ length: 10 }, () =>
      transport?.send(new URL(`${origin}/push/x`), () => {
        throw new Error("bad key");
      }),
    );
    for (const attempt of failing) await expect(attempt).rejects.toThrow("bad key");
    const answer = await transport.send(new URL(`${origin}/push/x`), () => ({ method: "POST", headers: { TTL: 0 }, body: null }));
    expect(answer.statusCode).toBe(201);
  });

  it("rejects when the service does not answer in time", async () => {
    const origin = await serve(() => {});
    transport = createPushTransport({ allowLocalReceivers: true }, { timeoutMs: 100 });
    await expect(transport.send(new URL(`${origin}/push/x`), () => ({ method: "POST", headers: { TTL: 0 }, body: null }))).rejects.toThrow("no answer within 100 ms");
  });

  it("keeps connections open between requests", async () => {
    const origin = await serve((_request, _body, response) => response.writeHead(201).end("accepted"));
    transport = createPushTransport({ allowLocalReceivers: true });
    for (let i = 0; i < 30; i += 1) {
      const answer = await transport.send(new URL(`${origin}/push/k${i}`), () => ({ method: "POST", headers: { TTL: 0 }, body: Buffer.from("x") }));
      expect(answer).toEqual({ statusCode: 201, retryAfterSeconds: null, body: "" });
    }
    // One, or two when the next request is handed out before the pool has seen the first connection free again.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it("keeps the first 300 characters of a refusal's text, and reads an HTTP-date Retry-After", async () => {
    const origin = await serve((_request, _body, response) => response.writeHead(503, { "retry-after": new Date(Date.now() + 60_000).toUTCString() }).end("é".repeat(2_000)));
    transport = createPushTransport({ allowLocalReceivers: true });
    const answer = await transport.send(new URL(`${origin}/push/x`), () => ({ method: "POST", headers: { TTL: 0 }, body: null }));
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toBe("é".repeat(300));
    expect(answer.retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(answer.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("rejects when the connection is refused or dropped, and recovers on a fresh connection", async () => {
    let drop = true;
    const origin = await serve((request, _body, response) => {
      if (drop) request.socket.destroy();
      else response.writeHead(201).end();
    });
    transport = createPushTransport({ allowLocalReceivers: true });
    const push = () => ({ method: "POST", headers: { TTL: 0 }, body: Buffer.from("x") });
    await expect(transport.send(new URL(`${origin}/push/x`), push)).rejects.toThrow();
    drop = false;
    expect((await transport.send(new URL(`${origin}/push/x`), push)).statusCode).toBe(201);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(transport.send(new URL(`http://127.0.0.1:${port}/push/x`), push)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("refuses a host that resolves to a private address unless local receivers are allowed", async () => {
    const origin = new URL(await serve((_request, _body, response) => response.writeHead(201).end()));
    transport = createPushTransport({ allowLocalReceivers: false });
    const push = () => ({ method: "POST", headers: { TTL: 0 }, body: null });
    await expect(transport.send(new URL(`http://localhost:${origin.port}/push/x`), push)).rejects.toMatchObject({ code: "EPUSHADDRESS" });
    await expect(transport.send(new URL(`https://localhost:${origin.port}/push/x`), push)).rejects.toMatchObject({ code: "EPUSHADDRESS" });
    expect(connections).toBe(0);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.UTC(2026, 10, 28, 8, 0, 0);
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Sat, 28 Nov 2026 08:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
