/**
 * The cart attributes that carry a pickup order through Shopify's checkout:
 * the app sets them on the Storefront cart, Shopify copies them onto the
 * order as note attributes, and order intake reads them back
 * (app/pickup/intake.server.ts). The leading underscore keeps them out of
 * the buyer's view at checkout, as Shopify does for private attributes.
 */
export const PICKUP_HOLD_ATTRIBUTE = "_regulars_pickup_hold";
export const PICKUP_LOCATION_ATTRIBUTE = "_regulars_pickup_location";
export const PICKUP_SLOT_ATTRIBUTE = "_regulars_pickup_slot";

export interface NoteAttribute {
  name: string;
  value: string;
}

export interface PickupAttributes {
  holdId: string;
  /** As written on the order; intake checks them against the hold, so they are not trusted here. */
  locationId: string | null;
  slotStart: Date | null;
}

/** Whether an order was placed through order-ahead: a cheap test on the hot ingest path. */
export function carriesPickupHold(attributes: readonly NoteAttribute[]): boolean {
  return attributes.some((attribute) => attribute.name === PICKUP_HOLD_ATTRIBUTE && attribute.value.trim() !== "");
}

/** The pickup attributes of an order, or null when it has no hold attribute. Malformed location or slot values read as null. */
export function readPickupAttributes(attributes: readonly NoteAttribute[]): PickupAttributes | null {
  const valueOf = (name: string) => attributes.find((attribute) => attribute.name === name)?.value.trim() ?? "";
  const holdId = valueOf(PICKUP_HOLD_ATTRIBUTE);
  if (holdId === "") return null;
  const location = valueOf(PICKUP_LOCATION_ATTRIBUTE);
  const slotText = valueOf(PICKUP_SLOT_ATTRIBUTE);
  const slot = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(slotText) ? new Date(slotText) : null;
  return {
    holdId,
    locationId: /^[1-9][0-9]{0,19}$/.test(location) ? location : null,
    slotStart: slot && !Number.isNaN(slot.getTime()) ? slot : null,
  };
}

/** The attributes for a hold's cart, in the form the Storefront API takes. */
export function pickupCartAttributes(hold: { id: string; locationId: string; slotStart: Date }): Array<{ key: string; value: string }> {
  return [
    { key: PICKUP_HOLD_ATTRIBUTE, value: hold.id },
    { key: PICKUP_LOCATION_ATTRIBUTE, value: hold.locationId },
    { key: PICKUP_SLOT_ATTRIBUTE, value: hold.slotStart.toISOString() },
  ];
}
