import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailCapture, type MailCapture } from "../../app/reports/capture-smtp.server";
import { runCliAsync as runCli } from "../support/cli";
import { parseCaptured, REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** `regulars report`: flags checked with plain messages, the report made once and written, printed or mailed. */

const SHOP = "north-cafe.myshopify.com";
const kind = stackKinds()[0];

describe("regulars report: flags", () => {
  it("prints help naming every flag", async () => {
    const { code, stdout } = await runCli(["report", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars report/);
    for (const flag of ["--shop <domain>", "--week <week>", "--out <file>", "--send", "--resend", "--json", "--no-progress"]) expect(stdout).toContain(flag);
  });

  it.each([
    [["--shop", "north-cafe.example.com", "--week", REPORT_WEEK], /^regulars: --shop .*myshopify\.com.* \(got "north-cafe\.example\.com"\)$/],
    [["--shop", SHOP, "--week", "2026-9"], /^regulars: --week a week must be written YYYY-Www, e\.g\. 2026-W09 \(got "2026-9"\)$/],
    [["--shop", SHOP, "--week", "2026-W54"], /^regulars: --week 2026 has ISO weeks W01 to W53 \(got "2026-W54"\)$/],
    [["--shop", SHOP, "--week", REPORT_WEEK, "--send"], /^regulars: --send needs SMTP_URL: set it to the SMTP server to mail through/],
  ])("rejects %j with a message naming the flag", async (args, message) => {
    const { code, stderr, stdout } = await runCli(["report", ...args]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toMatch(message);
  });

  it("requires --shop and --week", async () => {
    expect((await runCli(["report", "--week", REPORT_WEEK])).stderr).toMatch(/required option '--shop <domain>' not specified/);
    expect((await runCli(["report", "--shop", SHOP])).stderr).toMatch(/required option '--week <week>' not specified/);
  });
});

describe.runIf(kind)("regulars report: a shop's week", () => {
  let stack: TestStack;
  let capture: MailCapture;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    capture = await startMailCapture();
    dir = mkdtempSync(join(tmpdir(), "regulars-report-cli-"));
    env = { DATABASE_URL: stack.runtime.database.url };
  }, 180_000);

  afterAll(async () => {
    await capture?.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("names an unknown shop and refuses a week that is not over", async () => {
    const unknown = await runCli(["report", "--shop", SHOP, "--week", REPORT_WEEK], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(`regulars: Shop ${SHOP} is not known to Regulars. Install the app on it, or register it with: regulars shop create ${SHOP} --timezone Area/City --currency XXX`);
    await seedReportShop(stack.runtime.db, SHOP, { recipients: ["owner@north.example"] });
    const future = await runCli(["report", "--shop", SHOP, "--week", "2099-W01"], env);
    expect(future.code).toBe(1);
    expect(future.stderr.trim()).toMatch(/^regulars: --week 2099-W01 is not over yet in north-cafe\.myshopify\.com's time zone Europe\/London \(it ends on 2099-01-04\); the latest full week is \d{4}-W\d{2}$/);
    const before = await runCli(["report", "--shop", SHOP, "--week", "2026-W01", "--no-progress"], env);
    expect(before.code).toBe(1);
    expect(before.stderr.trim()).toBe(
      `regulars: ${SHOP} has no visits on or before 2026-01-04: there is nothing to report for 2026-W01 (import or backfill its order history first)`,
    );
    expect(await stack.runtime.db.weeklyReport.count()).toBe(0);
  }, 90_000);

  it("makes and stores the report once, writes it as one HTML file and prints the stored figures", async () => {
    const out = join(dir, "report.html");
    const first = await runCli(["report", "--shop", SHOP, "--week", REPORT_WEEK, "--out", out, "--json"], env);
    expect(first.stderr).toMatch(/report \[#+\] 4\/4 100%/);
    expect(first.code).toBe(0);
    const stored = await stack.runtime.db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop: SHOP, week: REPORT_WEEK } } });
    expect(JSON.parse(first.stdout)).toEqual(stored.figures);
    expect(stored.status).toBe("rendered");
    const html = readFileSync(out, "utf8");
    expect(html).toContain("North Cafe: week 2026-W09");
    expect(html.match(/src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(html).not.toContain("cid:");

    const again = await runCli(["report", "--shop", SHOP, "--week", REPORT_WEEK, "--no-progress"], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
    expect(again.stdout).toContain(`Weekly report ${REPORT_WEEK} for ${SHOP} (2026-02-23 to 2026-03-01, Europe/London): stored on ${stored.generatedAt.toISOString()}, rendered.`);
    expect(again.stdout).toContain("1. No KPI moved beyond week-to-week noise");
    expect(await stack.runtime.db.weeklyReport.count()).toBe(1);
  }, 60_000);

  it("mails it once with --send, and says so when asked again", async () => {
    const mailEnv = { ...env, SMTP_URL: capture.url, REPORT_MAIL_FROM: "North Reports <reports@north.example>" };
    const sent = await runCli(["report", "--shop", SHOP, "--week", REPORT_WEEK, "--send", "--no-progress"], mailEnv);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("Mailed to owner@north.example (Message-ID <weekly-report.2026-W09.north-cafe.myshopify.com@regulars>).");
    expect(capture.messages).toHaveLength(1);
    const mail = await parseCaptured(capture.messages[0]!);
    expect(mail.from?.text).toBe('"North Reports" <reports@north.example>');

    const twice = await runCli(["report", "--shop", SHOP, "--week", REPORT_WEEK, "--send", "--no-progress"], mailEnv);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toMatch(/Not mailed again: it was mailed on \S+ \(Message-ID <weekly-report\.2026-W09\.north-cafe\.myshopify\.com@regulars>\); --resend sends it anyway\./);
    expect(capture.messages).toHaveLength(1);
  }, 60_000);
});
