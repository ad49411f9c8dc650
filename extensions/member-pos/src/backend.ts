import { readMemberAnswer, readRedeemAnswer, readScanAnswer, type MemberAnswer, type RedeemAnswer, type ScanAnswer } from "./member";

/**
 * Calls to the app's POS endpoints. Paths are relative: POS resolves them
 * against the app's URL. Every call carries a fresh POS session token as a
 * bearer token; the app takes the shop from that token, never from here.
 */

export const MEMBER_PATH = "/api/pos/member";
export const PERKS_PATH = "/api/pos/perks";

export interface SessionSource {
  getSessionToken(): Promise<string | undefined>;
}

const NO_ACCESS = "This staff member cannot use Regulars. Ask the owner for app access.";

async function call(session: SessionSource, path: string, init: { method: "GET" | "POST"; body?: unknown }): Promise<{ status: number; body: unknown } | { status: null; message: string }> {
  const token = await session.getSessionToken();
  if (!token) return { status: null, message: NO_ACCESS };
  try {
    const response = await fetch(path, {
      method: init.method,
      headers: init.body === undefined ? { Authorization: `Bearer ${token}` } : { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  } catch {
    return { status: null, message: "The app could not be reached. Check the connection and try again." };
  }
}

export async function scanCard(session: SessionSource, input: { code: string; saleCustomerId: number | null; locationId: number | null }): Promise<ScanAnswer> {
  const answer = await call(session, MEMBER_PATH, { method: "POST", body: input });
  return answer.status === null ? { ok: false, reason: null, message: answer.message } : readScanAnswer(answer.status, answer.body);
}

export async function fetchMember(session: SessionSource, customerId: number | string): Promise<MemberAnswer> {
  const answer = await call(session, `${MEMBER_PATH}?customerId=${encodeURIComponent(String(customerId))}`, { method: "GET" });
  return answer.status === null ? { ok: false, message: answer.message } : readMemberAnswer(answer.status, answer.body);
}

export async function redeemPerk(
  session: SessionSource,
  input: { programId: string; customerId: string; variantId: string | null; mode: "discount" | "recorded"; locationId: string | null; requestId: string },
): Promise<RedeemAnswer> {
  const answer = await call(session, PERKS_PATH, { method: "POST", body: input });
  return answer.status === null ? { ok: false, message: answer.message, unanswered: true } : readRedeemAnswer(answer.status, answer.body);
}
