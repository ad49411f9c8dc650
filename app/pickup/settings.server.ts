import { z } from "zod";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { OpeningInterval } from "./hours";
import { DEFAULT_PICKUP_SETTINGS, parsePickupSettings, type FieldErrors, type PickupSettingsInput } from "./settings-input";

export { parsePickupSettings, settingsFromForm, parseDayHours, dayHoursText, DEFAULT_PICKUP_SETTINGS, SLOT_LENGTHS } from "./settings-input";
export type { PickupSettingsInput, FieldErrors, ParsedSettings } from "./settings-input";

/**
 * A location's pickup settings and the shop's order-ahead menu. Locations
 * and variants are Shopify's numeric ids as text (a GraphQL global id is
 * accepted and reduced to its number), like every other table of the app.
 */

export interface PickupSettings extends PickupSettingsInput {
  shop: string;
  locationId: string;
  /** False when the location has no settings row yet (the defaults are shown). */
  stored: boolean;
  updatedAt: Date | null;
}

const ID = /^[1-9][0-9]{0,19}$/;

/** "gid://shopify/Location/123" or "123" → "123"; null when it is neither. */
export function shopifyNumericId(value: string, type: string): string | null {
  const prefix = `gid://shopify/${type}/`;
  const bare = value.startsWith(prefix) ? value.slice(prefix.length).split("?")[0] ?? "" : value;
  return ID.test(bare) ? bare : null;
}

export const locationIdSchema = z
  .string({ error: "location id must be a string" })
  .transform((value, context) => {
    const id = shopifyNumericId(value.trim(), "Location");
    if (id === null) {
      context.addIssue({ code: "custom", message: `location id must be a Shopify location id such as 12345 (got ${JSON.stringify(value)})` });
      return z.NEVER;
    }
    return id;
  });

/** The hours stored in the JSON column, read defensively: entries that do not parse are dropped. */
export function storedHours(value: unknown): OpeningInterval[] {
  const parsed = z.array(z.object({ weekday: z.number().int(), opens: z.string(), closes: z.string() })).safeParse(value);
  return parsed.success ? parsed.data : [];
}

export async function getPickupSettings(db: Database, shop: string, locationId: string): Promise<PickupSettings> {
  const row = await db.pickupSettings.findUnique({ where: { shop_locationId: { shop, locationId } } });
  if (!row) return { shop, locationId, ...DEFAULT_PICKUP_SETTINGS, stored: false, updatedAt: null };
  return {
    shop,
    locationId,
    enabled: row.enabled,
    hours: storedHours(row.hours),
    slotMinutes: row.slotMinutes,
    capacityOrders: row.capacityOrders,
    capacityItems: row.capacityItems,
    leadMinutes: row.leadMinutes,
    cutoffMinutes: row.cutoffMinutes,
    holdMinutes: row.holdMinutes,
    stored: true,
    updatedAt: row.updatedAt,
  };
}

export type SaveSettingsResult = { ok: true; settings: PickupSettings } | { ok: false; errors: FieldErrors };

/**
 * Validates and stores a location's settings (all of them: the form sends the
 * whole set). Invalid input stores nothing and names every field at fault.
 * `locationName`, when given, is recorded so lists can show the location.
 */
export async function savePickupSettings(
  db: Database,
  shop: string,
  locationId: string,
  input: unknown,
  options: { locationName?: string } = {},
): Promise<SaveSettingsResult> {
  const location = locationIdSchema.safeParse(locationId);
  if (!location.success) return { ok: false, errors: { locationId: location.error.issues[0]?.message ?? "location id is invalid" } };
  const parsed = parsePickupSettings(input);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  const data = {
    enabled: value.enabled,
    hours: value.hours.map(({ weekday, opens, closes }) => ({ weekday, opens, closes })),
    slotMinutes: value.slotMinutes,
    capacityOrders: value.capacityOrders,
    capacityItems: value.capacityItems,
    leadMinutes: value.leadMinutes,
    cutoffMinutes: value.cutoffMinutes,
    holdMinutes: value.holdMinutes,
  };
  const name = options.locationName?.trim().slice(0, 200);
  await db.$transaction(async (tx) => {
    await tx.pickupSettings.upsert({
      where: { shop_locationId: { shop, locationId: location.data } },
      create: { shop, locationId: location.data, ...data },
      update: data,
    });
    if (name) {
      await tx.location.upsert({
        where: { shop_id: { shop, id: location.data } },
        create: { shop, id: location.data, name },
        update: { name },
      });
    }
  });
  return { ok: true, settings: await getPickupSettings(db, shop, location.data) };
}

