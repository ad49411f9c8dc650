import { randomBytes } from "node:crypto";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { parseCartLines } from "./cart";
import { failure, PickupError, type PickupFailure } from "./errors";
import { clockLabel, intervalsOn, isoWeekdayOf, localDateText, MAX_DAYS_AHEAD, timingReason, wallClockAt } from "./hours";
import { getPickupSettings, locationIdSchema, storedHours } from "./settings.server";
import { shopTimeZone } from "./slots.server";

/**
 * Holds: a member's place in a pickup slot while they check out, and the
 * places paid orders take. Counting rule (docs/decisions/0019-pickup-capacity.md):
 *
 *   PickupSlot.orders = holds in status "held" + holds "converted" into an order
 *                       + orders that took a place without a live hold (flagged)
 *   PickupSlot.items  = the same, counting drinks (menu items with isDrink)
 *
 * Every change of a hold's status and the matching change of its slot's
 * counts happen in one SQL statement, so the counts cannot drift: placing is
 * one conditional INSERT … ON CONFLICT DO UPDATE … WHERE (there is room) whose
 * result feeds the hold's INSERT; releasing, expiring and converting change
 * the hold only from "held", so two of them can never both free one place.
 */

type Db = Database | Prisma.TransactionClient;

export type HoldStatus = "held" | "converted" | "expired" | "released";

export interface HoldItem {
  variantId: string;
  productId: string;
  title: string;
  quantity: number;
  price: string;
  isDrink: boolean;
}

export interface PickupHold {
  shop: string;
  id: string;
  locationId: string;
  slotStart: Date;
  customerId: string | null;
  items: HoldItem[];
  itemCount: number;
  drinkCount: number;
  status: string;
  expiresAt: Date;
  cartId: string | null;
  checkoutUrl: string | null;
  orderId: string | null;
}

export { MAX_DAYS_AHEAD } from "./hours";
const MINUTE_MS = 60_000;
const CUSTOMER = /^[1-9][0-9]{0,19}$/;

export interface PlaceHoldInput {
  shop: string;
  locationId: string;
  slotStart: Date;
  customerId: string | null;
  items: unknown;
  now?: Date;
}

export type PlaceHoldResult = { ok: true; hold: PickupHold } | PickupFailure;

