import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/**
 * HS256 JSON Web Tokens, the kind App Bridge hands an embedded app as its
 * session token: signed with the app's API secret, `aud` = API key,
 * `dest` = https://SHOP. Written out here rather than taken from a JWT library
 * so the stand-in depends on nothing the app does not.
 * https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
 */

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export function signHs256(payload: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

export const sessionTokenPayload = z.object({
  iss: z.string(),
  dest: z.string(),
  aud: z.string(),
  sub: z.string().optional(),
  exp: z.number(),
  nbf: z.number(),
  iat: z.number(),
  jti: z.string(),
  sid: z.string().optional(),
});

export type SessionTokenPayload = z.infer<typeof sessionTokenPayload>;

export type VerifyResult = { ok: true; payload: SessionTokenPayload } | { ok: false; reason: string };

/** Shopify's libraries allow ten seconds of clock skew either way; so does the stand-in. */
const CLOCK_TOLERANCE_SECONDS = 10;

export function verifySessionToken(token: string, secret: string, nowMs: number): VerifyResult {
  const [header, body, signature, ...rest] = token.split(".");
  if (header === undefined || body === undefined || signature === undefined || rest.length > 0) {
    return { ok: false, reason: "not a JWT" };
  }
  let headerJson: unknown;
  let payloadJson: unknown;
  try {
    headerJson = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    payloadJson = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "not a JWT" };
  }
  const alg = z.object({ alg: z.literal("HS256") }).safeParse(headerJson);
  if (!alg.success) return { ok: false, reason: "algorithm is not HS256" };
  const expected = createHmac("sha256", secret).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "signature verification failed" };
  }
  const payload = sessionTokenPayload.safeParse(payloadJson);
  if (!payload.success) return { ok: false, reason: "payload is missing claims" };
  const now = nowMs / 1000;
  if (payload.data.exp < now - CLOCK_TOLERANCE_SECONDS) return { ok: false, reason: "token expired" };
  if (payload.data.nbf > now + CLOCK_TOLERANCE_SECONDS) return { ok: false, reason: "token not yet valid" };
  return { ok: true, payload: payload.data };
}

export interface MintSessionTokenOptions {
  apiKey: string;
  apiSecret: string;
  shop: string;
  /** The staff member using the admin; a number, sent as a string in `sub`. */
  userId?: number;
  /** App Bridge tokens live one minute. */
  expiresInSeconds?: number;
  now?: Date;
}

export function mintSessionToken(options: MintSessionTokenOptions): string {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return signHs256(
    {
      iss: `https://${options.shop}/admin`,
      dest: `https://${options.shop}`,
      aud: options.apiKey,
      sub: String(options.userId ?? 1),
      exp: now + (options.expiresInSeconds ?? 60),
      nbf: now,
      iat: now,
      jti: randomUUID(),
      sid: randomBytes(32).toString("hex"),
    },
    options.apiSecret,
  );
}
