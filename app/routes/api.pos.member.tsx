import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { authenticatePos } from "../pos/auth.server";
import { posMemberForCustomer, posScanMemberCard } from "../pos/member.server";
import { getRuntime } from "../runtime.server";

/**
 * The POS member extension's endpoint (extensions/member-pos), called with
 * the POS session token as a bearer token.
 *
 * POST /api/pos/member                 { code, saleCustomerId?, locationId? }: whose card is this?
 * GET  /api/pos/member?customerId=ID   the summary of the customer on the sale
 *
 * A refused code answers 4xx with { ok: false, reason, message }; a card that
 * had too many wrong codes tried answers 429 with Retry-After (and
 * retryAfterSeconds in the body) until it takes codes again.
 */

const NO_STORE = { "Cache-Control": "no-store" };

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  const result = await posMemberForCustomer(getRuntime().db, shop, new URL(request.url).searchParams);
  return cors(Response.json(result.body, { status: result.status, headers: NO_STORE }));
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  if (request.method !== "POST") return cors(Response.json({ ok: false, message: "Use POST to look up a card code." }, { status: 405, headers: { ...NO_STORE, Allow: "GET, POST" } }));
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return cors(Response.json({ ok: false, message: "The body must be JSON: { code, saleCustomerId?, locationId? }." }, { status: 400, headers: NO_STORE }));
  }
  const result = await posScanMemberCard(getRuntime().db, shop, body);
  const headers: Record<string, string> = { ...NO_STORE };
  if (!result.body.ok && result.body.retryAfterSeconds !== undefined) headers["Retry-After"] = String(result.body.retryAfterSeconds);
  return cors(Response.json(result.body, { status: result.status, headers }));
}