/** A random, unguessable hold id: 128 bits, base64url (22 characters). */
export function newHoldId(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * Takes a place in a slot for a member's cart, if the input is valid and the
 * slot has room. Either the place and the hold are both stored, or nothing is.
 */
export async function placeHold(db: Database, input: PlaceHoldInput): Promise<PlaceHoldResult> {
  const now = input.now ?? new Date();
  const location = locationIdSchema.safeParse(input.locationId);
  if (!location.success) return failure("unknown-location", "locationId", location.error.issues[0]?.message ?? "location id is invalid");
  const locationId = location.data;
  if (input.customerId !== null && !CUSTOMER.test(input.customerId)) return failure("bad-customer", "customerId", "customer id must be a Shopify customer id");
  const cart = parseCartLines(input.items);
  if (!cart.ok) return cart;
  if (!(input.slotStart instanceof Date) || Number.isNaN(input.slotStart.getTime())) return failure("slot-not-on-grid", "slotStart", "choose a pickup slot");

  let timezone: string;
  try {
    timezone = await shopTimeZone(db, input.shop);
  } catch (error) {
    if (error instanceof PickupError) return failure(error.code, error.field, error.message);
    throw error;
  }
  const settings = await getPickupSettings(db, input.shop, locationId);
  if (!settings.stored) return failure("unknown-location", "locationId", `this shop has no pickup location ${locationId}`);
  if (!settings.enabled) return failure("pickup-disabled", "locationId", "this location does not take orders ahead at the moment");

  const slotProblem = checkSlot(input.slotStart, settings, timezone, now);
  if (slotProblem) return slotProblem;

  const menu = await db.pickupMenuItem.findMany({ where: { shop: input.shop, variantId: { in: cart.lines.map((line) => line.variantId) } } });
  const byVariant = new Map(menu.map((item) => [item.variantId, item]));
  const items: HoldItem[] = [];
  for (const [index, line] of cart.lines.entries()) {
    const item = byVariant.get(line.variantId);
    if (!item) return failure("item-not-on-menu", `items.${index}.variantId`, `item ${index + 1} (variant ${line.variantId}) cannot be ordered ahead`);
    if (!item.available) return failure("item-unavailable", `items.${index}.variantId`, `${item.title} is not available to order ahead right now`);
    items.push({ variantId: item.variantId, productId: item.productId, title: item.title, quantity: line.quantity, price: item.price.toFixed(4), isDrink: item.isDrink });
  }
  const itemCount = items.reduce((sum, item) => sum + item.quantity, 0);
  const drinkCount = items.reduce((sum, item) => sum + (item.isDrink ? item.quantity : 0), 0);

  // Holds of this slot that ran out free their place first, so the last place is not lost to a hold nobody is using.
  await expireSlotHolds(db, input.shop, locationId, input.slotStart, now);

  const id = newHoldId();
  const expiresAt = new Date(now.getTime() + settings.holdMinutes * MINUTE_MS);
  const capOrders = settings.capacityOrders;
  const capItems = settings.capacityItems;
  const rows = await db.$queryRaw<HoldRow[]>`
    WITH taken AS (
      INSERT INTO "PickupSlot" AS s (shop, "locationId", "slotStart", orders, items)
      SELECT ${input.shop}, ${locationId}, ${input.slotStart}::timestamp, 1, ${drinkCount}::int
      WHERE ${capItems}::int IS NULL OR ${drinkCount}::int <= ${capItems}::int
      ON CONFLICT (shop, "locationId", "slotStart") DO UPDATE
        SET orders = s.orders + 1, items = s.items + EXCLUDED.items
        WHERE (${capOrders}::int IS NULL OR s.orders < ${capOrders}::int)
          AND (${capItems}::int IS NULL OR s.items + EXCLUDED.items <= ${capItems}::int)
      RETURNING s.shop
    )
    INSERT INTO "PickupHold" (shop, id, "locationId", "slotStart", "customerId", items, "itemCount", "drinkCount", status, "expiresAt", "createdAt", "updatedAt")
    SELECT ${input.shop}, ${id}, ${locationId}, ${input.slotStart}::timestamp, ${input.customerId}, ${JSON.stringify(items)}::jsonb,
      ${itemCount}::int, ${drinkCount}::int, 'held', ${expiresAt}::timestamp, ${now}::timestamp, ${now}::timestamp
    FROM taken
    RETURNING ${HOLD_COLUMNS}`;
  const [row] = rows;
  if (row) return { ok: true, hold: toHold(row) };
  return fullFailure(db, input.shop, locationId, input.slotStart, { capOrders, capItems, drinkCount });
}

/** Why a slot start cannot take a hold by time and hours alone, or null. */
function checkSlot(
  slotStart: Date,
  settings: { hours: unknown; slotMinutes: number; leadMinutes: number; cutoffMinutes: number },
  timezone: string,
  now: Date,
): PickupFailure | null {
  const wall = wallClockAt(slotStart, timezone);
  if (!wall.wholeMinute || wall.minute % settings.slotMinutes !== 0) {
    return failure("slot-not-on-grid", "slotStart", `pickup slots start every ${settings.slotMinutes} minutes; choose one of the listed slots`);
  }
  const label = `${localDateText(wall.localDate)} ${clockLabel(wall.minute)}`;
  if (slotStart.getTime() <= now.getTime()) return failure("slot-past", "slotStart", `the slot at ${label} has already started; choose a later one`);
  if (slotStart.getTime() > now.getTime() + MAX_DAYS_AHEAD * 1440 * MINUTE_MS) {
    return failure("slot-too-far", "slotStart", `orders can be placed at most ${MAX_DAYS_AHEAD} days ahead`);
  }
  const interval = intervalsOn(storedHours(settings.hours), isoWeekdayOf(wall.localDate)).find((range) => wall.minute >= range.opens && wall.minute < range.closes);
  if (!interval) return failure("slot-closed", "slotStart", `the cafe is closed for pickup at ${label}`);
  const reason = timingReason({ start: slotStart, minute: wall.minute, closes: interval.closes }, settings, now);
  if (reason === "lead") return failure("slot-lead", "slotStart", `the slot at ${label} is too soon: orders need ${settings.leadMinutes} minutes to prepare`);
  if (reason === "cutoff") {
    return failure("slot-cutoff", "slotStart", `orders close ${settings.cutoffMinutes} minutes before closing time (${clockLabel(interval.closes)}); choose an earlier slot`);
  }
  return null;
}

async function fullFailure(
  db: Db,
  shop: string,
  locationId: string,
  slotStart: Date,
  limits: { capOrders: number | null; capItems: number | null; drinkCount: number },
): Promise<PickupFailure> {
  const slot = await db.pickupSlot.findUnique({ where: { shop_locationId_slotStart: { shop, locationId, slotStart } } });
  const ordersFull = limits.capOrders !== null && (slot?.orders ?? 0) >= limits.capOrders;
  if (ordersFull || limits.capItems === null) return failure("slot-full", "slotStart", "this slot is full; choose another one");
  const left = Math.max(0, limits.capItems - (slot?.items ?? 0));
  return left === 0
    ? failure("slot-full", "slotStart", "this slot is full; choose another one")
    : failure("slot-full", "slotStart", `this slot has room for ${left} more drink${left === 1 ? "" : "s"} (your order has ${limits.drinkCount}); choose another slot or fewer drinks`);
}

// ---------------------------------------------------------------------------
// Releasing and expiring: a held place goes back to the slot exactly once.
// ---------------------------------------------------------------------------

/** The member gave up the hold. Idempotent: releasing a hold that is no longer held changes nothing. */
export async function releaseHold(db: Db, shop: string, holdId: string): Promise<{ released: boolean; status: string | null }> {
  const freed = await db.$queryRaw<Array<{ id: string }>>`
    WITH freed AS (
      UPDATE "PickupHold" SET status = 'released', "updatedAt" = now()
      WHERE shop = ${shop} AND id = ${holdId} AND status = 'held'
      RETURNING "locationId", "slotStart", "drinkCount", id
    ), slot AS (
      UPDATE "PickupSlot" s SET orders = s.orders - 1, items = s.items - f."drinkCount"
      FROM freed f WHERE s.shop = ${shop} AND s."locationId" = f."locationId" AND s."slotStart" = f."slotStart"
    )
    SELECT id FROM freed`;
  if (freed.length > 0) return { released: true, status: "released" };
  const hold = await db.pickupHold.findUnique({ where: { shop_id: { shop, id: holdId } }, select: { status: true } });
  return { released: false, status: hold?.status ?? null };
}

export interface ExpireHoldsInput {
  /** One shop, or every shop with pickup settings. */
  shop?: string;
  now: Date;
}

/**
 * Frees the places of holds past their expiry. Idempotent and safe to run
 * concurrently with itself, placing, releasing and converting: only holds
 * still "held" change, each exactly once.
 */
export async function expireHolds(db: Database, input: ExpireHoldsInput): Promise<{ expired: number }> {
  const shops = input.shop !== undefined ? [input.shop] : (await db.pickupSettings.findMany({ distinct: ["shop"], select: { shop: true } })).map((row) => row.shop);
  let expired = 0;
  for (const shop of shops) {
    expired += await withDeadlockRetry(() => expireWhere(db, Prisma.sql`shop = ${shop} AND status = 'held' AND "expiresAt" <= ${input.now}::timestamp`, shop));
  }
  return { expired };
}

async function expireSlotHolds(db: Db, shop: string, locationId: string, slotStart: Date, now: Date): Promise<number> {
  return withDeadlockRetry(() =>
    expireWhere(
      db,
      Prisma.sql`shop = ${shop} AND "locationId" = ${locationId} AND "slotStart" = ${slotStart}::timestamp AND status = 'held' AND "expiresAt" <= ${now}::timestamp`,
      shop,
    ),
  );
}

async function expireWhere(db: Db, where: Prisma.Sql, shop: string): Promise<number> {
  const rows = await db.$queryRaw<Array<{ expired: bigint }>>`
    WITH expired AS (
      UPDATE "PickupHold" SET status = 'expired', "updatedAt" = now()
      WHERE ${where}
      RETURNING "locationId", "slotStart", "drinkCount"
    ), per_slot AS (
      SELECT "locationId", "slotStart", count(*)::int AS holds, sum("drinkCount")::int AS drinks FROM expired GROUP BY 1, 2
    ), slot AS (
      UPDATE "PickupSlot" s SET orders = s.orders - p.holds, items = s.items - p.drinks
      FROM per_slot p WHERE s.shop = ${shop} AND s."locationId" = p."locationId" AND s."slotStart" = p."slotStart"
    )
    SELECT count(*) AS expired FROM expired`;
  return Number(rows[0]?.expired ?? 0);
}

/** Two expiries freeing places in several slots can lock those slots in different orders; PostgreSQL then aborts one, which simply runs again. */
async function withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || !(error instanceof Error) || !/deadlock detected|40P01/.test(error.message)) throw error;
    }
  }
}

