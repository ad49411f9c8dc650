import { describe, expect, it } from "vitest";
import { parseConfig } from "../../app/config.server";
import { reportMailer } from "../../app/reports/mail.server";
import { weeklyReportPattern } from "../../app/reports/jobs.server";

const base = { DEMO: "1", NODE_ENV: "test" };

describe("report mail configuration", () => {
  it("leaves mail off without SMTP_URL, and takes smtp:// and smtps:// URLs", () => {
    expect(parseConfig(base).mail).toEqual({ smtpUrl: null, from: "Regulars <reports@regulars.invalid>" });
    expect(reportMailer(parseConfig(base))).toBeNull();
    expect(parseConfig({ ...base, SMTP_URL: "smtp://user:secret@mail.example.com:587" }).mail.smtpUrl).toBe("smtp://user:secret@mail.example.com:587");
    expect(parseConfig({ ...base, SMTP_URL: "smtps://mail.example.com" }).mail.smtpUrl).toBe("smtps://mail.example.com");
    expect(reportMailer(parseConfig({ ...base, SMTP_URL: "smtps://mail.example.com" }))).not.toBeNull();
  });

  it("refuses another scheme without echoing the URL, which may hold a password", () => {
    expect(() => parseConfig({ ...base, SMTP_URL: "http://user:secret@mail.example.com" })).toThrow(
      /^Invalid configuration: SMTP_URL must be an smtp:\/\/ \(STARTTLS when the server offers it\) or smtps:\/\/ \(TLS from the start\) URL/,
    );
    expect(() => parseConfig({ ...base, SMTP_URL: "http://user:secret@mail.example.com" })).not.toThrow(/secret/);
  });

  it("checks the From address", () => {
    expect(parseConfig({ ...base, REPORT_MAIL_FROM: "Corner Cafe <reports@corner.example>" }).mail.from).toBe("Corner Cafe <reports@corner.example>");
    expect(() => parseConfig({ ...base, REPORT_MAIL_FROM: "reports at corner" })).toThrow(/^Invalid configuration: REPORT_MAIL_FROM must be an address/);
  });
});

describe("the weekly report's schedule", () => {
  it.each([
    [1, 480, "0 8 * * 1"],
    [7, 1439, "59 23 * * 0"],
    [3, 0, "0 0 * * 3"],
  ])("ISO weekday %i at minute %i is %s", (weekday, minute, pattern) => {
    expect(weeklyReportPattern(weekday, minute)).toBe(pattern);
  });

  it("refuses a weekday or minute out of range", () => {
    expect(() => weeklyReportPattern(0, 480)).toThrow(/weekday must be 1 \(Monday\) to 7 \(Sunday\) \(got 0\)/);
    expect(() => weeklyReportPattern(1, 1440)).toThrow(/minute must be 0 to 1439 \(got 1440\)/);
  });
});
