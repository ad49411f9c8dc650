import type { Command } from "commander";
import { customerIdSchema } from "../analytics/scope";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { memberSummary, type MemberSummary } from "../members/summary.server";
import type { PerkStatus } from "../perks/perks.server";
import { requireShop } from "./analytics-data";
import { CliInputError, withDatabase } from "./shop";

/** `regulars members show`: one member as the barista sees them at the counter. */
export function registerMemberCommands(program: Command, loadConfig: () => Config): void {
  const members = program.command("members").description("members as the counter knows them: visits, rhythm, usual order, perks");

  members
    .command("show")
    .description("print a member's summary: visits and rhythm, usual order and suggestions, perks ready, today's open pickup order, whether push reaches them")
    .argument("<member>", "the member's Shopify customer id (a number, or gid://shopify/Customer/N); a merged customer shows the surviving one")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the summary as JSON")
    .action(async (member: string, options: { shop: string; json?: boolean }) => {
      const shop = shopSettingsSchema.shape.domain.safeParse(options.shop);
      if (!shop.success) throw new CliInputError(`--shop ${shop.error.issues[0]?.message ?? "is invalid"}`);
      const customerId = customerIdSchema.safeParse(member.trim().replace(/^gid:\/\/shopify\/Customer\//, ""));
      if (!customerId.success) throw new CliInputError(`member: ${customerId.error.issues[0]?.message ?? "is invalid"}`);
      const summary = await withDatabase(loadConfig(), async (db) => {
        await requireShop(db, shop.data);
        return memberSummary(db, shop.data, customerId.data);
      });
      if (!summary) throw new CliInputError(`Customer ${customerId.data} is not known in ${shop.data}. Customers arrive with their orders (sync, backfill or import).`);
      console.log(options.json ? JSON.stringify(summary, null, 2) : formatMemberSummary(summary, customerId.data));
    });
}

const STATUS_WORDS: Record<MemberSummary["memberStatus"], string> = { active: "member", left: "left the membership", not_member: "not a member" };

function perkLine(perk: PerkStatus): string {
  const ready = perk.ready === 0 ? "nothing ready" : `${perk.ready} ready`;
  const progress = perk.progress ? `; ${perk.progress.visitsCounted} visits counted, ${perk.progress.visitsToNext} to the next` : "";
  const variants = perk.variantIds.length === 0 ? "" : perk.kind === "new_item_tasting" ? `; to taste: ${perk.variantIds.join(", ")}` : `; on ${perk.variantIds.join(", ")}`;
  return `  ${perk.name} (${perk.reward}): ${ready}${progress}${variants}`;
}

export function formatMemberSummary(summary: MemberSummary, asked: string): string {
  const lines = [`${summary.name ?? "(no name)"}, customer ${summary.customerId}: ${STATUS_WORDS[summary.memberStatus]}`];
  if (asked !== summary.customerId) lines.push(`(customer ${asked} was merged into ${summary.customerId})`);
  lines.push(
    summary.visits === 0 ? "visits: none yet" : `visits: ${summary.visits}, first ${summary.firstVisitOn ?? "?"}, last ${summary.lastVisitOn ?? "?"}`,
    `rhythm: ${summary.rhythm ?? "no clear rhythm yet"}`,
    `usual order: ${summary.usualOrder.length === 0 ? "not known yet" : summary.usualOrder.map((item) => item.title).join(", ")}`,
    `suggestions: ${summary.suggestions.length === 0 ? "none yet" : summary.suggestions.map((item) => (item.becauseOfTitle ? `${item.title} (with ${item.becauseOfTitle})` : item.title)).join(", ")}`,
  );
  if (summary.perks.length === 0) lines.push("perks: none");
  else lines.push("perks:", ...summary.perks.map(perkLine));
  const pickup = summary.openPickup;
  lines.push(`pickup today: ${pickup ? `${pickup.name ?? `order ${pickup.orderId}`} at ${pickup.slotStart}, ${pickup.status}` : "none"}`);
  lines.push(`push: ${summary.pushEnabled ? "on" : "off"}`);
  return lines.join("\n");
}
