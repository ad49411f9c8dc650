import { z } from "zod";
import { verifySessionToken } from "./jwt.ts";
import type { StandinStore } from "./store.ts";
import type { HttpReply } from "./http.ts";

/**
 * Token exchange: an embedded app trades an App Bridge session token for an
 * Admin API access token (RFC 8693 as Shopify profiles it).
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
 */

const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE = "urn:shopify:params:oauth:token-type:offline-access-token";
const ONLINE = "urn:shopify:params:oauth:token-type:online-access-token";

const exchangeRequest = z.object({
  client_id: z.string(),
  client_secret: z.string(),
  grant_type: z.string(),
  subject_token: z.string(),
  subject_token_type: z.string().optional(),
  requested_token_type: z.string().optional(),
  expiring: z.union([z.string(), z.number()]).optional(),
});

export interface TokenExchangeConfig {
  store: StandinStore;
  apiKey: string;
  apiSecret: string;
  scopes: string;
}

const oauthError = (status: number, error: string, description: string): HttpReply => ({
  status,
  body: { error, error_description: description },
});

/** The body may be JSON (as @shopify/shopify-api sends it) or a form. */
function parseBody(raw: string, contentType: string): unknown {
  if (contentType.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

export function handleTokenExchange(config: TokenExchangeConfig, shop: string, raw: string, contentType: string): HttpReply {
  const state = config.store.findShop(shop);
  if (!state) return { status: 404, body: { errors: "Not Found" } };
  const parsed = exchangeRequest.safeParse(parseBody(raw, contentType));
  if (!parsed.success) return oauthError(400, "invalid_request", "Missing or malformed token exchange parameters");
  const request = parsed.data;
  if (request.client_id !== config.apiKey || request.client_secret !== config.apiSecret) {
    return oauthError(401, "invalid_client", "Client credentials are invalid");
  }
  if (request.grant_type !== TOKEN_EXCHANGE_GRANT) return oauthError(400, "unsupported_grant_type", "Unsupported grant type");
  if (request.subject_token_type !== undefined && request.subject_token_type !== ID_TOKEN_TYPE) {
    return oauthError(400, "invalid_request", "subject_token_type must be an id_token");
  }
  const verified = verifySessionToken(request.subject_token, config.apiSecret, config.store.now().getTime());
  if (!verified.ok) return oauthError(400, "invalid_subject_token", `Invalid subject token: ${verified.reason}`);
  const claims = verified.payload;
  if (claims.aud !== config.apiKey) return oauthError(400, "invalid_subject_token", "Invalid subject token: wrong audience");
  if (claims.dest !== `https://${shop}`) return oauthError(400, "invalid_subject_token", "Invalid subject token: issued for another shop");

  const requested = request.requested_token_type ?? OFFLINE;
  if (requested === ONLINE) {
    const userId = Number(claims.sub ?? "1");
    const token = config.store.issueAccessToken(shop, { kind: "online", scope: config.scopes, userId, expiresInSeconds: 86_399 });
    return {
      status: 200,
      body: {
        access_token: token.token,
        scope: config.scopes,
        expires_in: 86_399,
        associated_user_scope: config.scopes,
        session: claims.sid ?? null,
        associated_user: {
          id: userId,
          first_name: "Cafe",
          last_name: "Owner",
          email: state.info.email,
          account_owner: true,
          locale: "en",
          collaborator: false,
          email_verified: true,
        },
      },
    };
  }
  if (requested !== OFFLINE) return oauthError(400, "invalid_request", "Unsupported requested_token_type");
  if (request.expiring === "1" || request.expiring === 1) {
    const token = config.store.issueAccessToken(shop, { kind: "offline", scope: config.scopes, expiresInSeconds: 3600 });
    return {
      status: 200,
      body: {
        access_token: token.token,
        scope: config.scopes,
        expires_in: 3600,
        refresh_token: `shprt_${token.token.slice(6)}`,
        refresh_token_expires_in: 7_776_000,
      },
    };
  }
  const token = config.store.issueAccessToken(shop, { kind: "offline", scope: config.scopes });
  return { status: 200, body: { access_token: token.token, scope: config.scopes } };
}
