import { CommanderError, type Command } from "commander";
import { z } from "zod";
import type { Config } from "../config.server";
import type { Database } from "../db/prisma.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { refreshItemCategories } from "../recommend/categories.server";
import { computeRecommendations } from "../recommend/compute.server";
import { adminApi } from "../shopify/admin-api.server";
import { itemRecommendations, memberRecommendations, type RecommendedItem } from "../recommend/recommend.server";
import { tastingAudience } from "../recommend/tasting.server";
import { requireShop } from "./analytics-data";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars recommend`: a member's usual order and suggestions, or an item's
 * partners ("members who order X also like Y") and, with --tasting, the
 * members most likely to want to taste it. Reads what the nightly recompute
 * stored; computes it first when the shop has none yet, or with --refresh.
 */

const USAGE_EXIT_CODE = 2;

const flags = z
  .object({
    shop: shopSettingsSchema.shape.domain,
    member: z.string().trim().min(1, "must not be empty").max(100).optional(),
    item: z.string().trim().min(1, "must not be empty").max(200).optional(),
    tasting: z.boolean().optional(),
    category: z.string().trim().min(1, "must not be empty").max(200).optional(),
    similar: z
      .string()
      .transform((value) => value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== ""))
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,6}$/, "must be a whole number")
      .transform(Number)
      .refine((n) => n >= 1 && n <= 100_000, "must be between 1 and 100000")
      .optional(),
    refresh: z.boolean().optional(),
    categories: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((options) => (options.member === undefined) !== (options.item === undefined), { message: "give either --member ID or --item SKU", path: ["member"] })
  .refine((options) => !options.tasting || options.item !== undefined, { message: "--tasting needs --item", path: ["tasting"] });

export function registerRecommendCommand(program: Command, loadConfig: () => Config): void {
  const command = program
    .command("recommend")
    .description("a member's usual order and suggestions, or an item's partners (confidence, lift, support) and tasting audience")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--member <id>", "a customer id: their usual order and top suggestions")
    .option("--item <sku>", "an item (SKU, variant id or title): members who order it also like …")
    .option("--tasting", "with --item: the members most likely to want to taste it (a new menu item)")
    .option("--category <type>", "with --tasting: the item's category (product type) when the app does not know it")
    .option("--similar <items>", "with --tasting: comma-separated items it is like")
    .option("--limit <n>", "how many partners or tasting members to list (default 5 and 20)")
    .option("--refresh", "recompute the shop's recommendations from its orders first")
    .option("--categories", "read the items' categories (product types) from the shop's Admin API first")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  regulars recommend --shop corner-cafe.myshopify.com --member 7301234567890\n" +
        "  regulars recommend --shop corner-cafe.myshopify.com --item FW --tasting --json",
    );
  command.exitOverride((error) => {
    throw error.exitCode === 0 ? error : new CommanderError(USAGE_EXIT_CODE, error.code, error.message);
  });
  command.action(async (raw: Record<string, unknown>) => {
    const parsed = flags.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const flag = String(issue?.path[0] ?? "");
      const got = raw[flag] === undefined ? "" : ` (got ${JSON.stringify(raw[flag])})`;
      const message = issue?.message ?? "is invalid";
      usageError(command, message.startsWith("give") || message.startsWith("--") ? message : `--${flag} ${message}${got}`);
    }
    const options = parsed.data;
    const config = loadConfig();
    const output = await withDatabase(config, async (db) => {
      await requireShop(db, options.shop);
      await ensureRecommendations(db, options.shop, options.refresh === true);
      if (options.categories) {
        const session = await db.session.findUnique({ where: { id: `offline_${options.shop}` } });
        if (!session?.accessToken) throw new CliInputError(`No offline session for ${options.shop}: install the app there to read product types`);
        const updated = await refreshItemCategories(db, adminApi(options.shop, session.accessToken, config.shopify.apiOriginOverride));
        console.error(`Categories read from the Admin API: ${updated} items updated.`);
      }
      if (options.member !== undefined) {
        const result = await memberRecommendations(db, options.shop, options.member);
        return options.json ? JSON.stringify({ shop: options.shop, member: options.member, ...result }, null, 2) : formatMember(options.member, result);
      }
      const item = options.item ?? "";
      const view = await itemRecommendations(db, options.shop, item, options.limit ?? 5);
      const tasting = options.tasting
        ? await tastingAudience(db, options.shop, { item, category: options.category, similarTo: options.similar, limit: options.limit ?? 20 })
        : null;
      if (!view && !tasting) throw new CliInputError(`${options.shop} has no item ${item} in its orders (give its SKU, variant id or title)`);
      if (tasting && !tasting.ok) throw new CliInputError(tasting.message);
      if (options.json) return JSON.stringify({ shop: options.shop, item: view, tasting: tasting?.ok ? tasting : null }, null, 2);
      return [view ? formatItem(view) : `${item}: not sold yet`, ...(tasting?.ok ? [formatTasting(tasting)] : [])].join("\n\n");
    });
    console.log(output);
  });
}

/** Prints the message as commander prints its own usage errors, and exits 2. */
function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE, code: "regulars.invalidFlag" });
}

async function ensureRecommendations(db: Database, shop: string, refresh: boolean): Promise<void> {
  if (!refresh && (await db.recommendItem.findFirst({ where: { shop }, select: { key: true } }))) return;
  if (!refresh) console.error(`${shop} has no recommendations yet: computing them from its orders first.`);
  await computeRecommendations(db, shop);
}

const percent = (value: number) => `${(value * 100).toFixed(0)} %`;

function formatMember(member: string, result: { usual: RecommendedItem[]; suggestions: RecommendedItem[] }): string {
  if (result.usual.length === 0 && result.suggestions.length === 0) return `No recommendations for ${member} (no visits with items, or not computed yet).`;
  const usual = result.usual.map((entry, i) => `  ${i + 1}. ${entry.title} (${entry.item}) — in ${percent(entry.score)} of visits`);
  const suggestions = result.suggestions.map(
    (entry, i) => `  ${i + 1}. ${entry.title} (${entry.item}) — score ${entry.score.toFixed(3)}${entry.becauseOfTitle ? `, goes with ${entry.becauseOfTitle}` : ""}`,
  );
  return [`Usual order of ${member}:`, ...(usual.length ? usual : ["  (none yet: no item in 40 % of two or more visits)"]), "Suggestions:", ...(suggestions.length ? suggestions : ["  (none)"])].join("\n");
}

function formatItem(view: NonNullable<Awaited<ReturnType<typeof itemRecommendations>>>): string {
  const header = `${view.title} (${view.item}${view.category ? `, ${view.category}` : ""}): in ${view.visits.toLocaleString("en-US")} visits`;
  if (view.partners.length === 0) return `${header}\n  No partner with enough support yet (20 visits together, 5 members).`;
  return [
    header,
    "  Members who order it also like:",
    ...view.partners.map(
      (p) => `  ${p.rank}. ${p.title} (${p.item}) — confidence ${percent(p.confidence)}, lift ${p.lift.toFixed(2)}, together in ${p.together} visits of ${p.members} members`,
    ),
  ].join("\n");
}

function formatTasting(audience: Extract<Awaited<ReturnType<typeof tastingAudience>>, { ok: true }>): string {
  const basis = [audience.category ? `category ${audience.category}` : null, audience.similarTo.length ? `like ${audience.similarTo.join(", ")}` : null].filter(Boolean).join(", ");
  if (audience.members.length === 0) return `Tasting audience for ${audience.item} (${basis}): nobody yet.`;
  return [
    `Tasting audience for ${audience.item} (${basis}), most likely first:`,
    ...audience.members.map(
      (m, i) => `  ${i + 1}. ${m.customerId} — score ${m.score.toFixed(3)} (${m.visits} visits${m.pAlive === null ? "" : `, P(alive) ${m.pAlive.toFixed(2)}`})`,
    ),
  ].join("\n");
}
