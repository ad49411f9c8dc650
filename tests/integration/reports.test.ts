import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailCapture, type MailCapture } from "../../app/reports/capture-smtp.server";
import { computeWeeklyFigures } from "../../app/reports/figures.server";
import { produceWeeklyReport } from "../../app/reports/generate.server";
import { scheduleWeeklyReport, unscheduleWeeklyReport, weeklyReportSchedulerId } from "../../app/reports/jobs.server";
import { ReportMailError, reportMessageId, smtpMailer, type ReportMailer } from "../../app/reports/mail.server";
import { reportFile, reportListPage, reportViewPage } from "../../app/reports/page.server";
import { contentId } from "../../app/reports/render";
import type { JobBackend } from "../../jobs/backend.server";
import { enqueue } from "../../jobs/enqueue.server";
import { processWeeklyReport, scheduledAt } from "../../jobs/processors/weekly-report";
import { parseCaptured, REPORT_PREVIOUS_WEEK, REPORT_WEEK, seedReportShop } from "../support/report-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** The weekly report: its figures from a known cafe, one report and one mail per shop and week whatever races or fails, and shop isolation. */

const kind = stackKinds()[0];
const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";
const FROM = "Regulars <reports@regulars.invalid>";

async function settle(jobs: JobBackend, ids: string[]): Promise<Job[]> {
  const queue = jobs.queue("reports");
  for (let i = 0; i < 1200; i++) {
    const found = await Promise.all(ids.map((id) => queue.getJob(id)));
    if (found.every((job) => job !== undefined && job.finishedOn !== undefined)) return found.filter((job): job is Job => job !== undefined);
    await sleep(50);
  }
  throw new Error(`jobs ${ids.join(", ")} did not finish`);
}

