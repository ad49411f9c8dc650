import type { Command } from "commander";
import type { Config } from "../config.server";
import { openDatabase } from "../db/database.server";
import { migrationStatus } from "../db/migrations.server";
import { createPrismaClient, type Database } from "../db/prisma.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { createStandaloneShop } from "../imports/standalone-shop.server";
import { DatabaseBehindError } from "../startup.server";

/** Bad command-line input; main prints the message without a stack. */
export class CliInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliInputError";
  }
}

/** Opens the configured database for one command, refusing one whose migrations are behind. */
export async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config.database);
  try {
    const status = await migrationStatus(database.url);
    if (!status.upToDate) throw new DatabaseBehindError(status.pending, status.failed);
    const db = createPrismaClient(database.url, { maxConnections: 2 });
    try {
      return await work(db);
    } finally {
      await db.$disconnect();
    }
  } finally {
    await database.close();
  }
}

export function registerShopCommands(program: Command, loadConfig: () => Config): void {
  const shop = program.command("shop").description("shops Regulars knows");

  shop
    .command("create")
    .description(
      "register a shop without Shopify (to import and analyse order history before installing, or to try Regulars on your own data); " +
        "running it again with the same settings changes nothing, other settings are refused",
    )
    .argument("<domain>", "the shop's *.myshopify.com domain (the one Shopify will send if the cafe installs the app later)")
    .requiredOption("--timezone <zone>", "IANA time zone the cafe keeps its clock in, e.g. Europe/London")
    .requiredOption("--currency <code>", "ISO 4217 currency code, e.g. GBP")
    .option("--name <name>", "display name")
    .action(async (domain: string, options: { timezone: string; currency: string; name?: string }) => {
      const parsed = shopSettingsSchema.safeParse({ domain, ...options });
      if (!parsed.success) {
        throw new CliInputError(parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; "));
      }
      const settings = parsed.data;
      const { outcome, shop: stored } = await withDatabase(loadConfig(), (db) => createStandaloneShop(db, settings));
      const described = `time zone ${stored.timezone}, currency ${stored.currency}`;
      if (outcome === "created") {
        console.log(`Registered ${stored.domain} (standalone): ${described}.`);
        console.log(`Import its order history with: regulars import orders FILE.csv --shop ${stored.domain}`);
      } else {
        console.log(`${stored.domain} already exists with ${described}; nothing changed.`);
      }
    });
}