// ---------------------------------------------------------------------------
// Checkout and order intake.
// ---------------------------------------------------------------------------

const CART_ID = /^gid:\/\/shopify\/Cart\/[A-Za-z0-9_-]{1,200}(\?key=[A-Za-z0-9_-]{1,200})?$/;

/** Records the Storefront cart and checkout URL of a live hold. Only a hold still held can take them. */
export async function attachCheckout(
  db: Db,
  shop: string,
  holdId: string,
  checkout: { cartId: string; checkoutUrl: string },
): Promise<{ ok: true; hold: PickupHold } | PickupFailure> {
  if (!CART_ID.test(checkout.cartId)) return failure("hold-not-found", "cartId", "cart id must be a Storefront API cart id (gid://shopify/Cart/…)");
  let url: URL;
  try {
    url = new URL(checkout.checkoutUrl);
  } catch {
    return failure("hold-not-found", "checkoutUrl", "checkout URL must be an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return failure("hold-not-found", "checkoutUrl", "checkout URL must be http(s)");
  const rows = await db.$queryRaw<HoldRow[]>`
    UPDATE "PickupHold" SET "cartId" = ${checkout.cartId}, "checkoutUrl" = ${url.toString()}, "updatedAt" = now()
    WHERE shop = ${shop} AND id = ${holdId} AND status = 'held'
    RETURNING ${HOLD_COLUMNS}`;
  const [row] = rows;
  if (!row) return failure("hold-not-found", "holdId", "this hold has expired or is no longer held; choose a slot again");
  return { ok: true, hold: toHold(row) };
}

export async function getHold(db: Db, shop: string, holdId: string): Promise<PickupHold | null> {
  const rows = await db.$queryRaw<HoldRow[]>`SELECT ${HOLD_COLUMNS} FROM "PickupHold" WHERE shop = ${shop} AND id = ${holdId}`;
  return rows[0] ? toHold(rows[0]) : null;
}

export type ConvertHoldResult =
  /** The hold was live: it now belongs to the order and keeps its place (also when the same order is converted again). */
  | { status: "converted"; hold: PickupHold }
  /** The hold ran out (or was released) before the order: its place is free; the order must take one with takeOrderPlace and be flagged. */
  | { status: "expired"; hold: PickupHold }
  /** The hold already belongs to another order (a copied cart attribute): take a place and flag. */
  | { status: "taken"; hold: PickupHold }
  /** No such hold in this shop. */
  | { status: "unknown" };

/**
 * Order intake: an order names a hold. A hold still held and not past its
 * expiry at `at` (the order's time) becomes "converted" and keeps its place.
 * A hold held but already past its expiry is expired here (freeing its place)
 * so the caller's takeOrderPlace counts the order once. Run it in the same
 * transaction as the PickupOrder insert, and only when that insert created
 * the row, so a webhook delivered twice converts once.
 */
export async function convertHold(db: Db, shop: string, holdId: string, order: { orderId: string; at: Date }): Promise<ConvertHoldResult> {
  const converted = await db.$queryRaw<HoldRow[]>`
    UPDATE "PickupHold" SET status = 'converted', "orderId" = ${order.orderId}, "updatedAt" = now()
    WHERE shop = ${shop} AND id = ${holdId} AND status = 'held' AND "expiresAt" > ${order.at}::timestamp
    RETURNING ${HOLD_COLUMNS}`;
  if (converted[0]) return { status: "converted", hold: toHold(converted[0]) };
  await expireWhere(db, Prisma.sql`shop = ${shop} AND id = ${holdId} AND status = 'held' AND "expiresAt" <= ${order.at}::timestamp`, shop);
  const hold = await getHold(db, shop, holdId);
  if (!hold) return { status: "unknown" };
  if (hold.status === "converted") return hold.orderId === order.orderId ? { status: "converted", hold } : { status: "taken", hold };
  return { status: "expired", hold };
}

/**
 * A paid order takes a place whether or not the slot has room: the member has
 * paid, and the counts must show the barista every order. Used for orders
 * without a live hold (flagged); over capacity shows as 0 left.
 */
export async function takeOrderPlace(db: Db, place: { shop: string; locationId: string; slotStart: Date; drinkCount: number }): Promise<void> {
  if (!Number.isInteger(place.drinkCount) || place.drinkCount < 0) throw new RangeError(`drinkCount must be a whole number ≥ 0 (got ${place.drinkCount})`);
  await db.$executeRaw`
    INSERT INTO "PickupSlot" AS s (shop, "locationId", "slotStart", orders, items)
    VALUES (${place.shop}, ${place.locationId}, ${place.slotStart}::timestamp, 1, ${place.drinkCount}::int)
    ON CONFLICT (shop, "locationId", "slotStart") DO UPDATE SET orders = s.orders + 1, items = s.items + EXCLUDED.items`;
}

/** How many drinks a list of variants and quantities counts against a slot, by the shop's menu (unknown variants count as drinks). */
export async function drinkCountOf(db: Db, shop: string, lines: ReadonlyArray<{ variantId: string; quantity: number }>): Promise<number> {
  const menu = await db.pickupMenuItem.findMany({ where: { shop, variantId: { in: lines.map((line) => line.variantId) } }, select: { variantId: true, isDrink: true } });
  const drinks = new Map(menu.map((item) => [item.variantId, item.isDrink]));
  return lines.reduce((sum, line) => sum + ((drinks.get(line.variantId) ?? true) ? line.quantity : 0), 0);
}

// ---------------------------------------------------------------------------

interface HoldRow {
  shop: string;
  id: string;
  locationId: string;
  slotStart: Date;
  customerId: string | null;
  items: unknown;
  itemCount: number;
  drinkCount: number;
  status: string;
  expiresAt: Date;
  cartId: string | null;
  checkoutUrl: string | null;
  orderId: string | null;
}

const HOLD_COLUMNS = Prisma.sql`shop, id, "locationId", "slotStart", "customerId", items, "itemCount", "drinkCount", status, "expiresAt", "cartId", "checkoutUrl", "orderId"`;

function toHold(row: HoldRow): PickupHold {
  return { ...row, items: holdItems(row.items) };
}

/** The items JSON as stored by placeHold; anything else reads as no items. */
export function holdItems(value: unknown): HoldItem[] {
  if (!Array.isArray(value)) return [];
  const items: HoldItem[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== "object" || entry === null) continue;
    const get = (key: string): unknown => Reflect.get(entry, key);
    const variantId = get("variantId");
    const productId = get("productId");
    const title = get("title");
    const quantity = get("quantity");
    const price = get("price");
    if (typeof variantId !== "string" || typeof title !== "string" || typeof quantity !== "number") continue;
    items.push({
      variantId,
      productId: typeof productId === "string" ? productId : "",
      title,
      quantity,
      price: typeof price === "string" ? price : "0",
      isDrink: get("isDrink") !== false,
    });
  }
  return items;
}
