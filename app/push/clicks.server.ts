import type { Database } from "../db/prisma.server";
import { verifyClickToken } from "./click-token.server";
import { storefrontDestination } from "./payload";

/**
 * A tap on a notification: the token names the delivery; the first tap is
 * recorded (clickedAt) and every tap is sent on to the delivery's
 * destination, which the shop chose when the push was enqueued and which is
 * always a path on its own storefront.
 */

export type ClickOutcome =
  | { ok: true; destination: string; recorded: boolean }
  | { ok: false; reason: "malformed" | "bad-signature" | "expired"; message: string };

export async function recordPushClick(db: Database, clickKey: Buffer, input: { shop: string; token: string; at: Date }): Promise<ClickOutcome> {
  const check = verifyClickToken(clickKey, input.token, { shop: input.shop, nowSeconds: Math.floor(input.at.getTime() / 1000) });
  if (!check.ok) return check;
  const rows = await db.$queryRaw<Array<{ url: string | null; first: boolean }>>`
    UPDATE "PushDelivery" SET "clickedAt" = COALESCE("clickedAt", ${input.at})
    WHERE shop = ${input.shop} AND id = ${check.deliveryId}
    RETURNING payload->>'url' AS url, "clickedAt" = ${input.at}::timestamp AS first`;
  const row = rows[0];
  // The delivery was erased since (customer redaction): the tap still lands on the shop.
  if (!row) return { ok: true, destination: "/", recorded: false };
  const destination = row.url === null ? null : storefrontDestination(row.url, input.shop);
  return { ok: true, destination: destination?.ok ? destination.path : "/", recorded: row.first };
}
