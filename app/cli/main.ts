import { Command, CommanderError } from "commander";
import { ConfigError, parseConfig, type Config } from "../config.server";
import { registerBackfillCommands } from "./backfill";
import { registerCampaignCommands } from "./campaigns";
import { registerCohortCommands } from "./cohorts";
import { registerDbCommands } from "./db";
import { registerDoctor } from "./doctor";
import { registerImportCommands } from "./import";
import { registerMemberCommands } from "./members";
import { registerModelCommands } from "./model";
import { registerPickupCommands } from "./pickup";
import { registerPushCommands } from "./push";
import { registerRecommendCommand } from "./recommend";
import { registerReportCommand } from "./report";
import { registerSegmentCommands } from "./segments";
import { registerShopCommands } from "./shop";
import { registerSimulate } from "./simulate";

/**
 * `regulars`: the operator's command line. Each subcommand parses its flags,
 * calls one domain function and prints the outcome; `--help` works everywhere.
 */
export function buildProgram(loadConfig: () => Config): Command {
  const program = new Command("regulars")
    .description("Regulars: membership and CRM for cafes on Shopify")
    .showHelpAfterError()
    .exitOverride();
  registerDbCommands(program, loadConfig);
  registerBackfillCommands(program, loadConfig);
  registerDoctor(program, loadConfig);
  registerShopCommands(program, loadConfig);
  registerImportCommands(program, loadConfig);
  registerModelCommands(program, loadConfig);
  registerPushCommands(program, loadConfig);
  registerCampaignCommands(program, loadConfig);
  registerSegmentCommands(program, loadConfig);
  registerSimulate(program);
  registerCohortCommands(program, loadConfig);
  registerPickupCommands(program, loadConfig);
  registerReportCommand(program, loadConfig);
  registerMemberCommands(program, loadConfig);
  registerRecommendCommand(program, loadConfig);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram(() => parseConfig(process.env, { requireShopifyCredentials: false }));
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError || (error instanceof Error && error.name !== "Error")) {
      console.error(`regulars: ${error.message}`);
    } else {
      console.error(error);
    }
    return 1;
  }
}

process.exit(await main(process.argv));
