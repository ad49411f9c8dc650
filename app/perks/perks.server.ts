import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localDateOf } from "../analytics/local-dates";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { customerIdSchema } from "../analytics/scope";
import type { PerkProgram } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { assertNever } from "../lib/assert-never";
import { isPerkKind, isRegular, nextNthUnitKey, nthVisitStatus, untastedVariants, type PerkKind } from "./earning";
import { memberIdentity, type MemberIdentity } from "./identity.server";
import { variantIdSchema } from "./program-input";

/**
 * A member's perks and their redemption at the counter (issue 9). Perks are
 * earned from visits and used up by PerkRedemption rows; nothing else is
 * stored, so what is ready is always counted afresh. Redemption is exact
 * under concurrency: each perk a member can take has a unit key (their n-th
 * perk of the program, or the variant tasted), and the unique key (shop,
 * program, customer, unit) lets exactly one of two registers write it.
 */

type Tx = Parameters<Parameters<Database["$transaction"]>[0]>[0];
type Reader = Database | Tx;

export interface PerkStatus {
  programId: string;
  kind: PerkKind;
  name: string;
  reward: string;
  /** Perks ready to redeem now. */
  ready: number;
  /** Tasting: variants still untasted; every_nth_visit: the variants it applies to ([] = any). */
  variantIds: string[];
  progress: { visitsCounted: number; everyVisits: number; visitsToNext: number } | null;
}

/** `replayed`: the request id was already redeemed (a register's retry); nothing new was given. */
export type RedeemResult = { ok: true; redemptionId: string; unitKey: string; replayed: boolean } | { ok: false; status: 404 | 409 | 422; message: string };

export const REDEMPTION_MODES = ["discount", "recorded"] as const;

