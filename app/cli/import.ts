import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import type { Config } from "../config.server";
import { importOrders, type ImportProgress, type ImportReport } from "../imports/import-orders.server";
import { renderProgressBar } from "../imports/progress";
import { shopSettingsSchema } from "../imports/shop-settings";
import { CliInputError, withDatabase } from "./shop";

const ERRORS_PRINTED = 50;

interface ImportOrdersOptions {
  shop: string;
  json?: boolean;
  progress?: boolean;
}

export function registerImportCommands(program: Command, loadConfig: () => Config): void {
  const imports = program.command("import").description("bring history in from elsewhere");

  imports
    .command("orders")
    .description(
      "import order history from another POS (CSV; format in docs/import.md). All or nothing: a file with any bad row " +
        "writes nothing and lists every bad row by line; importing the same file again changes nothing",
    )
    .argument("<file>", "CSV file with a header line: customer_id,ordered_at,total and optional order_id,currency,location,channel,email,items")
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain (installed, or registered with `regulars shop create`)")
    .option("--json", "print the report as JSON")
    .option("--progress", "draw the progress bar even when stderr is not a terminal")
    .option("--no-progress", "never draw the progress bar")
    .action(async (file: string, options: ImportOrdersOptions) => {
      const shop = shopSettingsSchema.shape.domain.safeParse(options.shop);
      if (!shop.success) throw new CliInputError(`--shop ${shop.error.issues[0]?.message ?? "is invalid"}`);
      const source = await describeFile(file);
      const drawProgress = options.progress ?? Boolean(process.stderr.isTTY);
      const bar = progressBar(drawProgress && !options.json);
      const report = await withDatabase(loadConfig(), (db) =>
        importOrders(db, shop.data, source, { origin: "cli", onProgress: bar.update }),
      );
      bar.finish(report);
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else printReport(report);
      if (report.status === "rejected") process.exitCode = 1;
    });
}

async function describeFile(path: string) {
  const info = await stat(path).catch((error: unknown) => {
    throw new CliInputError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!info.isFile()) throw new CliInputError(`${path} is not a file`);
  // Hashed in a first pass (fast next to parsing) so the run records it from the start.
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return { fileName: basename(path), bytes: info.size, sha256: hash.digest("hex"), open: () => createReadStream(path) };
}

function progressBar(enabled: boolean) {
  const terminal = Boolean(process.stderr.isTTY);
  let last: ImportProgress | undefined;
  const draw = (line: string) => process.stderr.write(terminal ? `\r${line}\x1b[K` : `${line}\n`);
  return {
    update(progress: ImportProgress) {
      last = progress;
      if (enabled) draw(renderProgressBar(progress));
    },
    finish(report: ImportReport) {
      if (!enabled) return;
      const bytesTotal = last?.bytesTotal ?? 0;
      const bytesDone = report.status === "completed" ? bytesTotal : (last?.bytesDone ?? 0);
      draw(renderProgressBar({ phase: "done", bytesDone, bytesTotal, rows: report.rows }));
      if (terminal) process.stderr.write("\n");
    },
  };
}

function printReport(report: ImportReport): void {
  const n = (count: number) => count.toLocaleString("en-US");
  if (report.status === "completed") {
    console.log(
      `Imported ${report.fileName} into ${report.shop}: ${n(report.rows)} rows — ${n(report.ordersNew)} new orders, ` +
        `${n(report.ordersUpdated)} updated, ${n(report.ordersUnchanged)} unchanged; ${n(report.customersNew)} new customers.`,
    );
    if (report.previouslyImportedAt) {
      console.log(`This file was imported before (${report.previouslyImportedAt.toISOString()}); orders already held were left as they were.`);
    }
    console.log(`Import run ${report.runId}.`);
    return;
  }
  const rows = report.errorCount === 1 ? "1 problem" : `${n(report.errorCount)} problems`;
  console.error(`${report.fileName} was not imported: ${rows} found, so nothing was written. Fix these and import the file again:`);
  for (const error of report.errors.slice(0, ERRORS_PRINTED)) console.error(`  line ${error.line}: ${error.message}`);
  const hidden = report.errorCount - Math.min(report.errors.length, ERRORS_PRINTED);
  if (hidden > 0) console.error(`  … and ${n(hidden)} more (import run ${report.runId}, or --json, lists the first 1,000)`);
}
