import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { DrainRequests } from "./drain-requests";
import { receiveWebhook, type IncomingWebhook, type IntakeResult } from "./intake.server";
import { DEFAULT_RECORDER_OPTIONS, DeliveryRecorder, type RecorderOptions } from "./record.server";
import { checkWebhookSignature } from "./signature.server";
import { log, shopLog } from "../lib/log.server";
import { servesEmbedded } from "../db/server-kind.server";

export interface WebhookEndpointDeps {
  databaseUrl: string;
  /** The app's API secret: webhooks are signed with it (app/webhooks/signature.server.ts). */
  apiSecret: string;
  /** Puts the shop's drain job on the queue (jobs/drain.server.ts). */
  requestDrain(shop: string): Promise<void>;
  /** Batching of the intake statement; whether it is prepared is decided here, by asking the database. */
  recorder?: Pick<RecorderOptions, "maxInFlight" | "maxBatch">;
}

/**
 * Under sustained traffic a shop's drain is requested at most this often (a
 * drain already running picks up everything recorded before its next read;
 * the request only matters once it has stopped).
 */
const DRAIN_FOLLOW_UP_MS = 20;

/** How long closing waits for drain requests still on their way to the queue. */
const CLOSE_GRACE_MS = 5_000;

/**
 * What is left of an oversized body is read and dropped, up to this much,
 * before its 413 goes out: a sender still uploading when the connection
 * closes gets a reset instead of the answer. Past it, the connection is cut.
 */
const OVERSIZED_DRAIN_BYTES = 16 * 1024 * 1024;

export interface WebhookEndpoint {
  /** Answers one request to /webhooks/…; never throws. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  close(): Promise<void>;
}

/**
 * Every webhook subscription in shopify.app.toml (`/webhooks/<topic>`; the
 * topic is in the signed headers) is answered here, in front of Remix: intake
 * needs the raw body, a few headers and one database statement, and Remix's
 * pipeline (a Fetch Request and Response per request, route matching) was a
 * large part of what each webhook cost (docs/decisions/0008-webhook-ingest-path.md).
 */
export async function createWebhookEndpoint(deps: WebhookEndpointDeps): Promise<WebhookEndpoint> {
  const options = deps.recorder ?? DEFAULT_RECORDER_OPTIONS;
  const pool = new pg.Pool({ connectionString: deps.databaseUrl, max: options.maxInFlight });
  // An idle connection that drops is replaced on the next statement; the statement that needed it reports the error.
  pool.on("error", (error) => log.error({ err: error }, "webhook intake connection lost"));
  // DATABASE_URL may point at an embedded database another process serves: ask the server what it is.
  const recorderOptions: RecorderOptions = { ...options, prepared: !(await servesEmbedded(pool)) };
  const drains = new DrainRequests(deps.requestDrain, { followUpDelayMs: DRAIN_FOLLOW_UP_MS });
  const recorder = new DeliveryRecorder(
    pool,
    (shop) => {
      // The delivery is recorded; if the queue cannot be reached, the next delivery or the heartbeat asks again.
      drains.request(shop).catch((error: unknown) => shopLog(shop).error({ err: error }, "could not request the webhook drain"));
    },
    recorderOptions,
  );
  const intake = {
    validate: (rawBody: string, request: IncomingWebhook) => checkWebhookSignature(deps.apiSecret, rawBody, request.header),
    record: recorder.record.bind(recorder),
  };
  return {
    handle(request, response) {
      receiveWebhook(intake, incomingWebhook(request)).then(
        (result) => (result.status === 413 ? answerOversized(request, response, result) : answer(response, result)),
        (error: unknown) => {
          log.error({ err: error }, "webhook intake failed");
          answer(response, { status: 500, message: "could not record the delivery" });
        },
      );
    },
    async close() {
      // Requests still on their way to the queue get a moment; if it is unreachable, the heartbeat asks later.
      await Promise.race([drains.idle(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      await pool.end();
    },
  };
}

function incomingWebhook(request: IncomingMessage): IncomingWebhook {
  return {
    method: request.method ?? "GET",
    header(name) {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    readBody: (limit) => readBody(request, limit),
  };
}

function readBody(request: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      settled = true;
      // The listeners outlive the read; the chunks need not.
      chunks = [];
      outcome();
    };
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) {
        // The rest is read and dropped before the 413 goes out (see `answerOversized`).
        settle(() => resolve(null));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (settled) return;
      const body = chunks.length === 1 ? (chunks[0]?.toString("utf8") ?? "") : Buffer.concat(chunks, size).toString("utf8");
      settle(() => resolve(body));
    });
    request.on("error", (error) => {
      if (settled) return;
      settle(() => reject(error));
    });
  });
}

/** The 413, once the sender has sent the rest of its body (read and dropped), or never when it sends more than OVERSIZED_DRAIN_BYTES. */
function answerOversized(request: IncomingMessage, response: ServerResponse, result: IntakeResult): void {
  if (request.complete) {
    answer(response, result);
    return;
  }
  let dropped = 0;
  request.on("data", (chunk: Buffer) => {
    dropped += chunk.byteLength;
    if (dropped > OVERSIZED_DRAIN_BYTES) request.destroy();
  });
  request.once("end", () => answer(response, result));
  request.resume();
}

function answer(response: ServerResponse, result: IntakeResult | { status: 500; message: string }): void {
  if (response.headersSent) return;
  const headers: Record<string, string> = { "Content-Type": "text/plain", "Content-Length": String(Buffer.byteLength(result.message)) };
  if (result.status === 405) headers.Allow = "POST";
  // An oversized request is not one to keep the connection open for.
  if (result.status === 413) headers.Connection = "close";
  response.writeHead(result.status, headers).end(result.message);
}
