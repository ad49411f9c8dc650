import { createECDH, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

/**
 * VAPID (RFC 8292): each push request carries `Authorization: vapid t=JWT,
 * k=PUBLIC_KEY`, the JWT signed with the shop's P-256 key (ES256) and naming
 * the push service's origin (`aud`), an expiry at most 24 h away (`exp`) and
 * our contact (`sub`). One JWT is valid for every message to that origin
 * until it expires, so it is signed once per (key, origin) and reused: signing
 * per message would cost more than encrypting the message itself
 * (docs/decisions/0014-web-push-delivery.md, `npm run bench:push`).
 */

/** How long a signed JWT is valid; RFC 8292 §2 caps it at 24 h. */
export const VAPID_JWT_LIFETIME_SECONDS = 12 * 3600;
/** A cached header is replaced this long before it expires, so none is sent about to lapse. */
export const VAPID_REFRESH_MARGIN_SECONDS = 3600;

export interface VapidKeyPair {
  /** Uncompressed P-256 point (65 bytes), base64url: what browsers take as applicationServerKey. */
  publicKey: string;
  /** The private scalar (32 bytes). */
  privateKey: Buffer;
}

export function generateVapidKeyPair(): VapidKeyPair {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  if (!jwk.d || !jwk.x || !jwk.y) throw new Error("P-256 key export lacks d, x or y");
  return { publicKey: rawPublicKey(jwk.x, jwk.y).toString("base64url"), privateKey: Buffer.from(jwk.d, "base64url") };
}

/** A signing key from its stored halves; throws if they are not one P-256 key pair. */
export function vapidSigningKey(publicKey: string, privateKey: Buffer): KeyObject {
  const point = Buffer.from(publicKey, "base64url");
  if (point.length !== 65 || point[0] !== 0x04) throw new RangeError("a VAPID public key is an uncompressed P-256 point of 65 bytes");
  if (privateKey.length !== 32) throw new RangeError("a VAPID private key is 32 bytes");
  // A mismatched pair would sign JWTs that every push service refuses: catch it here, once per key.
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(privateKey);
  if (!ecdh.getPublicKey().equals(point)) throw new RangeError("the VAPID private key does not belong to the public key");
  return createPrivateKey({
    key: {
      kty: "EC",
      crv: "P-256",
      d: privateKey.toString("base64url"),
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
}

export interface VapidClaims {
  /** The push service's origin, e.g. https://fcm.googleapis.com */
  aud: string;
  /** Seconds since the epoch. */
  exp: number;
  /** mailto: or https: contact. */
  sub: string;
}

export function signVapidJwt(claims: VapidClaims, key: KeyObject): string {
  const header = Buffer.from(JSON.stringify({ typ: "JWT", alg: "ES256" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), { key, dsaEncoding: "ieee-p1363" });
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

export interface VapidSigner {
  /** Identifies the key pair; the public key itself is unique per pair. */
  publicKey: string;
  key: KeyObject;
}

/**
 * Authorization headers per (key, push-service origin), signed on first use
 * and reused until VAPID_REFRESH_MARGIN_SECONDS before they expire. The clock
 * is injectable so tests can walk past the validity.
 */
export class VapidAuthorizationCache {
  private readonly entries = new Map<string, { header: string; exp: number }>();
  /** JWTs signed so far (what the cache saves is the difference to messages sent). */
  signatures = 0;

  constructor(
    private readonly subject: string,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  authorization(signer: VapidSigner, origin: string): string {
    const cacheKey = `${signer.publicKey} ${origin}`;
    const nowSeconds = Math.floor(this.now() / 1000);
    const cached = this.entries.get(cacheKey);
    if (cached && cached.exp - nowSeconds > VAPID_REFRESH_MARGIN_SECONDS) return cached.header;
    const exp = nowSeconds + VAPID_JWT_LIFETIME_SECONDS;
    const header = `vapid t=${signVapidJwt({ aud: origin, exp, sub: this.subject }, signer.key)}, k=${signer.publicKey}`;
    this.signatures += 1;
    if (this.entries.size >= this.maxEntries) this.evictExpired(nowSeconds);
    this.entries.set(cacheKey, { header, exp });
    return header;
  }

  private evictExpired(nowSeconds: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.exp - nowSeconds <= VAPID_REFRESH_MARGIN_SECONDS) this.entries.delete(key);
    }
    // Still full (many live origins): drop the oldest half rather than grow without bound.
    if (this.entries.size >= this.maxEntries) {
      let drop = Math.ceil(this.entries.size / 2);
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
  }
}

function rawPublicKey(x: string, y: string): Buffer {
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(x, "base64url"), Buffer.from(y, "base64url")]);
}
