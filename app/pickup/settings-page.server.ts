import type { Database } from "../db/prisma.server";
import type { AdminApi } from "../shopify/admin-api.server";
import { loadCatalog, loadLocations, menuFromSelection, type CatalogProduct } from "./catalog.server";
import {
  getPickupSettings,
  listMenu,
  listPickupLocations,
  locationIdSchema,
  savePickupSettings,
  setMenu,
  settingsFromForm,
  type FieldErrors,
  type MenuItem,
  type PickupSettings,
} from "./settings.server";

/**
 * What the admin's pickup settings page shows and saves: one location's
 * settings at a time, and the shop's menu. The Admin API (products,
 * locations) may be unreachable; the page then says so and still shows
 * what the app has stored.
 */

export interface PickupSettingsPage {
  locations: Array<{ locationId: string; name: string; enabled: boolean }>;
  selected: PickupSettings | null;
  selectedName: string | null;
  products: CatalogProduct[];
  menu: MenuItem[];
  /** Why products or locations could not be read from Shopify, for a banner. */
  apiProblem: string | null;
}

type ApiSource = () => Promise<AdminApi>;

export async function pickupSettingsPage(db: Database, adminApi: ApiSource, shop: string, requestedLocation: string | null): Promise<PickupSettingsPage> {
  const stored = await listPickupLocations(db, shop);
  let apiProblem: string | null = null;
  let products: CatalogProduct[] = [];
  let shopify: Array<{ locationId: string; name: string }> = [];
  try {
    const api = await adminApi();
    [products, shopify] = await Promise.all([loadCatalog(api), loadLocations(api)]);
  } catch (error) {
    apiProblem = `Products and locations could not be read from Shopify: ${error instanceof Error ? error.message : String(error)}`;
  }
  const byId = new Map(stored.map((location) => [location.locationId, location]));
  for (const location of shopify) {
    const known = byId.get(location.locationId);
    byId.set(location.locationId, { locationId: location.locationId, name: location.name, enabled: known?.enabled ?? false });
  }
  const locations = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.locationId.localeCompare(b.locationId));
  const requested = requestedLocation === null ? null : locationIdSchema.safeParse(requestedLocation);
  const chosen = (requested?.success ? locations.find((location) => location.locationId === requested.data) : undefined) ?? locations[0] ?? null;
  return {
    locations,
    selected: chosen ? await getPickupSettings(db, shop, chosen.locationId) : null,
    selectedName: chosen?.name ?? null,
    products,
    menu: await listMenu(db, shop),
    apiProblem,
  };
}

export type SubmitOutcome = { ok: true; message: string } | { ok: false; errors: FieldErrors };

/** The settings form of one location; nothing is stored when any field is wrong. */
export async function submitSettingsForm(db: Database, shop: string, form: FormData): Promise<SubmitOutcome> {
  const locationId = String(form.get("locationId") ?? "");
  const parsed = settingsFromForm(form);
  if (!parsed.ok) return parsed;
  const locationName = form.get("locationName");
  const saved = await savePickupSettings(db, shop, locationId, parsed.value, typeof locationName === "string" ? { locationName } : {});
  if (!saved.ok) return saved;
  return { ok: true, message: `Pickup settings saved for ${typeof locationName === "string" && locationName ? locationName : `location ${saved.settings.locationId}`}.` };
}

/**
 * The menu form: `menu` (variant ids ticked), `drink.<id>` and
 * `available.<id>` per ticked variant. Titles and prices come from the
 * catalogue, read again now.
 */
export async function submitMenuForm(db: Database, adminApi: ApiSource, shop: string, form: FormData): Promise<SubmitOutcome> {
  const chosen = form.getAll("menu").filter((value): value is string => typeof value === "string");
  let catalog: CatalogProduct[];
  try {
    catalog = await loadCatalog(await adminApi());
  } catch (error) {
    return { ok: false, errors: { menu: `Products could not be read from Shopify, so the menu was not changed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  const selection = menuFromSelection(
    catalog,
    chosen.map((variantId) => ({ variantId, isDrink: form.get(`drink.${variantId}`) === "on", available: form.get(`available.${variantId}`) === "on" })),
  );
  if (!selection.ok) return selection;
  const saved = await setMenu(db, shop, selection.items);
  if (!saved.ok) return saved;
  const count = saved.items.length;
  return { ok: true, message: count === 0 ? "The menu is empty: members cannot order ahead until you add items." : `Menu saved: ${count} item${count === 1 ? "" : "s"} can be ordered ahead.` };
}
