import webpush from "web-push";
import { requireEncryptionKey } from "../config.server";
import type { Database } from "../db/prisma.server";
import type { Runtime } from "../runtime.server";
import { clickTokenKey } from "./click-token.server";
import { checkEndpointShape, type EndpointPolicy } from "./endpoint-policy.server";
import { loadPushSigningKey } from "./keys.server";
import { createPushTransport, type PushResponse, type PushTransport } from "./transport.server";
import { VapidAuthorizationCache, type VapidSigner } from "./vapid.server";
import type { Urgency } from "./payload";

/**
 * What a process keeps for sending pushes: keep-alive connections, the
 * Authorization headers signed per (key, push-service origin), the shops'
 * opened signing keys, and the click-token key. One per runtime, shared by
 * every drain the process runs.
 */

export interface OutgoingPush {
  endpoint: string;
  p256dh: string;
  auth: string;
  /**
   * The JSON the service worker receives, built only once the push
   * service's window has room (so a batch's waiting pushes hold no
   * message, click token or encrypted body).
   */
  message: () => string;
  ttlSeconds: number;
  urgency: Urgency;
  topic: string | null;
}

export interface PushSender {
  readonly policy: EndpointPolicy;
  readonly clickKey: Buffer;
  readonly vapid: VapidAuthorizationCache;
  signer(db: Database, shop: string, keyId: string): Promise<VapidSigner | null>;
  /** Encrypts (RFC 8291 aes128gcm) and sends one push; rejects only on a network failure. */
  send(push: OutgoingPush, signer: VapidSigner): Promise<PushResponse>;
  close(): void;
}

export function createPushSender(
  config: Pick<Runtime["config"], "push" | "encryptionKey">,
  options: { transport?: PushTransport; now?: () => number } = {},
): PushSender {
  const applicationKey = requireEncryptionKey(config);
  const policy: EndpointPolicy = { serviceHosts: config.push.serviceHosts, allowLocalReceivers: config.push.allowLocalReceivers };
  const transport = options.transport ?? createPushTransport(policy, { http: config.push.http });
  const vapid = new VapidAuthorizationCache(config.push.contact, options.now);
  const signers = new Map<string, Promise<VapidSigner | null>>();
  return {
    policy,
    clickKey: clickTokenKey(applicationKey),
    vapid,
    signer(db, shop, keyId) {
      const cacheKey = `${shop} ${keyId}`;
      let signer = signers.get(cacheKey);
      if (!signer) {
        signer = loadPushSigningKey(db, applicationKey, shop, keyId);
        // A failure (e.g. the wrong APP_ENCRYPTION_KEY) is not remembered: the next drain tries again.
        signer.catch(() => signers.delete(cacheKey));
        signers.set(cacheKey, signer);
      }
      return signer;
    },
    send(push, signer) {
      const checked = checkEndpointShape(push.endpoint, policy);
      if (!checked.ok) return Promise.reject(new EndpointRefusedError(checked.message));
      const url = checked.url;
      // Encrypted only once the push service's window has room, so no encrypted body waits in a queue.
      return transport.send(url, () => {
        const details = webpush.generateRequestDetails({ endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } }, push.message(), {
          TTL: push.ttlSeconds,
          urgency: push.urgency,
          contentEncoding: "aes128gcm",
          ...(push.topic ? { topic: push.topic } : {}),
        });
        const headers: Record<string, string | number> = details.headers;
        // Set after web-push built the request, so no process-wide VAPID setting can replace ours.
        headers.Authorization = vapid.authorization(signer, url.origin);
        return { method: details.method, headers, body: details.body };
      });
    },
    close() {
      transport.close();
    },
  };
}

/** The endpoint no longer passes the endpoint policy (e.g. the allow-list changed); not retried. */
export class EndpointRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EndpointRefusedError";
  }
}

const SENDERS = new WeakMap<Runtime, PushSender>();

export function pushSenderFor(runtime: Runtime): PushSender {
  let sender = SENDERS.get(runtime);
  if (!sender) {
    sender = createPushSender(runtime.config);
    SENDERS.set(runtime, sender);
  }
  return sender;
}

export function closePushSender(runtime: Runtime): void {
  SENDERS.get(runtime)?.close();
  SENDERS.delete(runtime);
}
