import { join } from "node:path";
import type { Runtime } from "../runtime.server";
import { DEMO_SHOP } from "../shops/demo.server";
import { enqueue } from "../../jobs/enqueue.server";
import { startMailCapture, type MailCapture } from "./capture-smtp.server";
import { lastFullWeek } from "./week";
import { log } from "../lib/log.server";

/**
 * The demo's reports: without SMTP_URL the demo mails to a local capture
 * server whose messages land as .eml files in DATA_DIR/mail (docs/reports.md),
 * and the demo shop's last full week is reported at start once its visits are
 * loaded (once: the week's report is made only if it is not stored yet).
 */

export const DEMO_REPORT_RECIPIENT = "owner@demo-cafe.example";

export async function startDemoReports(runtime: Runtime, options: { mailFolder?: string; now?: Date } = {}): Promise<MailCapture | null> {
  // Reports are made and mailed by the workers; a web-only process has nothing to do here.
  if (!runtime.config.demo || runtime.config.role === "web") return null;
  let capture: MailCapture | null = null;
  if (runtime.config.mail.smtpUrl === null) {
    const folder = options.mailFolder ?? join(runtime.config.database.kind === "embedded" ? runtime.config.database.dataDir : ".data", "mail");
    capture = await startMailCapture({ folder });
    runtime.config.mail = { ...runtime.config.mail, smtpUrl: capture.url };
    log.info(`demo mail is captured at ${capture.url}, each message saved in ${folder}`);
  }
  const settings = await runtime.db.shopSettings.findUnique({ where: { shop: DEMO_SHOP }, select: { reportRecipients: true } });
  if (!settings || settings.reportRecipients.length === 0) {
    await runtime.db.shopSettings.upsert({ where: { shop: DEMO_SHOP }, create: { shop: DEMO_SHOP, reportRecipients: [DEMO_REPORT_RECIPIENT] }, update: { reportRecipients: [DEMO_REPORT_RECIPIENT] } });
  }
  const hasVisits = await runtime.db.visit.findFirst({ where: { shop: DEMO_SHOP }, select: { shop: true } });
  if (hasVisits) {
    const shop = await runtime.db.shop.findUnique({ where: { domain: DEMO_SHOP }, select: { timezone: true } });
    const week = lastFullWeek(options.now ?? new Date(), shop?.timezone ?? "UTC").key;
    await enqueue(runtime.jobs, "weekly-report", { shop: DEMO_SHOP, week }, { jobId: `weekly-report-demo-${week}` });
  }
  return capture;
}