export interface PickupLocation {
  locationId: string;
  /** The location's name where the app has seen it; its id otherwise. */
  name: string;
  enabled: boolean;
}

/** Locations with pickup settings (on or off), by name. */
export async function listPickupLocations(db: Database, shop: string, options: { enabledOnly?: boolean } = {}): Promise<PickupLocation[]> {
  const rows = await db.$queryRaw<Array<{ locationId: string; name: string | null; enabled: boolean }>>`
    SELECT s."locationId", l.name, s.enabled
    FROM "PickupSettings" s
    LEFT JOIN "Location" l ON l.shop = s.shop AND l.id = s."locationId"
    WHERE s.shop = ${shop} ${options.enabledOnly ? Prisma.sql`AND s.enabled` : Prisma.empty}`;
  return rows
    .map((row) => ({ locationId: row.locationId, name: row.name ?? `Location ${row.locationId}`, enabled: row.enabled }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.locationId.localeCompare(b.locationId));
}

// ---------------------------------------------------------------------------
// The menu: which variants members can order ahead.
// ---------------------------------------------------------------------------

export const MAX_MENU_ITEMS = 500;

const menuItemInput = z.object({
  variantId: z.string({ error: "variant id must be a string" }).transform((value, context) => {
    const id = shopifyNumericId(value, "ProductVariant");
    if (id === null) {
      context.addIssue({ code: "custom", message: `variant id must be a Shopify variant id (got ${JSON.stringify(value)})` });
      return z.NEVER;
    }
    return id;
  }),
  productId: z.string({ error: "product id must be a string" }).transform((value, context) => {
    const id = shopifyNumericId(value, "Product");
    if (id === null) {
      context.addIssue({ code: "custom", message: `product id must be a Shopify product id (got ${JSON.stringify(value)})` });
      return z.NEVER;
    }
    return id;
  }),
  title: z.string({ error: "title must be a string" }).trim().min(1, "title must not be empty").max(300, "title must be at most 300 characters"),
  price: z
    .string({ error: "price must be a decimal amount as text" })
    .regex(/^\d{1,14}(\.\d{1,4})?$/, "price must be a decimal amount such as 3.50"),
  isDrink: z.boolean({ error: "isDrink must be true or false" }).default(true),
  available: z.boolean({ error: "available must be true or false" }).default(true),
});

export const menuInput = z
  .array(menuItemInput, { error: "the menu must be a list of variants" })
  .max(MAX_MENU_ITEMS, `the menu holds at most ${MAX_MENU_ITEMS} variants`)
  .superRefine((items, context) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (seen.has(item.variantId)) context.addIssue({ code: "custom", path: [index, "variantId"], message: `variant ${item.variantId} is listed twice` });
      seen.add(item.variantId);
    });
  });

export type MenuItemInput = z.input<typeof menuItemInput>;

export interface MenuItem {
  variantId: string;
  productId: string;
  title: string;
  /** Decimal amount as text, e.g. "3.5000". */
  price: string;
  isDrink: boolean;
  available: boolean;
}

export type SetMenuResult = { ok: true; items: MenuItem[] } | { ok: false; errors: FieldErrors };

/** Replaces the shop's menu with these variants (others are removed); invalid input changes nothing. */
export async function setMenu(db: Database, shop: string, items: unknown): Promise<SetMenuResult> {
  const parsed = menuInput.safeParse(items);
  if (!parsed.success) {
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) errors[issue.path.length > 0 ? `menu.${issue.path.map(String).join(".")}` : "menu"] ??= issue.message;
    return { ok: false, errors };
  }
  const menu = parsed.data;
  await db.$transaction(async (tx) => {
    await tx.pickupMenuItem.deleteMany({ where: { shop, variantId: { notIn: menu.map((item) => item.variantId) } } });
    for (const item of menu) {
      const data = { productId: item.productId, title: item.title, price: item.price, isDrink: item.isDrink, available: item.available };
      await tx.pickupMenuItem.upsert({ where: { shop_variantId: { shop, variantId: item.variantId } }, create: { shop, variantId: item.variantId, ...data }, update: data });
    }
  });
  return { ok: true, items: await listMenu(db, shop) };
}

export async function listMenu(db: Database, shop: string): Promise<MenuItem[]> {
  const rows = await db.pickupMenuItem.findMany({ where: { shop }, orderBy: [{ title: "asc" }, { variantId: "asc" }] });
  return rows.map((row) => ({
    variantId: row.variantId,
    productId: row.productId,
    title: row.title,
    price: row.price.toFixed(4),
    isDrink: row.isDrink,
    available: row.available,
  }));
}
