import type { Database } from "../db/prisma.server";
import { customerIdSchema } from "../analytics/scope";
import { memberPerks, redeemInputSchema, redeemPerk, type PerkStatus } from "../perks/perks.server";

/**
 * What the POS extension asks about perks: a member's perks, and the
 * redemption of one at the counter. The shop always comes from the verified
 * session token, never from the request.
 */

export type PosPerksAnswer =
  | { status: 200; body: { ok: true; customerId: string; perks: PerkStatus[] } }
  | { status: 200; body: { ok: true; redemptionId: string; unitKey: string } }
  | { status: 400 | 404 | 409 | 422; body: { ok: false; message: string } };

/** GET ?customerId=… → the member's perks (empty for someone who is not a member). */
export async function posMemberPerks(db: Database, shop: string, query: URLSearchParams, now: Date = new Date()): Promise<PosPerksAnswer> {
  const customerId = customerIdSchema.safeParse(query.get("customerId") ?? "");
  if (!customerId.success) return { status: 400, body: { ok: false, message: `customerId: ${customerId.error.issues[0]?.message ?? "is invalid"}` } };
  const known = await db.customer.findUnique({ where: { shop_id: { shop, id: customerId.data } }, select: { id: true } });
  if (!known) return { status: 404, body: { ok: false, message: `Customer ${customerId.data} is not known in this shop.` } };
  return { status: 200, body: { ok: true, customerId: customerId.data, perks: await memberPerks(db, shop, customerId.data, now) } };
}

/** POST { programId, customerId, variantId?, mode, locationId? } → the redemption, or why not. */
export async function posRedeemPerk(db: Database, shop: string, body: unknown, now: Date = new Date()): Promise<PosPerksAnswer> {
  const input = redeemInputSchema.safeParse(body);
  if (!input.success) return { status: 400, body: { ok: false, message: input.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ") } };
  const redeemed = await redeemPerk(db, shop, input.data, now);
  if (redeemed.ok) return { status: 200, body: redeemed };
  return { status: redeemed.status, body: { ok: false, message: redeemed.message } };
}
