import type { Command } from "commander";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { parseLocalDate, WEEKDAY_NAMES, isoWeekdayOf } from "../pickup/hours";
import { getPickupSettings, locationIdSchema, savePickupSettings, type PickupSettings, type PickupSettingsInput } from "../pickup/settings.server";
import { parseWeekHours, weekHoursText } from "../pickup/settings-input";
import { requireShop } from "./analytics-data";
import { listSlots, PickupError, type SlotTable } from "../pickup/slots.server";
import { CliInputError, withDatabase } from "./shop";

interface SlotsOptions {
  shop: string;
  location: string;
  date?: string;
  json?: boolean;
}

interface SettingsOptions {
  shop: string;
  location: string;
  on?: boolean;
  off?: boolean;
  hours?: string;
  slotMinutes?: string;
  orders?: string;
  drinks?: string;
  lead?: string;
  cutoff?: string;
  hold?: string;
  json?: boolean;
}

export function registerPickupCommands(program: Command, loadConfig: () => Config): void {
  const pickup = program.command("pickup").description("order-ahead pickup: slots and their capacity per location");

  pickup
    .command("settings")
    .description("show a location's pickup settings, or change the ones given (the rest stay as they are); invalid settings change nothing")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .requiredOption("--location <id>", "the Shopify location id (a number, or gid://shopify/Location/N)")
    .option("--on", "take orders ahead at this location")
    .option("--off", "stop taking orders ahead at this location")
    .option("--hours <week>", 'opening hours for pickup, shop time, e.g. "mon-fri 07:00-15:00; sat 08:00-12:00" (days not named are closed)')
    .option("--slot-minutes <n>", "slot length in minutes (5–60, dividing a day)")
    .option("--orders <n>", 'orders per slot, or "none" for no limit')
    .option("--drinks <n>", 'drinks per slot, or "none" for no limit')
    .option("--lead <minutes>", "preparation lead time: the earliest slot starts at least this long from now")
    .option("--cutoff <minutes>", "no orders for slots this close to closing time")
    .option("--hold <minutes>", "how long a slot is kept while the member pays (1–30)")
    .option("--json", "print the settings as JSON")
    .action(async (options: SettingsOptions) => {
      const shop = shopSettingsSchema.shape.domain.safeParse(options.shop);
      if (!shop.success) throw new CliInputError(`--shop ${shop.error.issues[0]?.message ?? "is invalid"}`);
      const location = locationIdSchema.safeParse(options.location);
      if (!location.success) throw new CliInputError(`--location: ${location.error.issues[0]?.message ?? "is invalid"}`);
      if (options.on && options.off) throw new CliInputError("give --on or --off, not both");
      const changes = settingsChanges(options);
      const settings = await withDatabase(loadConfig(), async (db) => {
        await requireShop(db, shop.data);
        const current = await getPickupSettings(db, shop.data, location.data);
        if (Object.keys(changes).length === 0) return current;
        const { shop: _shop, locationId: _location, stored: _stored, updatedAt: _updated, ...input } = current;
        const saved = await savePickupSettings(db, shop.data, location.data, { ...input, ...changes });
        if (!saved.ok) throw new CliInputError(`nothing changed: ${Object.entries(saved.errors).map(([field, message]) => `${field}: ${message}`).join("; ")}`);
        return saved.settings;
      });
      if (options.json) {
        console.log(JSON.stringify(settings, null, 2));
        return;
      }
      console.log(formatSettings(settings, Object.keys(changes).length > 0));
    });

  pickup
    .command("slots")
    .description("print a location's pickup slots for one shop-local day, with the places taken and left and whether members can still choose each")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .requiredOption("--location <id>", "the Shopify location id (a number, or gid://shopify/Location/N)")
    .option("--date <date>", "shop-local date YYYY-MM-DD; default: today in the shop's time zone")
    .option("--json", "print the table as JSON")
    .action(async (options: SlotsOptions) => {
      const shop = shopSettingsSchema.shape.domain.safeParse(options.shop);
      if (!shop.success) throw new CliInputError(`--shop ${shop.error.issues[0]?.message ?? "is invalid"}`);
      const location = locationIdSchema.safeParse(options.location);
      if (!location.success) throw new CliInputError(`--location: ${location.error.issues[0]?.message ?? "is invalid"}`);
      if (options.date !== undefined && !parseLocalDate(options.date)) {
        throw new CliInputError(`--date must be a date like 2026-03-02 (got ${JSON.stringify(options.date)})`);
      }
      const table = await withDatabase(loadConfig(), async (db) => {
        try {
          const slots = await listSlots(db, { shop: shop.data, locationId: location.data, ...(options.date === undefined ? {} : { date: options.date }) });
          const named = await db.location.findUnique({ where: { shop_id: { shop: shop.data, id: location.data } }, select: { name: true } });
          return { slots, locationName: named?.name ?? null };
        } catch (error) {
          if (error instanceof PickupError) throw new CliInputError(error.message);
          throw error;
        }
      });
      if (options.json) {
        console.log(JSON.stringify({ ...table.slots, locationName: table.locationName, slots: table.slots.slots.map((slot) => ({ ...slot, start: slot.start.toISOString() })) }, null, 2));
        return;
      }
      console.log(formatSlotTable(table.slots, table.locationName));
    });
}

