import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MailCapture } from "../../app/reports/capture-smtp.server";
import { DEMO_REPORT_RECIPIENT, startDemoReports } from "../../app/reports/demo.server";
import { DEMO_SHOP } from "../../app/shops/demo.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { parseCaptured, REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** The demo mails its report to a local capture server that keeps each message as an .eml file, through the app's own workers. */

const kind = stackKinds()[0];

describe.runIf(kind)("the demo's weekly report", () => {
  let stack: TestStack;
  let capture: MailCapture | null = null;
  let folder: string;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    folder = mkdtempSync(join(tmpdir(), "regulars-demo-mail-"));
  }, 180_000);

  afterAll(async () => {
    await capture?.close();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it("reports the demo shop's last full week and the mail lands in the capture folder", async () => {
    const { runtime } = stack;
    expect(runtime.config.mail.smtpUrl).toBeNull();
    await seedReportShop(runtime.db, DEMO_SHOP, { name: "Demo Cafe" });
    // Monday 2 March 2026, 10:00 in London: the last full week is 2026-W09.
    capture = await startDemoReports(runtime, { mailFolder: folder, now: new Date("2026-03-02T10:00:00Z") });
    expect(capture).not.toBeNull();
    expect(runtime.config.mail.smtpUrl).toBe(capture?.url);
    const workers = startWorkers({ runtime, db: runtime.db, jobs: runtime.jobs, concurrency: 1 });
    try {
      for (let i = 0; i < 600 && (capture?.messages.length ?? 0) === 0; i++) await sleep(100);
    } finally {
      await stopWorkers(workers, 5_000);
    }
    expect(capture?.messages).toHaveLength(1);
    const message = capture!.messages[0]!;
    expect(message.to).toEqual([DEMO_REPORT_RECIPIENT]);
    const files = readdirSync(folder).filter((name) => name.endsWith(".eml"));
    expect(files).toHaveLength(1);
    const mail = await parseCaptured({ ...message, raw: readFileSync(join(folder, files[0]!)) });
    expect(mail.subject).toBe(`Demo Cafe: weekly retention report ${REPORT_WEEK} (2026-02-23 to 2026-03-01)`);
    const row = await runtime.db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop: DEMO_SHOP, week: REPORT_WEEK } } });
    expect(row.status).toBe("sent");
    expect(mail.attachments.find((a) => a.filename === `regulars-${REPORT_WEEK}.csv`)?.content.toString("utf8")).toBe(row.csv);
  }, 120_000);
});
