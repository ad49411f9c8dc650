import { z } from "zod";
import { MAX_CONSENT_TEXT_LENGTH } from "../membership/consent";
import { MAX_ENDPOINT_CHARS } from "./endpoint-policy.server";

/** What the storefront push script sends through the app proxy, validated there. */

/** base64url (padding tolerated, as some browsers add it) of exactly `bytes` bytes. */
const base64urlBytes = (field: string, bytes: number) =>
  z
    .string({ error: `${field} is required` })
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${field} must be base64url`)
    .transform((value) => value.replace(/=+$/, ""))
    .refine((value) => Buffer.from(value, "base64url").length === bytes, `${field} must be ${bytes} bytes`);

/** The storefront's id for this browser (localStorage), which links an anonymous subscription later. */
export const browserIdSchema = z
  .string({ error: "browserId is required" })
  .regex(/^[A-Za-z0-9_-]{16,64}$/, "browserId must be 16–64 letters, digits, - or _");

export const subscribeRequestSchema = z.object({
  /** `PushSubscription.toJSON()` as the browser gives it. */
  subscription: z.object(
    {
      endpoint: z.string({ error: "subscription.endpoint is required" }).min(1).max(MAX_ENDPOINT_CHARS, `subscription.endpoint must be at most ${MAX_ENDPOINT_CHARS} characters`),
      expirationTime: z.number().nullable().optional(),
      keys: z.object(
        { p256dh: base64urlBytes("subscription.keys.p256dh", 65), auth: base64urlBytes("subscription.keys.auth", 16) },
        { error: "subscription.keys must be { p256dh, auth }" },
      ),
    },
    { error: "subscription must be the browser's PushSubscription as JSON" },
  ),
  /** The public key the browser subscribed with (base64url), which says which of the shop's keys signs its pushes. */
  applicationServerKey: base64urlBytes("applicationServerKey", 65),
  browserId: browserIdSchema,
  /**
   * Sent with the request that follows the customer's tap on the prompt (or,
   * for a visitor who tapped before logging in, with the first request once
   * they are logged in): the prompt's words, recorded as their push consent.
   */
  optIn: z
    .object({
      consentText: z
        .string({ error: "optIn.consentText is required" })
        .trim()
        .min(1, "optIn.consentText must not be empty")
        .max(MAX_CONSENT_TEXT_LENGTH, `optIn.consentText must be at most ${MAX_CONSENT_TEXT_LENGTH} characters`),
    })
    .optional(),
});

export const unsubscribeRequestSchema = z.object({
  endpoint: z.string({ error: "endpoint is required" }).min(1).max(MAX_ENDPOINT_CHARS, `endpoint must be at most ${MAX_ENDPOINT_CHARS} characters`),
});

export type SubscribeRequest = z.infer<typeof subscribeRequestSchema>;

/** Recorded when a logged-in customer turns notifications off on their last subscribed browser. */
export const WITHDRAW_PUSH_ON_UNSUBSCRIBE_TEXT = "Turned off notifications from the shop.";
