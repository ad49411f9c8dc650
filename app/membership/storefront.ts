import { z } from "zod";
import { MAX_CONSENT_TEXT_LENGTH } from "./consent";

/** What the storefront join block sends and is told, validated at the app proxy. */

export const joinRequestSchema = z.object({
  /** The consent text exactly as the block showed it (a merchant setting). */
  consentText: z
    .string({ error: "consentText is required" })
    .trim()
    .min(1, "consentText must not be empty")
    .max(MAX_CONSENT_TEXT_LENGTH, `consentText must be at most ${MAX_CONSENT_TEXT_LENGTH} characters`),
  accepted: z.literal(true, { error: "accepted must be true: joining needs the customer's consent" }),
});

export const leaveRequestSchema = z.object({});

export const STOREFRONT_MESSAGES = {
  loginToJoin: "Log in to join the membership.",
  loginToLeave: "Log in to manage your membership.",
} as const;
