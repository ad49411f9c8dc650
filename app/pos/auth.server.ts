import { getRuntime } from "../runtime.server";
import { findInstalledShop } from "../shops/shops.server";
import { authenticate } from "../shopify.server";
import { shopFromDest } from "./token-claims";

/**
 * Authenticates a request from the app's POS UI extension: the session token
 * Shopify POS issues (`api.session.getSessionToken()`, sent as
 * `Authorization: Bearer …`). The library checks the HS256 signature with the
 * app's secret, exp and nbf (`authenticate.public.pos`) and answers CORS
 * preflights; it does not check the audience, so it is checked here, with the
 * shop the token names (`dest`), which must have the app installed. Anything
 * else is a 401 the extension shows as "sign in again".
 */

export interface PosContext {
  shop: string;
  /** Adds the CORS headers a POS extension's fetch needs to a response. */
  cors(response: Response): Response;
}

function unauthorized(cors: (response: Response) => Response, message: string): Response {
  return cors(Response.json({ ok: false, message }, { status: 401, headers: { "Cache-Control": "no-store" } }));
}

/** The POS request's shop; throws a Response (401, or 204 for a preflight) otherwise. */
export async function authenticatePos(request: Request): Promise<PosContext> {
  const { sessionToken, cors } = await authenticate.public.pos(request);
  const runtime = getRuntime();
  if (sessionToken.aud !== runtime.config.shopify.apiKey) throw unauthorized(cors, "This session token was issued for another app.");
  const shop = shopFromDest(sessionToken.dest);
  if (!shop) throw unauthorized(cors, "This session token names no shop.");
  if (!(await findInstalledShop(runtime.db, shop))) throw unauthorized(cors, "Regulars is not installed on this shop.");
  return { shop, cors };
}
