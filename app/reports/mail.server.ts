import nodemailer from "nodemailer";
import type { ChartAsset } from "./charts";
import type { WeeklyFigures } from "./figures";
import { contentId, renderReportHtml, reportSubject } from "./render";

/**
 * Mailing a report: one message with the HTML body, the charts inline
 * (Content-ID, so mail clients show them without fetching anything), a
 * plain-text part with the findings, and the figures as a CSV attachment.
 * The Message-ID is fixed by the caller before the send, so it is on record
 * even when the process dies while the SMTP server is accepting the mail.
 */

export interface ReportMessage {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  /** Charts attached inline under their Content-ID. */
  images: Array<ChartAsset & { cid: string }>;
  csv: { filename: string; content: string };
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

export interface ReportMailer {
  send(message: ReportMessage): Promise<SentMail>;
}

export class ReportMailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportMailError";
  }
}

/** A mailer on SMTP_URL (smtp:// upgrades with STARTTLS when offered; smtps:// is TLS from the start). */
export function smtpMailer(smtpUrl: string): ReportMailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          messageId: message.messageId,
          from: message.from,
          to: message.to,
          subject: message.subject,
          html: message.html,
          text: message.text,
          attachments: [
            ...message.images.map((image) => ({ filename: image.name, content: image.data, contentType: image.contentType, cid: image.cid })),
            { filename: message.csv.filename, content: message.csv.content, contentType: "text/csv; charset=utf-8" },
          ],
        });
        const addresses = (list: ReadonlyArray<string | { address: string }> | undefined) => (list ?? []).map((entry) => (typeof entry === "string" ? entry : entry.address));
        return { messageId: info.messageId, accepted: addresses(info.accepted), rejected: addresses(info.rejected) };
      } catch (error) {
        throw new ReportMailError(`the SMTP server did not take the report: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** The Message-ID of a shop's report of a week: the same on every attempt, so a copy can be recognised. */
export function reportMessageId(shop: string, week: string): string {
  return `<weekly-report.${week}.${shop}@regulars>`;
}

export function buildReportMessage(figures: WeeklyFigures, images: ChartAsset[], csv: string, options: { from: string; to: string[]; messageId: string }): ReportMessage {
  return {
    messageId: options.messageId,
    from: options.from,
    to: options.to,
    subject: reportSubject(figures),
    html: renderReportHtml(figures, (name) => `cid:${contentId(name, figures.week)}`),
    text: [
      reportSubject(figures),
      "",
      ...figures.findings.map((finding, index) => `${index + 1}. ${finding.sentence}`),
      "",
      "The figures are attached as CSV; the charts are in the HTML version of this message.",
    ].join("\n"),
    images: images.map((image) => ({ ...image, cid: contentId(image.name, figures.week) })),
    csv: { filename: `regulars-${figures.week}.csv`, content: csv },
  };
}

const mailers = new Map<string, ReportMailer>();

/** The process's mailer for its configuration (one SMTP transport per URL); null without SMTP_URL. */
export function reportMailer(config: { mail: { smtpUrl: string | null } }): ReportMailer | null {
  const url = config.mail.smtpUrl;
  if (url === null) return null;
  let mailer = mailers.get(url);
  if (!mailer) {
    mailer = smtpMailer(url);
    mailers.set(url, mailer);
  }
  return mailer;
}