export const redeemInputSchema = z.object({
  programId: z.string({ error: "programId is required" }).trim().min(1, "programId is required").max(100, "programId must be at most 100 characters"),
  customerId: customerIdSchema,
  variantId: variantIdSchema.nullish(),
  mode: z.enum(REDEMPTION_MODES, { error: `mode must be "discount" (a 100 % line discount on the item) or "recorded" (given, noted only)` }),
  locationId: z
    .string({ error: "locationId must be a string" })
    .transform((value) => value.trim().replace(/^gid:\/\/shopify\/Location\//, ""))
    .pipe(z.string().regex(/^[1-9][0-9]{0,19}$/, "locationId must be a Shopify location id such as 1001"))
    .nullish(),
  /**
   * Chosen by the register for one tap and sent again on a retry, so a
   * retry after a lost answer gets the first answer back instead of
   * redeeming the next perk. Becomes the redemption's id.
   */
  requestId: z
    .string({ error: "requestId must be a string" })
    .regex(/^[A-Za-z0-9_-]{16,64}$/, "requestId must be 16–64 letters, digits, '-' or '_' (a UUID will do)")
    .nullish(),
});

export type RedeemInput = z.input<typeof redeemInputSchema>;

/** The shop's local date at `now`, for programs that start on a date. */
async function shopToday(db: Database, shop: string, now: Date): Promise<Date> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  return localDateOf(now, timezone);
}

async function isActiveMember(db: Reader, shop: string, who: MemberIdentity): Promise<boolean> {
  return (await db.member.count({ where: { shop, customerId: { in: who.ids }, status: "active" } })) > 0;
}

/** Visits that earn: the survivor's Visit rows (merges move visits to the survivor) from the program's start. */
function countedVisits(db: Reader, shop: string, who: MemberIdentity, startsOn: Date): Promise<number> {
  return db.visit.count({ where: { shop, customerId: who.survivorId, localDate: { gte: startsOn } } });
}

/** Redemptions of the program by the member under any of their ids (a merged-away id keeps its history). */
function redemptionsOf(db: Reader, shop: string, programId: string, who: MemberIdentity) {
  return db.perkRedemption.findMany({ where: { shop, programId, customerId: { in: who.ids } }, select: { unitKey: true } });
}

async function tastingRegular(db: Reader, shop: string, program: PerkProgram, who: MemberIdentity): Promise<boolean> {
  if (program.segmentId === null) return isRegular(null, false, await db.visit.count({ where: { shop, customerId: who.survivorId } }));
  const inSegment = await db.segmentMembership.count({ where: { shop, segmentId: program.segmentId, customerId: { in: who.ids }, exitedAt: null } });
  return isRegular(program.segmentId, inSegment > 0, 0);
}

async function programStatus(db: Database, shop: string, program: PerkProgram, kind: PerkKind, who: MemberIdentity, today: Date): Promise<PerkStatus | null> {
  const base = { programId: program.id, kind, name: program.name, reward: program.reward };
  switch (kind) {
    case "every_nth_visit": {
      if (program.everyVisits === null || program.everyVisits < 1) return null;
      const [visits, redeemed] = await Promise.all([countedVisits(db, shop, who, program.startsOn), redemptionsOf(db, shop, program.id, who)]);
      const status = nthVisitStatus(visits, program.everyVisits, redeemed.length);
      return { ...base, ready: status.ready, variantIds: program.variantIds, progress: { visitsCounted: visits, everyVisits: program.everyVisits, visitsToNext: status.visitsToNext } };
    }
    case "new_item_tasting": {
      if (program.startsOn.getTime() > today.getTime() || !(await tastingRegular(db, shop, program, who))) return null;
      const tasted = await redemptionsOf(db, shop, program.id, who);
      const untasted = untastedVariants(program.variantIds, tasted.map((row) => row.unitKey));
      return { ...base, ready: untasted.length, variantIds: untasted, progress: null };
    }
    default:
      return assertNever(kind, "perk kind");
  }
}

/**
 * The perks of a member under the shop's active programs, oldest program
 * first. Empty for someone who is not an active member. A tasting appears
 * only for regulars once it has started; a visit program always shows the
 * progress towards the next perk.
 */
export async function memberPerks(db: Database, shop: string, customerId: string, now: Date = new Date()): Promise<PerkStatus[]> {
  const who = await memberIdentity(db, shop, customerId);
  if (!(await isActiveMember(db, shop, who))) return [];
  const [programs, today] = await Promise.all([
    db.perkProgram.findMany({ where: { shop, active: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    shopToday(db, shop, now),
  ]);
  const statuses: PerkStatus[] = [];
  for (const program of programs) {
    if (!isPerkKind(program.kind)) continue;
    const status = await programStatus(db, shop, program, program.kind, who, today);
    if (status) statuses.push(status);
  }
  return statuses;
}

/**
 * Gives one perk at the counter. Checked and written in one transaction; the
 * write is `INSERT … ON CONFLICT DO NOTHING` on the unique key, so when two
 * registers redeem the same perk at once the second waits for the first and
 * then writes nothing: exactly one wins, the other is told it was already
 * redeemed (409), and no unique-violation error escapes. With a `requestId`
 * (the register's id for one tap, which becomes the redemption's id), a
 * retry gets the first try's answer back (`replayed`), also when it races
 * the first try, and never a second perk.
 */
export async function redeemPerk(db: Database, shop: string, input: RedeemInput, now: Date = new Date()): Promise<RedeemResult> {
  const parsed = redeemInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, status: 422, message: parsed.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("; ") };
  const { programId, customerId, mode } = parsed.data;
  const variantId = parsed.data.variantId ?? null;
  const locationId = parsed.data.locationId ?? null;

  const program = await db.perkProgram.findUnique({ where: { shop_id: { shop, id: programId } } });
  if (!program || !isPerkKind(program.kind)) return { ok: false, status: 404, message: `There is no perk program ${programId} in this shop.` };
  const kind = program.kind;
  const who = await memberIdentity(db, shop, customerId);
  if (!(await db.customer.findUnique({ where: { shop_id: { shop, id: who.survivorId } }, select: { id: true } }))) {
    return { ok: false, status: 404, message: `Customer ${customerId} is not known in this shop.` };
  }
  const requestId = parsed.data.requestId ?? null;
  // A retry of a redemption already made answers as the first time did, whatever has changed since.
  if (requestId !== null) {
    const earlier = await earlierRedemption(db, shop, requestId, { programId, customerId: who.survivorId });
    if (earlier) return earlier;
  }
  const give = async (): Promise<RedeemResult> => {
    if (!program.active) return { ok: false, status: 422, message: `"${program.name}" is paused: its perks cannot be redeemed until the owner resumes it.` };
    if (!(await isActiveMember(db, shop, who))) return { ok: false, status: 422, message: `Customer ${customerId} is not a member: perks are for members only.` };
    if (mode === "discount" && variantId === null) return { ok: false, status: 422, message: "Choose the item (variantId) the 100 % line discount applies to." };

    const record = (tx: Tx, unitKey: string) => insertRedemption(tx, { shop, id: requestId ?? randomUUID(), programId, customerId: who.survivorId, unitKey, mode, variantId, locationId, redeemedAt: now });
    switch (kind) {
      case "every_nth_visit": {
        const everyVisits = program.everyVisits;
        if (everyVisits === null || everyVisits < 1) return { ok: false, status: 422, message: `"${program.name}" has no visit count set; edit the program first.` };
        if (variantId !== null && program.variantIds.length > 0 && !program.variantIds.includes(variantId)) {
          return { ok: false, status: 422, message: `"${program.name}" applies to variants ${program.variantIds.join(", ")} only (got ${variantId}).` };
        }
        return db.$transaction(async (tx): Promise<RedeemResult> => {
          const [visits, redeemed] = await Promise.all([countedVisits(tx, shop, who, program.startsOn), redemptionsOf(tx, shop, programId, who)]);
          const status = nthVisitStatus(visits, everyVisits, redeemed.length);
          if (status.ready === 0) {
            const next = status.visitsToNext === 1 ? "1 more visit" : `${status.visitsToNext} more visits`;
            return { ok: false, status: 409, message: `No perk of "${program.name}" is ready: ${next} to the next one.` };
          }
          return record(tx, nextNthUnitKey(redeemed.length));
        });
      }
      case "new_item_tasting": {
        if (variantId === null) return { ok: false, status: 422, message: `Choose which new item to taste (variantId): ${program.variantIds.join(", ")}.` };
        if (!program.variantIds.includes(variantId)) return { ok: false, status: 422, message: `Variant ${variantId} is not one of the new items of "${program.name}" (${program.variantIds.join(", ")}).` };
        const today = await shopToday(db, shop, now);
        if (program.startsOn.getTime() > today.getTime()) return { ok: false, status: 422, message: `"${program.name}" starts on ${program.startsOn.toISOString().slice(0, 10)}.` };
        if (!(await tastingRegular(db, shop, program, who))) {
          return { ok: false, status: 422, message: program.segmentId === null ? `"${program.name}" is for regulars: members with 3 or more visits.` : `"${program.name}" is for the members of segment ${program.segmentId}; this customer is not in it.` };
        }
        return db.$transaction(async (tx): Promise<RedeemResult> => {
          const tasted = await redemptionsOf(tx, shop, programId, who);
          if (tasted.some((row) => row.unitKey === variantId)) return alreadyRedeemed(program.name);
          return record(tx, variantId);
        });
      }
      default:
        return assertNever(kind, "perk kind");
    }
  };
  const result = await give();
  // Refused as taken: by this very request id if its first try won meanwhile (a retry racing it), which is then its answer.
  if (!result.ok && result.status === 409 && requestId !== null) return (await earlierRedemption(db, shop, requestId, { programId, customerId: who.survivorId })) ?? result;
  return result;
}

function alreadyRedeemed(programName: string): RedeemResult {
  return { ok: false, status: 409, message: `This perk of "${programName}" was already redeemed (perhaps just now at another register); refresh the member to see what is left.` };
}

interface RedemptionRow {
  shop: string;
  id: string;
  programId: string;
  customerId: string;
  unitKey: string;
  mode: string;
  variantId: string | null;
  locationId: string | null;
  redeemedAt: Date;
}

async function insertRedemption(tx: Tx, row: RedemptionRow): Promise<RedeemResult> {
  // Either conflict means nothing is given: the perk unit is taken (another register), or the request id is (a retry racing its first try; see redeemPerk).
  const written = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "PerkRedemption" (shop, id, "programId", "customerId", "unitKey", mode, "variantId", "locationId", "redeemedAt")
    VALUES (${row.shop}, ${row.id}, ${row.programId}, ${row.customerId}, ${row.unitKey}, ${row.mode}, ${row.variantId}, ${row.locationId}, ${row.redeemedAt})
    ON CONFLICT DO NOTHING
    RETURNING id`;
  if (written.length === 0) {
    const program = await tx.perkProgram.findUnique({ where: { shop_id: { shop: row.shop, id: row.programId } }, select: { name: true } });
    return alreadyRedeemed(program?.name ?? row.programId);
  }
  return { ok: true, redemptionId: row.id, unitKey: row.unitKey, replayed: false };
}

/** The redemption made under this request id, as its answer; a request id used for another perk or member is refused. */
async function earlierRedemption(db: Database, shop: string, requestId: string, expected: { programId: string; customerId: string }): Promise<RedeemResult | null> {
  const earlier = await db.perkRedemption.findUnique({ where: { shop_id: { shop, id: requestId } }, select: { programId: true, customerId: true, unitKey: true } });
  if (!earlier) return null;
  if (earlier.programId !== expected.programId || earlier.customerId !== expected.customerId) {
    return { ok: false, status: 422, message: `requestId ${requestId} was already used for another redemption; send a new one for each tap.` };
  }
  return { ok: true, redemptionId: requestId, unitKey: earlier.unitKey, replayed: true };
}
