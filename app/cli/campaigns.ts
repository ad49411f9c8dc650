import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { CAMPAIGN_ID, createCampaign, listCampaigns, pauseCampaign, resumeCampaign, scheduleCampaign, type CampaignRecord } from "../campaigns/campaigns.server";
import { campaignResults } from "../campaigns/results.server";
import { formatCampaignList, formatResults } from "../campaigns/results-text";
import { campaignRunDeps } from "../campaigns/run-deps.server";
import { runCampaign } from "../campaigns/run.server";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import type { Runtime } from "../runtime.server";
import { startRuntime, stopRuntime } from "../startup.server";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars campaigns`: list a shop's campaigns, author one from a JSON file,
 * schedule / pause / resume it, run it once now, and read its results.
 */

const MAX_FILE_BYTES = 1_000_000;

function parseShop(value: string): string {
  const parsed = shopSettingsSchema.shape.domain.safeParse(value);
  if (!parsed.success) throw new CliInputError(`--shop ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  return parsed.data;
}

function parseId(value: string): string {
  if (!CAMPAIGN_ID.test(value)) throw new CliInputError(`campaign id must be letters, digits, - or _ (got ${JSON.stringify(value)})`);
  return value;
}

async function withRuntime<T>(config: Config, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await startRuntime(config);
  try {
    return await work(runtime);
  } finally {
    await stopRuntime(runtime);
  }
}

async function readJson(path: string): Promise<unknown> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new CliInputError(`cannot read ${path}: no such file`);
  }
  if (size > MAX_FILE_BYTES) throw new CliInputError(`${path} is ${size.toLocaleString("en")} bytes; a campaign file is at most ${MAX_FILE_BYTES.toLocaleString("en")}`);
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new CliInputError(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const describe = (campaign: CampaignRecord) =>
  `${campaign.id} "${campaign.name}" (${campaign.kind}) is ${campaign.status}${campaign.startsAt ? `, from ${campaign.startsAt.toISOString()}` : ""}`;

export function registerCampaignCommands(program: Command, loadConfig: () => Config): void {
  const campaigns = program.command("campaigns").description("behaviour-based invitations by web push, each measured against a holdout");

  campaigns
    .command("list")
    .description("the shop's campaigns, newest first, with how many members each has decided and sent")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the list as JSON")
    .action(async (options: { shop: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const list = await withDatabase(loadConfig(), (db) => listCampaigns(db, shop));
      console.log(options.json ? JSON.stringify(list, null, 2) : formatCampaignList(list));
    });

  campaigns
    .command("results")
    .description(
      "deliveries, taps and conversions (an order within the attribution window after the send time) of a campaign, " +
        "with the uplift over its holdout: a 95 % interval and p-value, or \"inconclusive\" and the members still needed",
    )
    .argument("<id>", "the campaign's id (see `regulars campaigns list`)")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the results as JSON")
    .action(async (id: string, options: { shop: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const campaignId = parseId(id);
      const results = await withDatabase(loadConfig(), (db) => campaignResults(db, shop, campaignId));
      console.log(options.json ? JSON.stringify(results, null, 2) : formatResults(results, shop));
    });

  campaigns
    .command("create")
    .description(
      "author a campaign from a JSON file (kind, segmentId, variants, offer, holdoutPercent, ...); it starts as a draft. " +
        'A tasting offer may name its new item and audience: "offer": { "type": "tasting", "link": "/products/fig-tart", "item": "FIG-TART", "audienceSize": 120, "minScore": 0.2 }',
    )
    .argument("<file>", "the campaign definition (JSON)")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--id <id>", "a readable id for it, e.g. thursday-tasting (default: a random one)")
    .option("--json", "print the stored campaign as JSON")
    .action(async (file: string, options: { shop: string; id?: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const id = options.id === undefined ? undefined : parseId(options.id);
      const input = await readJson(file);
      const campaign = await withDatabase(loadConfig(), async (db) => {
        // The segment must be one of this shop's, as the admin's form requires (app/campaigns/authoring.server.ts):
        // another shop's segment id would otherwise be stored on this shop's campaign.
        const segmentId = typeof input === "object" && input !== null && "segmentId" in input ? input.segmentId : null;
        if (typeof segmentId === "string" && !(await db.segment.findUnique({ where: { shop_id: { shop, id: segmentId } }, select: { id: true } }))) {
          throw new CliInputError(`there is no segment "${segmentId}" in ${shop}`);
        }
        return createCampaign(db, shop, input, id === undefined ? {} : { id });
      });
      console.log(options.json ? JSON.stringify(campaign, null, 2) : `Created ${describe(campaign)}.\nStart it with: regulars campaigns schedule ${campaign.id} --shop ${shop}`);
    });

  const transition = (name: "schedule" | "pause" | "resume", description: string, change: (runtime: Runtime, shop: string, id: string) => Promise<CampaignRecord>) =>
    campaigns
      .command(name)
      .description(description)
      .argument("<id>", "the campaign's id")
      .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
      .action(async (id: string, options: { shop: string }) => {
        const shop = parseShop(options.shop);
        const campaignId = parseId(id);
        const campaign = await withRuntime(loadConfig(), (runtime) => change(runtime, shop, campaignId));
        console.log(`${describe(campaign)}.`);
      });
  transition("schedule", "start a draft: the worker runs it every few minutes from its start", (runtime, shop, id) => scheduleCampaign(runtime, shop, id));
  transition("pause", "stop deciding and sending (decisions made so far are kept)", (runtime, shop, id) => pauseCampaign(runtime, shop, id));
  transition("resume", "continue a paused campaign", (runtime, shop, id) => resumeCampaign(runtime, shop, id));

  campaigns
    .command("run")
    .description("run a campaign once now in this process (decide new members, hand due messages to the push queue); safe to repeat")
    .argument("<id>", "the campaign's id")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--json", "print the run's report as JSON")
    .action(async (id: string, options: { shop: string; json?: boolean }) => {
      const shop = parseShop(options.shop);
      const campaignId = parseId(id);
      const report = await withRuntime(loadConfig(), (runtime) => runCampaign(campaignRunDeps(runtime, shop), shop, campaignId));
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      if (!report.ran) {
        console.log(`Campaign ${report.campaignId} is ${report.status}: nothing to do now.`);
        return;
      }
      const d = report.decided;
      const skipped = Object.entries(d.skipped).map(([reason, n]) => `${reason} ${n}`).join(", ");
      console.log(`Decided: ${d.treatment} to message, ${d.holdout} held out${skipped ? `, skipped ${skipped}` : ""}.`);
      console.log(`Handed to the push queue: ${report.dispatched.sent}${report.completed ? "; the campaign is complete" : ""}.`);
    });
}
