import { performance } from "node:perf_hooks";
import { guardedLookup, type EndpointPolicy } from "./endpoint-policy.server";
import { Http1Origin, type Http1Answer } from "./http1.server";
import { Http2Origin, NotHttp2Error } from "./http2.server";

/**
 * Sends prepared push requests (web-push's `generateRequestDetails`) over
 * keep-alive connections, with one client per push-service origin: HTTP/2
 * (`Http2Origin`, many pushes per write on one connection) where the service
 * agrees to it by ALPN, else HTTP/1.1 (`Http1Origin`, one push per
 * connection at a time); one TLS handshake per push-service connection, not
 * per message.
 * Plain-HTTP endpoints exist only for the test receiver (the endpoint policy
 * refuses them otherwise). Every connection resolves its host through the
 * endpoint policy's guarded lookup.
 *
 * Requests in flight are limited per push-service origin by an adaptive
 * window (`InFlightWindow`), and a request is prepared (encrypted) only once
 * the window has room for it: a push service far away gets as many requests
 * in flight as its round trip needs, a near one (or a sender that is itself
 * the bottleneck) only a few, which is cheaper per request than keeping
 * dozens of them open (docs/decisions/0014-web-push-delivery.md). The client
 * opens as many connections as the window's maximum, so a request the
 * window admits goes out at once.
 */

export interface PushRequest {
  method: string;
  headers: Record<string, string | number>;
  body: Buffer | null;
}

export interface PushResponse {
  statusCode: number;
  /** Retry-After in seconds, when the service sent one we could read. */
  retryAfterSeconds: number | null;
  /** The start of the body, for the error message. */
  body: string;
}

export interface PushTransport {
  /**
   * Waits for room in the endpoint's origin window, then calls `prepare`
   * (the encryption) and sends what it returns. Rejects on a network
   * failure or timeout, or with what `prepare` threw.
   */
  send(endpoint: URL, prepare: () => PushRequest): Promise<PushResponse>;
  close(): void;
}

/** A push service that does not answer within this is treated as a failed attempt (retried). */
export const PUSH_REQUEST_TIMEOUT_MS = 10_000;
/** The most requests in flight (and so connections) per push-service origin. */
export const MAX_WINDOW = 64;
const BODY_CHARS_KEPT = 300;
/** Origins not used for this long are dropped (window and connections; the next request starts anew). */
const IDLE_WINDOW_MS = 10 * 60_000;
/** How long an idle connection is kept open, unless the service's Keep-Alive hint says less. */
const KEEP_ALIVE_MS = 60_000;

/**
 * Which HTTP the sender speaks (PUSH_HTTP): "auto", HTTP/2 to HTTPS push
 * services that offer it by ALPN and HTTP/1.1 otherwise; "1.1", HTTP/1.1
 * only; "2", as auto, and HTTP/2 with prior knowledge (h2c) to a plain-HTTP
 * receiver too (tests and benchmarks; plain HTTP is for local receivers only).
 */
export type PushHttp = "auto" | "1.1" | "2";
/** HTTP/2 connections per push-service origin at most: each carries up to the service's stream limit (RFC 9113 recommends at least 100; the window is at most 64). */
const MAX_HTTP2_CONNECTIONS = 4;

interface Origin {
  window: InFlightWindow;
  client: Http1Origin | Http2Origin;
}

