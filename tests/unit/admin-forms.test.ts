import { describe, expect, it } from "vitest";
import { builderDefinition, rowCondition } from "../../app/analytics/segments/builder";
import { parseSegmentDefinition } from "../../app/analytics/segments/definition";
import { parseAuditCursor, auditCursor } from "../../app/audit/audit.server";
import { csvCell, csvLine } from "../../app/settings/csv";
import { parseKpiTargetsForm, targetText } from "../../app/settings/kpi-targets";
import { daypartsText, parseSettingsForm, settingsChanges, SETTINGS_DEFAULTS } from "../../app/settings/settings";
import { parseReturnDays } from "../../app/analytics/cohorts/page.server";

describe("CSV cells", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=1+1", "'=1+1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["+44 20", "'+44 20"],
    ["-5", "-5"],
    ["-x", "'-x"],
    ['=HYPERLINK("x"),', `"'=HYPERLINK(""x""),"`],
  ])("%j → %s", (input, expected) => expect(csvCell(input)).toBe(expected));

  it("writes numbers, booleans and nulls, and ends lines with CRLF", () => {
    expect(csvLine([1.5, true, null, undefined, Number.NaN, "x"])).toBe("1.5,true,,,,x\r\n");
  });
});

describe("the settings form", () => {
  const form = {
    timezone: "",
    dayparts: daypartsText(null),
    quietStart: "21:00",
    quietEnd: "07:00",
    pushCapCount: "1",
    pushCapDays: "3",
    programHoldoutPercent: "5",
    reportRecipients: "",
    reportWeekday: "1",
    reportTime: "08:00",
    dataRetentionDays: "",
  };

  it("reads the defaults back as the defaults, the default dayparts as null", () => {
    expect(parseSettingsForm(form)).toEqual({ ok: true, settings: SETTINGS_DEFAULTS });
  });

  it("names every wrong field at once", () => {
    const parsed = parseSettingsForm({ ...form, timezone: "Nowhere/Atlantis", quietEnd: "7", reportRecipients: "a@b.example bad@", dataRetentionDays: "12.5" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(["dataRetentionDays", "quietEndMinute", "reportRecipients", "timezoneOverride"]);
  });

  it("accepts dayparts up to midnight and lists only changed fields", () => {
    const parsed = parseSettingsForm({ ...form, dayparts: "late 20:00-24:00", reportRecipients: "A@Cafe.example; a@cafe.example" });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.settings.dayparts).toEqual([{ name: "late", from: 20, to: 24 }]);
    expect(parsed.settings.reportRecipients).toEqual(["a@cafe.example"]);
    expect(Object.keys(settingsChanges(SETTINGS_DEFAULTS, parsed.settings)).sort()).toEqual(["dayparts", "reportRecipients"]);
  });
});

describe("the KPI targets form", () => {
  const form = (entries: Record<string, string>) => ({ get: (name: string) => entries[name] ?? null });
  it("turns per cent into shares and leaves an empty target as none", () => {
    expect(parseKpiTargetsForm(form({ "show.repurchase-rate": "on", "target.repurchase-rate": "42.5", "show.active-members": "on", "target.active-members": "" }))).toEqual({
      ok: true,
      targets: [
        { kpi: "repurchase-rate", target: 0.425 },
        { kpi: "active-members", target: null },
      ],
    });
    expect(targetText("repurchase-rate", 0.425)).toBe("42.5");
    expect(targetText("average-ticket", 6.5)).toBe("6.5");
  });
  it("refuses text, out-of-range shares and an empty choice", () => {
    expect(parseKpiTargetsForm(form({ "show.average-ticket": "on", "target.average-ticket": "1e9" })).ok).toBe(false);
    expect(parseKpiTargetsForm(form({ "show.prepaid-peak-share": "on", "target.prepaid-peak-share": "101" })).ok).toBe(false);
    expect(parseKpiTargetsForm(form({}))).toEqual({ ok: false, message: "Choose at least one KPI to show." });
  });
});

describe("the segment builder", () => {
  it("builds definitions the parser accepts", () => {
    const definition = builderDefinition({
      match: "any",
      rows: [
        { field: "visitCount", op: "gte", value: "3" },
        { field: "pattern", op: "in", value: "weekday-morning, weekend-midday" },
        { field: "lastVisitOn", op: "withinLastDays", value: "30" },
        { field: "pAlive", op: "isNull", value: "" },
        { field: "member", op: "eq", value: "true" },
        { field: "avgSpend", op: "between", value: "3,8" },
      ],
    });
    expect(parseSegmentDefinition(definition).ok).toBe(true);
  });
  it("passes a wrong value on as typed so the parser names it", () => {
    expect(rowCondition({ field: "visitCount", op: "gte", value: "lots" })).toEqual({ field: "visitCount", op: "gte", value: "lots" });
    const parsed = parseSegmentDefinition(builderDefinition({ match: "all", rows: [{ field: "visitCount", op: "gte", value: "lots" }] }));
    expect(parsed.ok).toBe(false);
  });
});

describe("page parameters", () => {
  it("reads N from 1 to 60 and refuses anything else", () => {
    expect(parseReturnDays(null)).toEqual({ ok: true, days: 12 });
    expect(parseReturnDays("60")).toEqual({ ok: true, days: 60 });
    for (const text of ["0", "61", "7.5", "x", " "]) expect(parseReturnDays(text).ok).toBe(false);
  });
  it("round-trips audit cursors and refuses forged ones", () => {
    const event = { at: new Date("2026-03-01T10:00:00.123Z"), id: "0b6c1a52-2f5e-4e43-9d1a-6f9f8f7f1a2b" };
    expect(parseAuditCursor(auditCursor(event))).toEqual(event);
    expect(parseAuditCursor("2026-03-01T10:00:00.123Z_'; DROP TABLE x")).toBeNull();
    expect(parseAuditCursor(null)).toBeNull();
  });
});
