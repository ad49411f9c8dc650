import { z } from "zod";
import type { PickupErrorCode } from "./errors";

/**
 * What the order-ahead page sends through the app proxy, read into the
 * shapes placeHold and releaseHold take. Either the page's form
 * (`location`, `slot`, `qty.<variantId>`) or JSON from a theme script
 * (`{ locationId, slotStart, items: [{ variantId, quantity }] }`). Values are
 * passed on as given so placeHold's own checks name what is wrong.
 */

export interface HoldRequest {
  locationId: string;
  slotStart: Date;
  items: unknown;
  /** What the member entered, to show again beside a message. */
  entered: { quantities: Record<string, string>; slot: string | null };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 instant, or an invalid Date that placeHold refuses with "choose a pickup slot". */
export function slotFrom(text: string | null | undefined): Date {
  return text && ISO_INSTANT.test(text.trim()) ? new Date(text.trim()) : new Date(Number.NaN);
}

export function holdRequestFromForm(form: URLSearchParams): HoldRequest {
  const quantities: Record<string, string> = {};
  const items: Array<{ variantId: string; quantity: unknown }> = [];
  for (const [key, raw] of form) {
    if (!key.startsWith("qty.")) continue;
    const variantId = key.slice("qty.".length);
    const text = raw.trim();
    quantities[variantId] = text;
    if (text === "" || text === "0") continue;
    items.push({ variantId, quantity: /^-?\d{1,9}$/.test(text) ? Number(text) : text });
  }
  const slot = form.get("slot");
  return { locationId: (form.get("location") ?? "").trim(), slotStart: slotFrom(slot), items, entered: { quantities, slot } };
}

export const holdRequestJson = z.object({
  locationId: z.string({ error: "locationId must be the pickup location's id" }),
  slotStart: z.string({ error: "slotStart must be the slot's start time (ISO 8601)" }),
  items: z.array(z.unknown(), { error: "items must be a list of { variantId, quantity }" }),
});

export function holdRequestFromJson(body: z.infer<typeof holdRequestJson>): HoldRequest {
  return { locationId: body.locationId.trim(), slotStart: slotFrom(body.slotStart), items: body.items, entered: { quantities: {}, slot: body.slotStart } };
}

export const releaseRequestJson = z.object({
  holdId: z.string({ error: "holdId is required" }).trim().min(1, "holdId must not be empty").max(64, "holdId is at most 64 characters"),
});

/** The HTTP status of a refused hold: a full slot is a conflict, a shop that is not installed is not found, anything else is bad input. */
export function holdFailureStatus(code: PickupErrorCode): number {
  if (code === "slot-full") return 409;
  if (code === "unknown-shop") return 404;
  return 400;
}
