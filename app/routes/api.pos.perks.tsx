import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { authenticatePos } from "../pos/auth.server";
import { posMemberPerks, posRedeemPerk } from "../pos/perks.server";
import { getRuntime } from "../runtime.server";

/**
 * The POS UI extension's perks endpoint, called with the POS session token
 * as a bearer token (app/pos/auth.server.ts).
 *
 * GET  /api/pos/perks?customerId=ID  the member's perks and what is ready
 * POST /api/pos/perks                { programId, customerId, variantId?, mode, locationId?, requestId? } redeems one
 *                                     (the same requestId again answers as the first time: a retry, not a second perk)
 */

const NO_STORE = { "Cache-Control": "no-store" };

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  const answer = await posMemberPerks(getRuntime().db, shop, new URL(request.url).searchParams);
  return cors(Response.json(answer.body, { status: answer.status, headers: NO_STORE }));
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  if (request.method !== "POST") return cors(Response.json({ ok: false, message: "Use POST to redeem a perk." }, { status: 405, headers: { ...NO_STORE, Allow: "GET, POST" } }));
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return cors(Response.json({ ok: false, message: "The body must be JSON: { programId, customerId, variantId?, mode, locationId?, requestId? }." }, { status: 400, headers: NO_STORE }));
  }
  const answer = await posRedeemPerk(getRuntime().db, shop, body);
  return cors(Response.json(answer.body, { status: answer.status, headers: NO_STORE }));
}
