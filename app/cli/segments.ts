import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { localDateOf } from "../analytics/local-dates";
import { formatIssue, formatPath, parseSegmentDefinition, type SegmentIssue } from "../analytics/segments/definition";
import { PREVIEW_MAX_MEMBERS, previewSegment, type PreviewMember } from "../analytics/segments/preview.server";
import type { Config } from "../config.server";
import { shopSettingsSchema } from "../imports/shop-settings";
import { CliInputError, withDatabase } from "./shop";

/** A definition file is read whole; anything larger is not a hand-written definition. */
const MAX_FILE_BYTES = 1_000_000;
/** Exit code of `segments preview` for a file that is not a valid definition. */
const INVALID_DEFINITION = 2;

interface PreviewOptions {
  shop: string;
  asOf?: string;
  limit: string;
  json?: boolean;
}

export function registerSegmentCommands(program: Command, loadConfig: () => Config): void {
  const segments = program.command("segments").description("groups of customers defined by their visits, spend and predictions");

  segments
    .command("preview")
    .description(
      "count the customers a segment definition matches and list the first of them (most recent visit first). " +
        "A file that is not a valid definition lists every problem by its path and exits with 2",
    )
    .argument("<file>", 'segment definition (JSON; format in docs/segments.md), e.g. {"conditions": [{"field": "visitCount", "op": "gte", "value": 3}]}')
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .option("--as-of <date>", "count days since visits and relative dates from this local date (YYYY-MM-DD); default: today in the shop's time zone")
    .option("--limit <n>", `how many matching customers to list (0 to ${PREVIEW_MAX_MEMBERS})`, "20")
    .option("--json", "print the result as JSON")
    .action(async (file: string, options: PreviewOptions) => {
      const shop = shopSettingsSchema.shape.domain.safeParse(options.shop);
      if (!shop.success) throw new CliInputError(`--shop ${shop.error.issues[0]?.message ?? "is invalid"}`);
      const asOf = options.asOf === undefined ? undefined : parseAsOf(options.asOf);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > PREVIEW_MAX_MEMBERS) {
        throw new CliInputError(`--limit must be a whole number from 0 to ${PREVIEW_MAX_MEMBERS} (got ${JSON.stringify(options.limit)})`);
      }
      const name = basename(file);
      const input = await readDefinition(file);
      if (!input.ok) return reportInvalid(name, input.issues, options.json);
      // Checked before the database is opened: a bad file needs no shop to be told so.
      const parsed = parseSegmentDefinition(input.value);
      if (!parsed.ok) return reportInvalid(name, parsed.issues, options.json);

      const outcome = await withDatabase(loadConfig(), async (db) => {
        const { timezone } = await shopAnalyticsSettings(db, shop.data); // also refuses a shop Regulars does not know
        return previewSegment(db, shop.data, input.value, { asOf: asOf ?? localDateOf(new Date(), timezone), limit });
      });
      if (!outcome.ok) return reportInvalid(name, outcome.issues, options.json);
      if (options.json) {
        console.log(JSON.stringify({ shop: shop.data, asOf: outcome.asOf, count: outcome.count, members: outcome.members }, null, 2));
        return;
      }
      const customers = outcome.count === 1 ? "1 customer matches" : `${outcome.count.toLocaleString("en-US")} customers match`;
      console.log(`${customers} ${name} in ${shop.data} as of ${outcome.asOf}.`);
      if (outcome.members.length > 0) {
        console.log(formatMembers(outcome.members));
        if (outcome.count > outcome.members.length) console.log(`(first ${outcome.members.length}; --limit shows more)`);
      }
    });
}

function parseAsOf(text: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== text) throw new CliInputError(`--as-of must be a date like 2026-03-02 (got ${JSON.stringify(text)})`);
  return date;
}

type ReadOutcome = { ok: true; value: unknown } | { ok: false; issues: SegmentIssue[] };

async function readDefinition(path: string): Promise<ReadOutcome> {
  const info = await stat(path).catch((error: unknown) => {
    throw new CliInputError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!info.isFile()) throw new CliInputError(`${path} is not a file`);
  if (info.size > MAX_FILE_BYTES) return { ok: false, issues: [{ path: [], message: `larger than ${MAX_FILE_BYTES.toLocaleString("en-US")} bytes; a segment definition is much smaller` }] };
  const text = await readFile(path, "utf8");
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issues: [{ path: [], message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

function reportInvalid(file: string, issues: SegmentIssue[], json: boolean | undefined): void {
  process.exitCode = INVALID_DEFINITION;
  if (json) {
    const listed = issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    console.log(JSON.stringify({ file, valid: false, issues: listed }, null, 2));
    return;
  }
  const problems = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  console.error(`${file} is not a valid segment definition (${problems}):`);
  for (const issue of issues) console.error(`${file}: ${formatIssue(issue)}`);
}

function formatMembers(members: PreviewMember[]): string {
  const header = ["customer", "name", "member", "visits", "last visit", "days since", "pattern", "usual gap", "P(active)"];
  const rows = members.map((m) => [
    m.customerId,
    m.name ?? "—",
    m.member ? "yes" : "no",
    String(m.visitCount),
    m.lastVisitOn,
    String(m.daysSinceLastVisit),
    m.pattern,
    m.usualGapDays === null ? "—" : `${m.usualGapDays.toFixed(1)} d`,
    m.pAlive === null ? "—" : m.pAlive.toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