/** The settings the flags change, as numbers; a malformed number is refused by name. */
function settingsChanges(options: SettingsOptions): Partial<PickupSettingsInput> {
  const changes: Partial<PickupSettingsInput> = {};
  const whole = (flag: string, text: string): number => {
    if (!/^\d+$/.test(text.trim())) throw new CliInputError(`${flag} must be a whole number (got ${JSON.stringify(text)})`);
    return Number(text);
  };
  const limit = (flag: string, text: string): number | null => (text.trim().toLowerCase() === "none" ? null : whole(flag, text));
  if (options.on) changes.enabled = true;
  if (options.off) changes.enabled = false;
  if (options.hours !== undefined) {
    const hours = parseWeekHours(options.hours);
    if (!hours.ok) throw new CliInputError(`--hours: ${hours.message}`);
    changes.hours = hours.value;
  }
  if (options.slotMinutes !== undefined) changes.slotMinutes = whole("--slot-minutes", options.slotMinutes);
  if (options.orders !== undefined) changes.capacityOrders = limit("--orders", options.orders);
  if (options.drinks !== undefined) changes.capacityItems = limit("--drinks", options.drinks);
  if (options.lead !== undefined) changes.leadMinutes = whole("--lead", options.lead);
  if (options.cutoff !== undefined) changes.cutoffMinutes = whole("--cutoff", options.cutoff);
  if (options.hold !== undefined) changes.holdMinutes = whole("--hold", options.hold);
  return changes;
}

function formatSettings(settings: PickupSettings, changed: boolean): string {
  const state = settings.enabled ? "on" : "off";
  const heading = `Pickup at location ${settings.locationId} of ${settings.shop}: ${state}${changed ? " (saved)" : settings.stored ? "" : " (not set up yet: defaults)"}.`;
  const orders = settings.capacityOrders === null ? "no order limit" : `${settings.capacityOrders} orders`;
  const drinks = settings.capacityItems === null ? "no drink limit" : `${settings.capacityItems} drinks`;
  return [
    heading,
    `hours: ${weekHoursText(settings.hours)}`,
    `slots: ${settings.slotMinutes} minutes, at most ${orders} and ${drinks} each; lead ${settings.leadMinutes} min, cut-off ${settings.cutoffMinutes} min, hold ${settings.holdMinutes} min`,
  ].join("\n");
}

export function formatSlotTable(table: SlotTable, locationName: string | null): string {
  const date = parseLocalDate(table.date);
  const weekday = date ? `${WEEKDAY_NAMES[isoWeekdayOf(date) - 1]} ` : "";
  const where = locationName ? `${locationName} (${table.locationId})` : `location ${table.locationId}`;
  const limits = [
    table.capacityOrders === null ? null : `${table.capacityOrders} orders`,
    table.capacityItems === null ? null : `${table.capacityItems} drinks`,
  ].filter((limit) => limit !== null);
  const lines = [
    `Pickup slots at ${where}, ${table.shop}, ${weekday}${table.date} (${table.timezone}): ${table.slotMinutes}-minute slots, at most ${limits.join(" and ")} per slot.`,
  ];
  if (!table.enabled) lines.push("Pickup is turned off at this location: members cannot choose any slot.");
  if (table.slots.length === 0) {
    lines.push("No slots: the location is closed for pickup that day.");
    return lines.join("\n");
  }
  const header = ["time", "orders", "left", "drinks", "left", "status"];
  const rows = table.slots.map((slot) => [
    slot.label,
    String(slot.orders),
    slot.ordersLeft === null ? "—" : String(slot.ordersLeft),
    String(slot.items),
    slot.itemsLeft === null ? "—" : String(slot.itemsLeft),
    slot.open ? "open" : (slot.reason ?? "closed"),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  lines.push(line(header), ...rows.map(line));
  const open = table.slots.filter((slot) => slot.open).length;
  lines.push(`${open} of ${table.slots.length} slots open.`);
  return lines.join("\n");
}
