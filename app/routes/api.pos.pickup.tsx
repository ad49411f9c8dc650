import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { sendTransactional } from "../campaigns/transactional.server";
import { authenticatePos } from "../pos/auth.server";
import { posMovePickupOrder, posPickupQueue } from "../pos/pickup.server";
import { getRuntime } from "../runtime.server";

/**
 * The POS UI extension's pickup endpoint (extensions/pickup-pos), called
 * with the POS session token as a bearer token.
 *
 * GET  /api/pos/pickup?location=ID  today's queue of the location, by slot
 * POST /api/pos/pickup              { orderId, to } moves one order on
 */

const NO_STORE = { "Cache-Control": "no-store" };

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  const result = await posPickupQueue(getRuntime().db, shop, new URL(request.url).searchParams);
  const body = result.ok ? { ok: true, locationId: result.locationId, queue: result.queue } : { ok: false, message: result.message };
  return cors(Response.json(body, { status: result.status, headers: NO_STORE }));
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, cors } = await authenticatePos(request);
  if (request.method !== "POST") return cors(Response.json({ ok: false, message: "Use POST to move an order." }, { status: 405, headers: { ...NO_STORE, Allow: "GET, POST" } }));
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return cors(Response.json({ ok: false, message: "The body must be JSON: { orderId, to }." }, { status: 400, headers: NO_STORE }));
  }
  const runtime = getRuntime();
  const moved = await posMovePickupOrder({ db: runtime.db, sendTransactional: (message) => sendTransactional(runtime, message) }, shop, body);
  return cors(Response.json(moved.body, { status: moved.status, headers: NO_STORE }));
}
