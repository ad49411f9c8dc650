import type { Command } from "commander";
import type { Config } from "../config.server";
import { diagnose, formatDiagnosis } from "../doctor.server";

export function registerDoctor(program: Command, loadConfig: () => Config): void {
  program
    .command("doctor")
    .description("show which database and queue backend this configuration uses, their versions, and whether migrations are current")
    .option("--json", "print the diagnosis as JSON")
    .action(async (options: { json?: boolean }) => {
      const diagnosis = await diagnose(loadConfig());
      console.log(options.json ? JSON.stringify(diagnosis, null, 2) : formatDiagnosis(diagnosis));
      if (!diagnosis.ok) process.exitCode = 1;
    });
}
