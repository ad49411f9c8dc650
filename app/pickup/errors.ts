/** Why a pickup request cannot be served, with the input field at fault; the message is for the person who sent it. */
export type PickupErrorCode =
  | "unknown-shop"
  | "bad-timezone"
  | "unknown-location"
  | "pickup-disabled"
  | "bad-date"
  | "bad-customer"
  | "slot-not-on-grid"
  | "slot-past"
  | "slot-lead"
  | "slot-closed"
  | "slot-cutoff"
  | "slot-too-far"
  | "slot-full"
  | "cart-empty"
  | "cart-too-large"
  | "item-not-on-menu"
  | "item-unavailable"
  | "item-duplicate"
  | "quantity-invalid"
  | "hold-not-found";

export class PickupError extends Error {
  constructor(readonly code: PickupErrorCode, readonly field: string, message: string) {
    super(message);
    this.name = "PickupError";
  }
}

export interface PickupFailure {
  ok: false;
  code: PickupErrorCode;
  field: string;
  message: string;
}

export function failure(code: PickupErrorCode, field: string, message: string): PickupFailure {
  return { ok: false, code, field, message };
}
