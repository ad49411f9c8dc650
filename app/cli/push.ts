import type { Command } from "commander";
import { z } from "zod";
import { requireEncryptionKey, type Config } from "../config.server";
import type { Database } from "../db/prisma.server";
import { listPushKeys, rotatePushKey, type PushKeyView } from "../push/keys.server";
import { findInstalledShop } from "../shops/shops.server";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars push …`: the shops' Web Push keys. Rotation is documented in
 * docs/push.md (when to rotate, what browsers do, what happens to retired keys).
 */

const shopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a *.myshopify.com domain");

function parseShop(value: string): string {
  const parsed = shopDomain.safeParse(value.trim().toLowerCase());
  if (!parsed.success) throw new CliInputError(`--shop ${parsed.error.issues[0]?.message ?? "is invalid"} (got ${JSON.stringify(value)})`);
  return parsed.data;
}

async function requireShop(db: Database, shop: string): Promise<void> {
  if (!(await findInstalledShop(db, shop))) throw new CliInputError(`${shop} is not installed here; check the domain with: regulars doctor`);
}

interface KeyRow extends PushKeyView {
  activeSubscriptions: number;
}

async function keysWithUse(db: Database, shop: string): Promise<KeyRow[]> {
  const [keys, counts] = await Promise.all([
    listPushKeys(db, shop),
    db.pushSubscription.groupBy({ by: ["keyId"], where: { shop, status: "active" }, _count: { _all: true } }),
  ]);
  const used = new Map(counts.map((row) => [row.keyId, row._count._all]));
  return keys.map((key) => ({ ...key, activeSubscriptions: used.get(key.id) ?? 0 }));
}

function keysTable(rows: KeyRow[]): string {
  const header = ["key", "status", "created", "retired", "active subscriptions", "public key"];
  const lines = rows.map((row) => [
    row.id,
    row.status,
    row.createdAt.toISOString().slice(0, 19).replace("T", " "),
    row.retiredAt ? row.retiredAt.toISOString().slice(0, 19).replace("T", " ") : "–",
    String(row.activeSubscriptions),
    `${row.publicKey.slice(0, 16)}…`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

export function registerPushCommands(program: Command, loadConfig: () => Config): void {
  const push = program.command("push").description("the shops' Web Push keys (VAPID)");

  push
    .command("keys")
    .description("list the shop's push keys and how many active subscriptions each still signs for")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the keys as JSON")
    .action(async (options: { shop: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const rows = await withDatabase(loadConfig(), async (db) => {
        await requireShop(db, shop);
        return keysWithUse(db, shop);
      });
      if (options.json) console.log(JSON.stringify(rows, null, 2));
      else console.log(rows.length === 0 ? `${shop} has no push key yet (one is made when its storefront first asks).` : keysTable(rows));
    });

  push
    .command("rotate-key")
    .description(
      "make a new active push key for the shop and retire the current one. Subscriptions made with a retired key keep working; " +
        "each browser moves to the new key the next time it opens the storefront",
    )
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the outcome as JSON")
    .action(async (options: { shop: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const config = loadConfig();
      const applicationKey = requireEncryptionKey(config);
      const { rotation, rows } = await withDatabase(config, async (db) => {
        await requireShop(db, shop);
        const rotation = await rotatePushKey(db, applicationKey, shop);
        return { rotation, rows: await keysWithUse(db, shop) };
      });
      if (options.json) {
        console.log(JSON.stringify({ active: rotation.active, retired: rotation.retired, keys: rows }, null, 2));
        return;
      }
      const retired = rotation.retired.map((key) => key.id).join(", ");
      console.log(`${shop}: ${rotation.active.id} is the active push key${retired ? `; retired ${retired}` : ""}.`);
      console.log(keysTable(rows));
      console.log("Retired keys keep signing pushes to the subscriptions made with them until those browsers resubscribe.");
    });
}