describe.runIf(kind)("weekly retention report", () => {
  let stack: TestStack;
  let capture: MailCapture;
  const mailsTo = (address: string) => capture.messages.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    capture = await startMailCapture();
    await seedReportShop(stack.runtime.db, NORTH, { recipients: ["owner@north.example"] });
    await seedReportShop(stack.runtime.db, SOUTH, { recipients: ["owner@south.example"], name: "South Cafe" });
  }, 180_000);

  afterAll(async () => {
    await capture?.close();
    await stack?.stop();
  });

  it("computes the week's KPIs, against the week before, from the shop's visits and orders", async () => {
    const figures = await computeWeeklyFigures(stack.runtime.db, NORTH, REPORT_WEEK);
    expect(figures).toMatchObject({ week: REPORT_WEEK, previousWeek: REPORT_PREVIOUS_WEEK, from: "2026-02-23", to: "2026-03-01", timezone: "Europe/London", currency: "GBP" });
    const kpi = (id: string) => figures.kpis.find((k) => k.id === id);
    expect(figures.kpis.map((k) => k.id)).toEqual(["repurchase-rate", "average-ticket", "visits-per-member", "active-members", "best-cohort-return", "prepaid-peak-share"]);
    expect(kpi("repurchase-rate")).toMatchObject({ lastWeek: { value: 0, n: 5 }, thisWeek: { value: 0.5, n: 10 }, trend: "steady", target: null });
    // 0 of 5 against 5 of 10: far apart, but so few customers that the intervals (0–43 % and 24–76 %) overlap.
    expect(kpi("repurchase-rate")?.lastWeek.high).toBeGreaterThan(kpi("repurchase-rate")?.thisWeek.low ?? 1);
    expect(kpi("active-members")).toMatchObject({ lastWeek: { value: 5 }, thisWeek: { value: 10 } });
    expect(kpi("visits-per-member")?.thisWeek.value).toBeCloseTo(1.1, 12);
    expect(kpi("visits-per-member")?.lastWeek.value).toBe(1);
    expect(kpi("average-ticket")).toMatchObject({ lastWeek: { value: 4, low: 4, high: 4, n: 5 }, thisWeek: { value: 4, n: 12 } });
    expect(kpi("best-cohort-return")?.thisWeek.value).toBeNull();
    expect(kpi("best-cohort-return")?.note).toMatch(/no visit-pattern cohort has 30 visits with a known 12-day outcome/);
    // Every order was at the counter: none of the peak's orders was a prepaid pickup.
    expect(kpi("prepaid-peak-share")?.thisWeek.value).toBe(0);
    expect(figures.heatmap.rows.map((r) => [r.cohort, r.size, r.cells[0]?.share, r.cells[1]?.share ?? null])).toEqual([
      ["2026-02-16", 5, 1, 1],
      ["2026-02-23", 5, 1, null],
    ]);
    expect(figures.findings).toHaveLength(3);
    expect(figures.findings.every((f) => !f.supported)).toBe(true);
    expect(figures.findings[0]?.sentence).toBe(
      "No KPI moved beyond week-to-week noise: for repurchase rate, average ticket, visits per member, active members and prepaid share at peak this week's 95 % interval overlaps last week's.",
    );
    expect(figures.notes).toEqual(["The shop's visits end on 2026-02-27, before the week's last day."]);
  });

  it("uses the owner's KPI choice and targets, and says so when they cannot be used", async () => {
    const db = stack.runtime.db;
    await db.shopSettings.update({ where: { shop: SOUTH }, data: { kpiTargets: [{ kpi: "active-members", target: 12 }, { kpi: "repurchase-rate", target: 0.4 }] } });
    const chosen = await computeWeeklyFigures(db, SOUTH, REPORT_WEEK);
    expect(chosen.kpis.map((k) => [k.id, k.target, k.targetMet])).toEqual([
      ["active-members", 12, false],
      ["repurchase-rate", 0.4, true],
    ]);
    await db.shopSettings.update({ where: { shop: SOUTH }, data: { kpiTargets: [{ kpi: "footfall", target: 1 }] } });
    const fallback = await computeWeeklyFigures(db, SOUTH, REPORT_WEEK);
    expect(fallback.kpis).toHaveLength(6);
    expect(fallback.notes[0]).toMatch(/^ShopSettings\.kpiTargets is not usable at 0\.kpi/);
    await db.shopSettings.update({ where: { shop: SOUTH }, data: { kpiTargets: [] } });
  });

  it("racing producers store one report and mail it once, charts inline and figures attached", async () => {
    const db = stack.runtime.db;
    const mailer = smtpMailer(capture.url);
    const results = await Promise.all([1, 2, 3].map(() => produceWeeklyReport(db, NORTH, REPORT_WEEK, { mailer, from: FROM, send: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => r.mail?.kind === "sent")).toHaveLength(1);
    expect(await db.weeklyReport.count({ where: { shop: NORTH, week: REPORT_WEEK } })).toBe(1);
    expect(mailsTo("owner@north.example")).toHaveLength(1);

    const row = await db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop: NORTH, week: REPORT_WEEK } } });
    expect(row).toMatchObject({ status: "sent", attempts: 1, recipients: ["owner@north.example"], messageId: reportMessageId(NORTH, REPORT_WEEK) });
    const mail = await parseCaptured(mailsTo("owner@north.example")[0]!);
    expect(mail.messageId).toBe(reportMessageId(NORTH, REPORT_WEEK));
    expect(mail.subject).toBe("North Cafe: weekly retention report 2026-W09 (2026-02-23 to 2026-03-01)");
    for (const name of ["kpis.png", "heatmap.png"]) {
      const image = mail.attachments.find((a) => a.filename === name);
      expect(image?.contentType).toBe("image/png");
      expect(image?.cid).toBe(contentId(name, REPORT_WEEK));
      expect(image?.content.subarray(1, 4).toString()).toBe("PNG");
      expect(mail.html).toContain(`cid:${contentId(name, REPORT_WEEK)}`);
    }
    const csv = mail.attachments.find((a) => a.filename === "regulars-2026-W09.csv");
    expect(csv?.content.toString("utf8")).toBe(row.csv);
    expect(row.csv).toContain("kpi,repurchase-rate,this_week,0.5\r\n");
    expect(mail.text).toContain("1. No KPI moved beyond week-to-week noise");

    // Asked again (a retry, the CLI): nothing is made or mailed twice.
    const again = await produceWeeklyReport(db, NORTH, REPORT_WEEK, { mailer, from: FROM, send: true });
    expect(again).toMatchObject({ created: false, mail: { kind: "already-sent" } });
    expect(mailsTo("owner@north.example")).toHaveLength(1);
  }, 60_000);

  it("two workers racing, one dying after the SMTP server took the mail, make one report and one mail", async () => {
    const { db, jobs } = stack.runtime;
    const shop = "east-cafe.myshopify.com";
    await seedReportShop(db, shop, { recipients: ["owner@east.example"], name: "East Cafe" });
    const smtp = smtpMailer(capture.url);
    let died = false;
    const dying: ReportMailer = {
      async send(message) {
        const sent = await smtp.send(message);
        if (!died) {
          died = true;
          throw new Error("worker died after the SMTP server took the mail");
        }
        return sent;
      },
    };
    const deps = { db, mailer: dying, from: FROM };
    const workers = [1, 2].map(() => jobs.worker("reports", (job) => processWeeklyReport(job, deps), { concurrency: 1 }));
    try {
      const options = { attempts: 3, backoff: { type: "fixed", delay: 100 } } as const;
      const ids = await Promise.all(["a", "b"].map((suffix) => enqueue(jobs, "weekly-report", { shop, week: REPORT_WEEK }, { ...options, jobId: `race-${suffix}` })));
      const finished = await settle(jobs, ids);
      expect(finished.map((job) => job.returnvalue?.mail?.kind).sort()).toEqual(["send-unconfirmed", "send-unconfirmed"]);
      expect(finished.some((job) => job.attemptsMade >= 2)).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
    expect(died).toBe(true);
    expect(await db.weeklyReport.count({ where: { shop } })).toBe(1);
    expect(await db.weeklyReportAsset.count({ where: { shop } })).toBe(2);
    const mails = mailsTo("owner@east.example");
    expect(mails).toHaveLength(1);
    const row = await db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop, week: REPORT_WEEK } } });
    // At most once: the send that was never confirmed stays on record and is not repeated.
    expect(row).toMatchObject({ status: "sending", attempts: 1, messageId: reportMessageId(shop, REPORT_WEEK) });
    expect((await parseCaptured(mails[0]!)).messageId).toBe(row.messageId);
  }, 60_000);

  it("a send the SMTP server refused is retried by the job and then mailed once", async () => {
    const { db, jobs } = stack.runtime;
    const shop = "west-cafe.myshopify.com";
    await seedReportShop(db, shop, { recipients: ["owner@west.example"], name: "West Cafe" });
    const smtp = smtpMailer(capture.url);
    let refusals = 0;
    const refusingOnce: ReportMailer = {
      async send(message) {
        if (refusals++ === 0) throw new ReportMailError("the SMTP server did not take the report: 451 try again later");
        return smtp.send(message);
      },
    };
    const worker = jobs.worker("reports", (job) => processWeeklyReport(job, { db, mailer: refusingOnce, from: FROM }), { concurrency: 1 });
    try {
      const id = await enqueue(jobs, "weekly-report", { shop, week: REPORT_WEEK }, { attempts: 3, backoff: { type: "fixed", delay: 100 }, jobId: "refused" });
      const [job] = await settle(jobs, [id]);
      expect(job?.returnvalue).toMatchObject({ created: false, mail: { kind: "sent" } });
      expect(job?.attemptsMade).toBe(2);
    } finally {
      await worker.close();
    }
    expect(mailsTo("owner@west.example")).toHaveLength(1);
    expect(await db.weeklyReport.findUniqueOrThrow({ where: { shop_week: { shop, week: REPORT_WEEK } } })).toMatchObject({ status: "sent", attempts: 2, error: null });
  }, 60_000);

  it("schedules each shop's report at its own local weekday and minute, and reports the week before the fire time", async () => {
    const { db, jobs } = stack.runtime;
    expect(await scheduleWeeklyReport(db, jobs, NORTH)).toEqual({ pattern: "0 8 * * 1", timezone: "Europe/London" });
    const queue = jobs.queue("reports");
    const scheduler = async (shop: string) => (await queue.getJobSchedulers()).find((s) => s.key === weeklyReportSchedulerId(shop));
    expect(await scheduler(NORTH)).toMatchObject({ pattern: "0 8 * * 1", tz: "Europe/London" });
    await db.shopSettings.update({ where: { shop: NORTH }, data: { reportWeekday: 7, reportMinute: 1439, timezoneOverride: "Pacific/Auckland" } });
    expect(await scheduleWeeklyReport(db, jobs, NORTH)).toEqual({ pattern: "59 23 * * 0", timezone: "Pacific/Auckland" });
    expect(await scheduler(NORTH)).toMatchObject({ pattern: "59 23 * * 0", tz: "Pacific/Auckland" });
    await unscheduleWeeklyReport(jobs, NORTH);
    expect(await scheduler(NORTH)).toBeUndefined();
    await db.shopSettings.update({ where: { shop: NORTH }, data: { reportWeekday: 1, reportMinute: 480, timezoneOverride: null } });
    // A scheduler's job knows its fire time; a retry an hour later still reports the same week.
    const fire = new Date("2026-03-02T08:00:00Z").getTime();
    expect(scheduledAt({ timestamp: fire - 7 * 86_400_000, opts: { prevMillis: fire } }).getTime()).toBe(fire);
    expect(scheduledAt({ timestamp: fire, opts: {} }).getTime()).toBe(fire);
  });

  it("makes nothing for a week before the shop's first visit, so the week can be reported once the history is in", async () => {
    const db = stack.runtime.db;
    const result = await produceWeeklyReport(db, NORTH, "2026-W01", { mailer: smtpMailer(capture.url), from: FROM, send: true });
    expect(result).toEqual({ shop: NORTH, week: "2026-W01", created: false, skipped: "no-visits", mail: null });
    expect(await db.weeklyReport.count({ where: { shop: NORTH, week: "2026-W01" } })).toBe(0);
  });

  it("a shop cannot read another shop's report, chart or files", async () => {
    const db = stack.runtime.db;
    await produceWeeklyReport(db, SOUTH, REPORT_PREVIOUS_WEEK, { mailer: null, from: FROM, send: false });
    expect(await reportViewPage(db, SOUTH, REPORT_PREVIOUS_WEEK)).not.toBeNull();
    expect(await reportViewPage(db, NORTH, REPORT_PREVIOUS_WEEK)).toBeNull();
    for (const name of ["heatmap.png", "kpis.png", "report.html", "report.csv"]) {
      expect(await reportFile(db, SOUTH, REPORT_PREVIOUS_WEEK, name)).not.toBeNull();
      expect(await reportFile(db, NORTH, REPORT_PREVIOUS_WEEK, name)).toBeNull();
    }
    expect((await reportListPage(db, NORTH)).reports.map((r) => r.week)).toEqual([REPORT_WEEK]);
    const html = await reportFile(db, SOUTH, REPORT_PREVIOUS_WEEK, "report.html");
    expect(String(html?.body)).toContain("data:image/png;base64,");
    expect(String(html?.body)).toContain("South Cafe");
    expect(html?.filename).toBe("regulars-2026-W08.html");
  });
});
