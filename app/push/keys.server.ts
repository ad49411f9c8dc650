import type { KeyObject } from "node:crypto";
import type { Database } from "../db/prisma.server";
import { deriveKey, openSecret, sealSecret } from "../lib/secret-box.server";
import { generateVapidKeyPair, vapidSigningKey } from "./vapid.server";

/**
 * Each shop's VAPID key pairs (PushKey). One is active: browsers subscribe
 * with it. Rotation makes a new active key and retires the old one; a
 * retired key keeps signing pushes to the subscriptions made with it, until
 * those browsers resubscribe with the new key (the storefront script does so
 * when it sees a different public key). Private keys are stored sealed under
 * a key derived from APP_ENCRYPTION_KEY, bound to their shop and id.
 */

export interface PushKeyView {
  shop: string;
  id: string;
  publicKey: string;
  status: "active" | "retired";
  createdAt: Date;
  retiredAt: Date | null;
}

/** Another rotation won the race; nothing was changed by this one. */
export class PushKeyConflictError extends Error {
  constructor(shop: string) {
    super(`another key rotation for ${shop} happened at the same moment; run it again if a new key is still wanted`);
    this.name = "PushKeyConflictError";
  }
}

const SEAL_PURPOSE = "push-key-encryption";
const sealContext = (shop: string, id: string) => `push-key:${shop}:${id}`;
const KEY_ID = /^k([1-9][0-9]*)$/;

/** The public view: field by field, so the sealed private key never rides along. */
function view(row: { shop: string; id: string; publicKey: string; status: string; createdAt: Date; retiredAt: Date | null }): PushKeyView {
  return { shop: row.shop, id: row.id, publicKey: row.publicKey, status: row.status === "active" ? "active" : "retired", createdAt: row.createdAt, retiredAt: row.retiredAt };
}

/** The shop's active key, created on first use (shops installed before push existed, the demo). */
export async function ensureActivePushKey(db: Database, applicationKey: Buffer, shop: string, at = new Date()): Promise<PushKeyView> {
  const active = await findActivePushKey(db, shop);
  if (active) return active;
  const id = await nextKeyId(db, shop);
  const pair = generateVapidKeyPair();
  const sealed = sealSecret(deriveKey(applicationKey, SEAL_PURPOSE), pair.privateKey, sealContext(shop, id));
  // Two first uses at once both try the same id; the loser's insert does nothing and it reads the winner's key.
  await db.$executeRaw`
    INSERT INTO "PushKey" (shop, id, "publicKey", "privateKeyEnc", status, "createdAt")
    SELECT ${shop}, ${id}, ${pair.publicKey}, ${sealed}, 'active', ${at}
    WHERE NOT EXISTS (SELECT 1 FROM "PushKey" WHERE shop = ${shop} AND status = 'active')
    ON CONFLICT (shop, id) DO NOTHING`;
  const created = await findActivePushKey(db, shop);
  if (!created) throw new Error(`no active push key for ${shop} after creating one`);
  return created;
}

/**
 * A new active key; every other key of the shop is retired (and keeps
 * working for the subscriptions made with it).
 */
export async function rotatePushKey(db: Database, applicationKey: Buffer, shop: string, at = new Date()): Promise<{ active: PushKeyView; retired: PushKeyView[] }> {
  const id = await nextKeyId(db, shop);
  const pair = generateVapidKeyPair();
  const sealed = sealSecret(deriveKey(applicationKey, SEAL_PURPOSE), pair.privateKey, sealContext(shop, id));
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO "PushKey" (shop, id, "publicKey", "privateKeyEnc", status, "createdAt")
      VALUES (${shop}, ${id}, ${pair.publicKey}, ${sealed}, 'active', ${at})
      ON CONFLICT (shop, id) DO NOTHING`;
    if (inserted === 0) throw new PushKeyConflictError(shop);
    const retired = await tx.$queryRaw<PushKeyView[]>`
      UPDATE "PushKey" SET status = 'retired', "retiredAt" = ${at}
      WHERE shop = ${shop} AND status = 'active' AND id <> ${id}
      RETURNING shop, id, "publicKey", status, "createdAt", "retiredAt"`;
    const active = await tx.pushKey.findUniqueOrThrow({ where: { shop_id: { shop, id } } });
    return { active: view(active), retired: retired.map(view) };
  });
}

export async function findActivePushKey(db: Database, shop: string): Promise<PushKeyView | null> {
  const row = await db.pushKey.findFirst({ where: { shop, status: "active" }, orderBy: { createdAt: "desc" } });
  return row ? view(row) : null;
}

export async function listPushKeys(db: Database, shop: string): Promise<PushKeyView[]> {
  const rows = await db.pushKey.findMany({ where: { shop, status: { in: ["active", "retired"] } }, orderBy: { createdAt: "asc" } });
  return rows.map(view);
}

/** The shop's key with this public key (active or retired), as a browser reports the key it subscribed with. */
export async function findPushKeyByPublicKey(db: Database, shop: string, publicKey: string): Promise<PushKeyView | null> {
  const row = await db.pushKey.findFirst({ where: { shop, publicKey, status: { in: ["active", "retired"] } } });
  return row ? view(row) : null;
}

/** The private key, opened; throws SecretDecryptionError when APP_ENCRYPTION_KEY is not the one it was sealed with. */
export async function loadPushSigningKey(db: Database, applicationKey: Buffer, shop: string, id: string): Promise<{ publicKey: string; key: KeyObject } | null> {
  const row = await db.pushKey.findUnique({ where: { shop_id: { shop, id } } });
  if (!row) return null;
  const privateKey = openSecret(deriveKey(applicationKey, SEAL_PURPOSE), row.privateKeyEnc, sealContext(shop, id));
  return { publicKey: row.publicKey, key: vapidSigningKey(row.publicKey, privateKey) };
}

async function nextKeyId(db: Database, shop: string): Promise<string> {
  const rows = await db.pushKey.findMany({ where: { shop }, select: { id: true } });
  const highest = rows.reduce((max, row) => Math.max(max, Number(KEY_ID.exec(row.id)?.[1] ?? 0)), 0);
  return `k${highest + 1}`;
}
