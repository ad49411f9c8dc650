import { z } from "zod";

/**
 * What a push says and where a tap leads, validated when the push is
 * enqueued so that nothing is refused at send time.
 *
 * Stored (PushDelivery.payload): `{ title, body, url, icon?, tag? }`, `url`
 * being a path on the shop's storefront. Sent to the browser (encrypted):
 * `{ v: 1, title, body, click, icon?, tag? }`, `click` the signed token the
 * service worker puts in the tracked link (app/push/click-token.server.ts);
 * the destination itself never leaves the app, so a token cannot be turned
 * into a redirect elsewhere.
 */

/**
 * RFC 8291 (aes128gcm) with one record: a push body is at most 4,096 bytes,
 * of which the header takes 86 (salt 16, record size 4, key id length 1, key
 * id = our 65-byte public key), the AES-GCM tag 16 and the padding delimiter 1.
 */
export const MAX_PUSH_PLAINTEXT_BYTES = 4096 - 86 - 16 - 1;

export const PUSH_LIMITS = { titleChars: 200, bodyChars: 2_000, urlChars: 2_000, iconChars: 2_000, tagChars: 64 } as const;

export const URGENCIES = ["very-low", "low", "normal", "high"] as const;
export type Urgency = (typeof URGENCIES)[number];

/** RFC 8030 §5.4: a topic is at most 32 characters of the URL-safe base64 alphabet. */
export const TOPIC_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Push services keep an undelivered message at most this long (FCM's maximum, four weeks). */
export const MAX_TTL_SECONDS = 28 * 24 * 3600;

export interface PushNotification {
  title: string;
  body: string;
  /** A storefront path, e.g. /products/oat-latte?variant=1#reviews */
  url: string;
  icon?: string;
  tag?: string;
}

/** A storefront path: starts with one "/", no scheme, no host, nothing a browser would read as another site. */
export function isStorefrontPath(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return value.startsWith("/") && !value.startsWith("//") && !/[\\\s\u0000-\u001f\u007f]/.test(value);
}

/**
 * Where a tap may lead: a storefront path, or an https address on the shop's
 * own domain (turned into its path, so the customer stays on whichever domain
 * they browse). Anything else is refused: a push never sends a customer off
 * the shop (and the click link can never become an open redirect).
 */
export function storefrontDestination(url: string, shop: string): { ok: true; path: string } | { ok: false; message: string } {
  const refused = { ok: false as const, message: `must be a storefront path such as /products/oat-latte, or an address on https://${shop}` };
  if (url.startsWith("/")) return isStorefrontPath(url) ? { ok: true, path: url } : refused;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refused;
  }
  if (parsed.protocol !== "https:" || parsed.hostname !== shop || parsed.port !== "" || parsed.username !== "" || parsed.password !== "") return refused;
  const path = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  return isStorefrontPath(path) ? { ok: true, path } : refused;
}

/** Messages name no field: the caller writes the path before them (e.g. "payload.title must not be empty"). */
const text = (max: number) => z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** The notification as a caller gives it (the url is checked against the shop separately). */
export const notificationSchema = z.strictObject(
  {
    title: text(PUSH_LIMITS.titleChars),
    body: text(PUSH_LIMITS.bodyChars),
    url: text(PUSH_LIMITS.urlChars),
    icon: z
      .string({ error: "must be text" })
      .max(PUSH_LIMITS.iconChars, `must be at most ${PUSH_LIMITS.iconChars} characters`)
      .refine((value) => isHttpsUrl(value), "must be an https:// image address")
      .optional(),
    tag: text(PUSH_LIMITS.tagChars).optional(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `has unknown field ${issue.keys.join(", ")} (a notification has title, body, url, icon, tag)` : "must be { title, body, url, icon?, tag? }") },
);

/** What the service worker receives, before encryption. */
export interface WireMessage {
  v: 1;
  title: string;
  body: string;
  click: string;
  icon?: string;
  tag?: string;
}

export function wireMessage(notification: PushNotification, clickToken: string): WireMessage {
  return {
    v: 1,
    title: notification.title,
    body: notification.body,
    click: clickToken,
    ...(notification.icon ? { icon: notification.icon } : {}),
    ...(notification.tag ? { tag: notification.tag } : {}),
  };
}

export function wireBytes(message: WireMessage): number {
  return Buffer.byteLength(JSON.stringify(message), "utf8");
}

/** The push would not fit in one Web Push message; the message says by how much. */
export class PushPayloadTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    where: string,
  ) {
    const over = bytes - MAX_PUSH_PLAINTEXT_BYTES;
    super(
      `${where}the push takes ${bytes.toLocaleString("en")} bytes as sent (title, body, icon, tag and the tracked link) ` +
        `but one Web Push message carries at most ${MAX_PUSH_PLAINTEXT_BYTES.toLocaleString("en")} (4 KB encrypted): ` +
        `shorten the title or body by at least ${over.toLocaleString("en")} bytes`,
    );
    this.name = "PushPayloadTooLargeError";
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}