export function createPushTransport(
  policy: Pick<EndpointPolicy, "allowLocalReceivers">,
  options: { timeoutMs?: number; now?: () => number; maxWindow?: number; http?: PushHttp; ca?: string } = {},
): PushTransport {
  const http = options.http ?? "auto";
  const maxWindow = options.maxWindow ?? MAX_WINDOW;
  const lookup = guardedLookup(policy);
  const timeoutMs = options.timeoutMs ?? PUSH_REQUEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const origins = new Map<string, Origin>();
  const deadlines = requestDeadlines(timeoutMs);

  const originFor = (url: URL): Origin => {
    let origin = origins.get(url.origin);
    if (!origin) {
      if (origins.size >= 1_000) {
        const cutoff = performance.now() - IDLE_WINDOW_MS;
        for (const [key, idle] of origins) {
          if (!idle.window.isIdleSince(cutoff)) continue;
          origins.delete(key);
          idle.client.close();
        }
      }
      const http2 = http !== "1.1" && (url.protocol === "https:" || http === "2");
      origin = { window: new InFlightWindow({ max: maxWindow }), client: http2 ? http2Client(url.origin) : http1Client(url.origin) };
      origins.set(url.origin, origin);
    }
    return origin;
  };
  // The whole request is held to one deadline (requestDeadlines); the connect timeout only backs it up.
  const clientOptions = { lookup, keepAliveMs: KEEP_ALIVE_MS, connectTimeoutMs: timeoutMs, keepBodyBytes: BODY_CHARS_KEPT * 4, ...(options.ca === undefined ? {} : { ca: options.ca }) };
  const http1Client = (origin: string) => new Http1Origin(origin, { ...clientOptions, maxConnections: maxWindow });
  const http2Client = (origin: string) => new Http2Origin(origin, { ...clientOptions, maxConnections: MAX_HTTP2_CONNECTIONS });

  const request = (origin: Origin, url: URL, prepared: PushRequest): Promise<PushResponse> =>
    new Promise<PushResponse>((resolve, reject) => {
      const answer = new PushAnswer(resolve, reject, now, deadlines);
      deadlines.watch(answer);
      const path = `${url.pathname}${url.search}`;
      const headers = headerList(prepared);
      answer.abort = origin.client.request(prepared.method, path, headers, prepared.body, (error, response) => {
        if (!(error instanceof NotHttp2Error)) return answer.settle(error, response);
        // The service speaks HTTP/1.1 only, and nothing was sent: from now on this origin gets HTTP/1.1.
        if (origin.client instanceof Http2Origin) {
          origin.client.close();
          origin.client = http1Client(url.origin);
        }
        answer.abort = origin.client.request(prepared.method, path, headers, prepared.body, (retryError, retryResponse) => answer.settle(retryError, retryResponse));
      });
    });

  const preparing = new PreparationTurn();

  return {
    async send(endpoint, prepare) {
      const origin = originFor(endpoint);
      const window = origin.window;
      await window.acquire();
      let started: number | null = null;
      try {
        const prepared = await preparing.prepare(prepare);
        started = performance.now();
        const response = await request(origin, endpoint, prepared);
        window.release({ roundTripMs: performance.now() - started, congested: response.statusCode === 429 || response.statusCode === 503 });
        return response;
      } catch (error) {
        // A request that never went out says nothing about the service; one that failed on the way counts as congestion.
        window.release(started === null ? null : { roundTripMs: performance.now() - started, congested: true });
        throw error;
      }
    },
    close() {
      deadlines.stop();
      for (const { client } of origins.values()) client.close();
      origins.clear();
    },
  };
}

/**
 * Requests admitted in one turn of the event loop are prepared together, at
 * its end (`setImmediate`): the answers read in that turn free their window
 * slots first, then the pushes admitted into them are encrypted back to back
 * (the client then writes them together too). Encrypting each push right
 * after the answer that freed its slot, between one socket read and the next,
 * cost the sender about 18 µs more per push in bench:push (265 against 247 µs,
 * three alternating pairs of 100,000-push runs): the crypto ran colder among
 * the reading and parsing around it.
 */
class PreparationTurn {
  private readonly queued: Array<{ prepare: () => PushRequest; resolve: (request: PushRequest) => void; reject: (error: unknown) => void }> = [];

  prepare(prepare: () => PushRequest): Promise<PushRequest> {
    return new Promise((resolve, reject) => {
      if (this.queued.push({ prepare, resolve, reject }) === 1) setImmediate(() => this.run());
    });
  }

  private run(): void {
    for (const { prepare, resolve, reject } of this.queued.splice(0)) {
      try {
        resolve(prepare());
      } catch (error) {
        reject(error);
      }
    }
  }
}

/** One request's answer: settles the send once, from the client's answer, its error, or the deadline. */
class PushAnswer {
  abort: ((reason: Error) => void) | null = null;
  private settled = false;

  constructor(
    private readonly resolve: (response: PushResponse) => void,
    private readonly reject: (error: Error) => void,
    private readonly now: () => number,
    private readonly deadlines: Deadlines,
  ) {}

  /** The deadline passed: abort the request (the client then settles it with this error). */
  expire(error: Error): void {
    if (this.abort) this.abort(error);
    else this.settle(error, null);
  }

