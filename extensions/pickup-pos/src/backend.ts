import { readQueueAnswer, type PickupState, type QueueAnswer } from "./queue";

/**
 * Calls to the app's POS endpoint. The path is relative: POS resolves it
 * against the app's URL. Every call carries a fresh POS session token as a
 * bearer token; the app takes the shop from that token, never from here.
 */

export const PICKUP_PATH = "/api/pos/pickup";

export interface SessionSource {
  getSessionToken(): Promise<string | undefined>;
}

async function authorised(session: SessionSource): Promise<Record<string, string> | null> {
  const token = await session.getSessionToken();
  return token ? { Authorization: `Bearer ${token}` } : null;
}

const NO_ACCESS = "This staff member cannot use Regulars. Ask the owner for app access.";

export async function fetchQueue(session: SessionSource, locationId: number | string): Promise<QueueAnswer> {
  const headers = await authorised(session);
  if (!headers) return { ok: false, message: NO_ACCESS };
  try {
    const response = await fetch(`${PICKUP_PATH}?location=${encodeURIComponent(String(locationId))}`, { headers });
    return readQueueAnswer(response.status, await response.json().catch(() => null));
  } catch {
    return { ok: false, message: "The queue could not be loaded. Check the connection and try again." };
  }
}

export type MoveAnswer = { ok: true; state: PickupState } | { ok: false; message: string };

export async function moveOrder(session: SessionSource, orderId: string, to: PickupState): Promise<MoveAnswer> {
  const headers = await authorised(session);
  if (!headers) return { ok: false, message: NO_ACCESS };
  try {
    const response = await fetch(PICKUP_PATH, { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify({ orderId, to }) });
    const body: unknown = await response.json().catch(() => null);
    const message = typeof body === "object" && body !== null && "message" in body && typeof body.message === "string" ? body.message : `The app answered ${response.status}.`;
    return response.ok ? { ok: true, state: to } : { ok: false, message };
  } catch {
    return { ok: false, message: "The order could not be moved. Check the connection and try again." };
  }
}
