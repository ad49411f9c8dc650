import type { Database } from "../../app/db/prisma.server";
import { savePickupSettings, setMenu, type PickupSettingsInput } from "../../app/pickup/settings.server";

/** A cafe open for pickup on weekdays 07:00–15:00 and Saturdays 08:00–12:00, 10-minute slots. */
export const CAFE_SETTINGS: PickupSettingsInput = {
  enabled: true,
  hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: "07:00", closes: "15:00" })).concat([{ weekday: 6, opens: "08:00", closes: "12:00" }]),
  slotMinutes: 10,
  capacityOrders: 5,
  capacityItems: null,
  leadMinutes: 10,
  cutoffMinutes: 15,
  holdMinutes: 10,
};

export const LATTE = "40001";
export const FLAT_WHITE = "40002";
export const CROISSANT = "40003";
export const SOLD_OUT = "40004";

export const MENU = [
  { variantId: LATTE, productId: "30001", title: "Oat latte", price: "3.60", isDrink: true },
  { variantId: FLAT_WHITE, productId: "30002", title: "Flat white", price: "3.20", isDrink: true },
  { variantId: CROISSANT, productId: "30003", title: "Croissant", price: "2.40", isDrink: false },
  { variantId: SOLD_OUT, productId: "30004", title: "Pumpkin spice", price: "4.10", isDrink: true, available: false },
];

/** A shop in a time zone, with one pickup location and the menu above. */
export async function createPickupShop(
  db: Database,
  shop: string,
  options: { timezone?: string; locationId?: string; settings?: Partial<PickupSettingsInput> } = {},
): Promise<void> {
  await db.shop.create({ data: { domain: shop, timezone: options.timezone ?? "Europe/London", currency: "GBP" } });
  const saved = await savePickupSettings(db, shop, options.locationId ?? "1001", { ...CAFE_SETTINGS, ...options.settings }, { locationName: "High Street" });
  if (!saved.ok) throw new Error(`fixture settings invalid: ${JSON.stringify(saved.errors)}`);
  const menu = await setMenu(db, shop, MENU);
  if (!menu.ok) throw new Error(`fixture menu invalid: ${JSON.stringify(menu.errors)}`);
}

/** Row counts that show whether anything was stored. */
export async function pickupRowCounts(db: Database, shop: string): Promise<{ holds: number; slots: number; taken: number }> {
  const [holds, slots] = await Promise.all([db.pickupHold.count({ where: { shop } }), db.pickupSlot.findMany({ where: { shop } })]);
  return { holds, slots: slots.length, taken: slots.reduce((sum, slot) => sum + slot.orders, 0) };
}