  // A method, not an arrow-function field: a field would be a new named function per request.
  settle(error: Error | null, answer: Http1Answer | null): void {
    if (this.settled) return;
    this.settled = true;
    this.deadlines.forget(this);
    if (error || !answer) {
      this.reject(error ?? new Error("no answer"));
      return;
    }
    if (answer.body.length === 0 && answer.retryAfter === undefined) {
      this.resolve({ statusCode: answer.statusCode, retryAfterSeconds: null, body: "" });
      return;
    }
    const ok = answer.statusCode >= 200 && answer.statusCode < 300;
    this.resolve({
      statusCode: answer.statusCode,
      // Retry-After matters only for a refusal.
      retryAfterSeconds: ok ? null : parseRetryAfter(answer.retryAfter, this.now()),
      body: answer.body.toString("utf8").slice(0, BODY_CHARS_KEPT),
    });
  }
}

type Deadlines = ReturnType<typeof requestDeadlines>;

/**
 * One timer for all requests in flight, checked a few times per timeout,
 * instead of a timer armed and cleared for every request. The limit covers
 * the whole request, connecting included.
 */
function requestDeadlines(timeoutMs: number) {
  const due = new Map<PushAnswer, number>();
  let sweeper: NodeJS.Timeout | null = null;
  const sweep = () => {
    const at = performance.now();
    for (const [answer, deadline] of due) {
      if (deadline > at) continue;
      due.delete(answer);
      answer.expire(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    }
    if (due.size === 0 && sweeper !== null) {
      clearInterval(sweeper);
      sweeper = null;
    }
  };
  return {
    watch(answer: PushAnswer) {
      due.set(answer, performance.now() + timeoutMs);
      if (sweeper === null) {
        sweeper = setInterval(sweep, Math.max(10, Math.min(1_000, timeoutMs / 4)));
        sweeper.unref();
      }
    },
    forget(answer: PushAnswer) {
      due.delete(answer);
    },
    stop() {
      due.clear();
      if (sweeper !== null) clearInterval(sweeper);
      sweeper = null;
    },
  };
}

/** The prepared headers as name-value pairs (the client adds Host and Content-Length). */
function headerList(prepared: PushRequest): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  for (const name of Object.keys(prepared.headers)) list.push([name, String(prepared.headers[name])]);
  return list;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Unreadable values count as absent. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export interface WindowOptions {
  /** Requests in flight at first, and never fewer than `min` or more than `max`. */
  initial?: number;
  min?: number;
  max?: number;
  /** Round trips up to this multiple of the shortest recent one are not queueing. */
  tolerance?: number;
  /** How long the shortest round trip is remembered (it is the lowest over the last two such spans). */
  baseSpanMs?: number;
  now?: () => number;
  /** Milliseconds this thread's event loop has been busy so far, on the clock of `now` (default: its active time from `performance.eventLoopUtilization`). */
  loopBusyMs?: () => number;
}

/** A round in which the event loop was busy at least this share of the time: its round trips say nothing about the service. */
export const LOOP_SATURATED = 0.9;

/**
 * How many requests may be in flight to one push service: a gradient
 * limit (as in Netflix's concurrency-limits "Gradient2", after TCP Vegas).
 * Once per round (as many answers as the window is wide) it compares the
 * round's mean round trip with the shortest recent one: while they are
 * close (under `tolerance` ×) requests are not queueing and the window grows
 * by √window when it was full; when round trips stretch, the window shrinks
 * in proportion (at most by half a round), settling where a few requests
 * wait. An answer of 429/503 or a failed request halves it at once (at most
 * once a round). Round trips are measured from the request's write to the
 * end of its answer, so they include the time an answer waits for this
 * process's event loop: in a round where the loop was busy nearly all the
 * time (`LOOP_SATURATED`), a stretch is the sender's own queueing, not the
 * service's, and does not shrink the window (only 429/503 and failures do).
 * A CPU-bound sender sends at the same rate whatever the window; a wide one
 * lets it write while the service is already at work instead of waking it
 * for every request, which costs the sender less CPU per push (decision 0029).
 */
export class InFlightWindow {
  private readonly min: number;
  private readonly max: number;
  private readonly tolerance: number;
  private readonly baseSpanMs: number;
  private readonly now: () => number;
  private readonly loopBusyMs: () => number;
  private limit: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private lastUsed: number;
  // The shortest round trip: the lower of this span's and the previous span's minimum.
  private spanStart: number;
  private spanMin = Infinity;
  private previousSpanMin = Infinity;
  // The current round.
  private roundAnswers = 0;
  private roundTotalMs = 0;
  private roundWasFull = false;
  private roundHadCut = false;
  private roundStartedAt: number;
  private roundBusyStartMs: number;

  constructor(options: WindowOptions = {}) {
    this.min = Math.max(1, options.min ?? 2);
    this.max = Math.max(this.min, options.max ?? MAX_WINDOW);
    this.limit = Math.min(this.max, Math.max(this.min, options.initial ?? 8));
    this.tolerance = options.tolerance ?? 2;
    this.baseSpanMs = options.baseSpanMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
    this.loopBusyMs = options.loopBusyMs ?? (() => performance.eventLoopUtilization().active);
    this.spanStart = this.now();
    this.lastUsed = this.spanStart;
    this.roundStartedAt = this.spanStart;
    this.roundBusyStartMs = this.loopBusyMs();
  }

  /** Requests that may be in flight now. */
  get size(): number {
    return Math.floor(this.limit);
  }

  get active(): number {
    return this.inFlight;
  }

  get queued(): number {
    return this.waiting.length;
  }

  isIdleSince(cutoff: number): boolean {
    return this.inFlight === 0 && this.waiting.length === 0 && this.lastUsed < cutoff;
  }

  /** Resolves when a request may start; every acquire must be followed by one release. */
  acquire(): Promise<void> {
    this.lastUsed = this.now();
    if (this.inFlight < this.size && this.waiting.length === 0) {
      this.take();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The request ended: with its round trip and whether the service signalled congestion, or null if it never went out. */
  release(outcome: { roundTripMs: number; congested: boolean } | null): void {
    this.inFlight -= 1;
    if (outcome !== null) this.learn(outcome.roundTripMs, outcome.congested);
    while (this.waiting.length > 0 && this.inFlight < this.size) {
      this.take();
      this.waiting.shift()?.();
    }
  }

  private take(): void {
    this.inFlight += 1;
    if (this.inFlight >= this.size) this.roundWasFull = true;
  }

  private learn(roundTripMs: number, congested: boolean): void {
    const at = this.now();
    this.lastUsed = at;
    const spanAge = at - this.spanStart;
    if (spanAge >= this.baseSpanMs) {
      // A span that ended more than a span ago is outside the memory too.
      this.previousSpanMin = spanAge >= 2 * this.baseSpanMs ? Infinity : this.spanMin;
      this.spanMin = Infinity;
      this.spanStart = at;
    }
    this.spanMin = Math.min(this.spanMin, roundTripMs);
    if (congested && !this.roundHadCut) {
      this.limit = Math.max(this.min, this.limit / 2);
      this.roundHadCut = true;
    }
    this.roundAnswers += 1;
    this.roundTotalMs += roundTripMs;
    if (this.roundAnswers < this.size) return;
    const meanMs = this.roundTotalMs / this.roundAnswers;
    const baseMs = Math.min(this.spanMin, this.previousSpanMin);
    const busyMs = this.loopBusyMs();
    const elapsedMs = at - this.roundStartedAt;
    const saturated = elapsedMs > 0 && busyMs - this.roundBusyStartMs >= LOOP_SATURATED * elapsedMs;
    this.roundStartedAt = at;
    this.roundBusyStartMs = busyMs;
    const gradient = saturated ? 1 : Math.max(0.5, Math.min(1, (this.tolerance * baseMs) / Math.max(meanMs, 1e-3)));
    if (!this.roundHadCut && (gradient < 1 || this.roundWasFull)) {
      const target = this.limit * gradient + Math.sqrt(this.limit);
      // Smoothed, so one noisy round moves the window only a fifth of the way.
      this.limit = Math.min(this.max, Math.max(this.min, 0.8 * this.limit + 0.2 * target));
    }
    this.roundAnswers = 0;
    this.roundTotalMs = 0;
    this.roundWasFull = this.inFlight >= this.size;
    this.roundHadCut = false;
  }
}
