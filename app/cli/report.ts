import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Config } from "../config.server";
import { assertNever } from "../lib/assert-never";
import { shopSettingsSchema } from "../imports/shop-settings";
import type { WeeklyFigures } from "../reports/figures";
import { produceWeeklyReport, REPORT_STEPS, type MailOutcome, type ReportStep } from "../reports/generate.server";
import { reportMailer } from "../reports/mail.server";
import { inlineImages } from "../reports/render";
import { getReport, getReportAssets } from "../reports/store.server";
import { isUnfinished, lastFullWeek, localDateText, parseIsoWeek, WeekFormatError } from "../reports/week";
import { createProgress } from "../simulate/progress";
import { ensureVisits, requireShop } from "./analytics-data";
import { CliInputError, withDatabase } from "./shop";

/**
 * `regulars report`: the weekly retention report of one shop and week, made
 * on demand the way the Monday job makes it (stored once; a stored report is
 * shown as it is), written to a file, printed as JSON, or mailed.
 */

const flags = z.object({
  shop: shopSettingsSchema.shape.domain,
  week: z.string(),
  out: z.string().min(1, "must name a file").optional(),
  send: z.boolean().optional(),
  resend: z.boolean().optional(),
  json: z.boolean().optional(),
  progress: z.boolean().optional(),
});

export function registerReportCommand(program: Command, loadConfig: () => Config): void {
  program
    .command("report")
    .description(
      "the weekly retention report of a shop for one ISO week (shop-local Monday to Sunday) against the week before and the KPI targets: " +
        "made and stored once like the Monday job makes it, then written to a file (--out), printed (--json) or mailed (--send)",
    )
    .requiredOption("--shop <domain>", "the shop's *.myshopify.com domain")
    .requiredOption("--week <week>", "ISO week written YYYY-Www, e.g. 2026-W09; it must be over in the shop's time zone")
    .option("--out <file>", "write the report as one HTML file with its charts inside")
    .option("--send", "mail the report to the shop's report recipients through SMTP_URL (at most once: a report already mailed is not sent again)")
    .option("--resend", "mail it even when a send is on record (one that was not confirmed may have arrived)")
    .option("--json", "print the report's figures as JSON")
    .option("--no-progress", "no progress bar on stderr")
    .addHelpText(
      "after",
      "\nExamples:\n  regulars report --shop corner-cafe.myshopify.com --week 2026-W09 --out report.html\n" +
        "  regulars report --shop corner-cafe.myshopify.com --week 2026-W09 --send\n",
    )
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flags.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const flag = String(issue?.path[0] ?? "");
        throw new CliInputError(`--${flag} ${issue?.message ?? "is invalid"} (got ${JSON.stringify(raw[flag])})`);
      }
      const options = parsed.data;
      let week: string;
      try {
        week = parseIsoWeek(options.week).key;
      } catch (error) {
        if (error instanceof WeekFormatError) throw new CliInputError(`--week ${error.message}`);
        throw error;
      }
      const config = loadConfig();
      const sending = Boolean(options.send || options.resend);
      const mailer = reportMailer(config);
      if (sending && !mailer) throw new CliInputError("--send needs SMTP_URL: set it to the SMTP server to mail through, e.g. smtp://user:password@mail.example.com:587");
      const progress = options.progress === false ? undefined : createProgress("report", REPORT_STEPS.length, process.stderr);
      const done = new Set<ReportStep>();
      const onStep = (step: ReportStep) => {
        if (done.has(step)) return;
        done.add(step);
        progress?.advance();
      };

      const outcome = await withDatabase(config, async (db) => {
        await requireShop(db, options.shop);
        const { timezone } = await shopAnalyticsSettings(db, options.shop);
        const asked = parseIsoWeek(week);
        const now = new Date();
        if (isUnfinished(asked, now, timezone)) {
          throw new CliInputError(
            `--week ${week} is not over yet in ${options.shop}'s time zone ${timezone} (it ends on ${localDateText(asked.sunday)}); the latest full week is ${lastFullWeek(now, timezone).key}`,
          );
        }
        await ensureVisits(db, options.shop);
        const result = await produceWeeklyReport(db, options.shop, week, { mailer, from: config.mail.from, send: sending, resend: options.resend, onStep });
        if (result.skipped === "no-visits") {
          throw new CliInputError(`${options.shop} has no visits on or before ${localDateText(asked.sunday)}: there is nothing to report for ${week} (import or backfill its order history first)`);
        }
        const stored = await getReport(db, options.shop, week);
        if (!stored) throw new Error(`the report of ${week} for ${options.shop} was not stored`);
        const html = options.out ? inlineImages(stored.html, week, await getReportAssets(db, options.shop, week)) : null;
        return { result, stored, html };
      });
      for (const step of REPORT_STEPS) onStep(step);
      progress?.finish();

      if (options.out && outcome.html !== null) await writeFile(options.out, outcome.html);
      const figures = outcome.stored.figures as unknown as WeeklyFigures;
      if (options.json) {
        console.log(JSON.stringify(figures, null, 2));
        return;
      }
      console.log(`Weekly report ${week} for ${options.shop} (${figures.from} to ${figures.to}, ${figures.timezone}): ${outcome.result.created ? "made now" : `stored on ${outcome.stored.generatedAt.toISOString()}`}, ${outcome.stored.status}.`);
      figures.findings.forEach((finding, index) => console.log(`${index + 1}. ${finding.sentence}`));
      if (options.out) console.log(`Written to ${options.out}.`);
      if (outcome.result.mail) console.log(describeMail(outcome.result.mail));
    });
}

function describeMail(mail: MailOutcome): string {
  switch (mail.kind) {
    case "sent":
      return `Mailed to ${mail.recipients.join(", ")} (Message-ID ${mail.messageId}).`;
    case "already-sent":
      return `Not mailed again: it was mailed on ${mail.sentAt?.toISOString() ?? "an earlier run"} (Message-ID ${mail.messageId ?? "unknown"}); --resend sends it anyway.`;
    case "send-unconfirmed":
      return `Not mailed: a send of this report started and was never confirmed, so it may have arrived (Message-ID ${mail.messageId ?? "unknown"}); check the recipients' mailbox, and --resend if it did not.`;
    case "no-recipients":
      return "Not mailed: the shop has no report recipients; add them in the admin's settings.";
    case "mail-not-configured":
      return "Not mailed: SMTP_URL is not set.";
    default:
      return assertNever(mail, "mail outcome");
  }
}
