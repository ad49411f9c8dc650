import { createHash } from "node:crypto";
import { z } from "zod";
import { resolveCardCode, type CardRefusalReason } from "../cards/code.server";
import { parseCardCode } from "../cards/totp.server";
import type { Database } from "../db/prisma.server";
import { memberSummary, type MemberSummary } from "../members/summary.server";

/**
 * What the POS member extension asks the app: who a scanned or typed card
 * code belongs to, and the same summary for the customer already on a sale.
 * The shop always comes from the verified session token, never from the
 * request. Each resolved scan is recorded (CardScan): with the customer the
 * sale already had, it is evidence for merging duplicates (app/merges/).
 */

/** POS ids come as numbers, numeric strings or GraphQL ids ("gid://shopify/Customer/42"); the app keeps the number as text. */
const posId = (field: string) =>
  z
    .union([z.number().int().positive(), z.string().trim().min(1)], { error: `${field} must be an id` })
    .transform((value) => String(value).replace(/^gid:\/\/shopify\/[A-Za-z]+\//, ""))
    .refine((value) => /^[0-9]{1,20}$/.test(value), `${field} must be a Shopify id (digits)`);

export const scanRequestSchema = z.object({
  code: z.string({ error: "code is required: the code on the member's card" }).min(1, "code is required: the code on the member's card").max(64, "code is too long to be a member card code"),
  saleCustomerId: posId("saleCustomerId").nullish(),
  locationId: posId("locationId").nullish(),
});

const REFUSAL_STATUS: Record<CardRefusalReason, 400 | 404 | 410 | 422 | 429> = {
  malformed: 400,
  unknown: 404,
  revoked: 410,
  expired: 410,
  invalid: 422,
  locked: 429,
};

export type PosScanResult =
  | { status: 200; body: { ok: true; customerId: string; cardRef: string; member: MemberSummary | null } }
  | { status: 400 | 404 | 410 | 422 | 429; body: { ok: false; reason?: CardRefusalReason; message: string; retryAfterSeconds?: number } };

/** Resolves a card code and records the scan. A retried request (same code, sale and location) records one scan. */
export async function posScanMemberCard(db: Database, shop: string, body: unknown, now: Date = new Date()): Promise<PosScanResult> {
  const input = scanRequestSchema.safeParse(body);
  if (!input.success) return { status: 400, body: { ok: false, message: input.error.issues.map((issue) => issue.message).join("; ") } };
  const { code, saleCustomerId, locationId } = input.data;
  const resolved = await resolveCardCode(db, shop, code, now);
  if (!resolved.ok) {
    const { reason, message, retryAfterSeconds } = resolved;
    return { status: REFUSAL_STATUS[reason], body: { ok: false, reason, message, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) } };
  }
  const parsed = parseCardCode(code);
  const scanId = createHash("sha256")
    .update([resolved.cardRef, parsed?.digits ?? "", saleCustomerId ?? "", locationId ?? ""].join("|"))
    .digest("base64url")
    .slice(0, 32);
  await db.$transaction([
    db.$executeRaw`
      INSERT INTO "CardScan" (shop, id, "cardRef", "customerId", "saleCustomerId", "locationId", "scannedAt")
      VALUES (${shop}, ${scanId}, ${resolved.cardRef}, ${resolved.customerId}, ${saleCustomerId ?? null}, ${locationId ?? null}, ${now})
      ON CONFLICT (shop, id) DO NOTHING`,
    db.memberCard.update({ where: { shop_ref: { shop, ref: resolved.cardRef } }, data: { lastScannedAt: now } }),
  ]);
  const member = await memberSummary(db, shop, resolved.customerId, now);
  return { status: 200, body: { ok: true, customerId: member?.customerId ?? resolved.customerId, cardRef: resolved.cardRef, member } };
}

export type PosMemberResult = { status: 200; body: { ok: true; member: MemberSummary } } | { status: 400 | 404; body: { ok: false; message: string } };

/** The summary for the customer on a sale (the customer-details block). */
export async function posMemberForCustomer(db: Database, shop: string, query: URLSearchParams, now: Date = new Date()): Promise<PosMemberResult> {
  const parsed = posId("customerId").safeParse(query.get("customerId") ?? "");
  if (!parsed.success) return { status: 400, body: { ok: false, message: "customerId is required: the id of the customer on the sale" } };
  const member = await memberSummary(db, shop, parsed.data, now);
  if (!member) return { status: 404, body: { ok: false, message: `Customer ${parsed.data} is not known to Regulars in this shop yet.` } };
  return { status: 200, body: { ok: true, member } };
}
