import http from "node:http";
import https from "node:https";
import { guardedLookup, type EndpointPolicy } from "./endpoint-policy.server";

/**
 * Sends a prepared push request (web-push's `generateRequestDetails`) over
 * keep-alive connections: one TLS handshake per push-service connection,
 * not per message. Plain-HTTP endpoints exist only for the test receiver
 * (the endpoint policy refuses them otherwise). Every socket resolves its
 * host through the endpoint policy's guarded lookup.
 */

export interface PushRequest {
  endpoint: string;
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
  send(request: PushRequest): Promise<PushResponse>;
  close(): void;
}

/** A push service that does not answer within this is treated as a failed attempt (retried). */
export const PUSH_REQUEST_TIMEOUT_MS = 10_000;
/** Connections kept per push-service origin; requests beyond wait for one. */
const SOCKETS_PER_ORIGIN = 64;
const BODY_CHARS_KEPT = 300;

export function createPushTransport(policy: Pick<EndpointPolicy, "allowLocalReceivers">, options: { timeoutMs?: number; now?: () => number } = {}): PushTransport {
  const agentOptions = { keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN, scheduling: "lifo" as const };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const lookup = guardedLookup(policy);
  const timeoutMs = options.timeoutMs ?? PUSH_REQUEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  return {
    send(request) {
      const url = new URL(request.endpoint);
      const secure = url.protocol === "https:";
      const requestOptions: http.RequestOptions = {
        method: request.method,
        hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === "" ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: request.headers,
        agent: secure ? httpsAgent : httpAgent,
        lookup,
        timeout: timeoutMs,
      };
      return new Promise<PushResponse>((resolve, reject) => {
        const outgoing = (secure ? https : http).request(requestOptions, (response) => {
          const statusCode = response.statusCode ?? 0;
          let body = "";
          // Read to the end even when the text is not kept: an unread body holds the socket.
          if (statusCode >= 200 && statusCode < 300) {
            response.resume();
          } else {
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => {
              if (body.length < BODY_CHARS_KEPT) body += chunk.slice(0, BODY_CHARS_KEPT - body.length);
            });
          }
          response.on("end", () => resolve({ statusCode, retryAfterSeconds: parseRetryAfter(response.headers["retry-after"], now()), body }));
          response.on("error", reject);
        });
        outgoing.on("timeout", () => outgoing.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
        outgoing.on("error", reject);
        outgoing.end(request.body ?? undefined);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
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
