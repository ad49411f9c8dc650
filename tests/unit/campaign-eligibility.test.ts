import { describe, expect, it } from "vitest";
import { decideEligibility, type Eligibility, type EligibilityInput, type MemberFacts, type MessagingRules, type Timing } from "../../app/campaigns/eligibility";
import { instantAt, localMinuteOf, nextAllowedMoment } from "../../app/campaigns/local-clock";

/**
 * The eligibility table: every rule, its order, quiet hours wrapping
 * midnight and on the days clocks change, the frequency cap either side of
 * the send time, and what transactional messages bypass. The clock is fixed
 * per row; London is on GMT (UTC+0) until 29 March 2026 and on BST (UTC+1)
 * from then until 25 October 2026.
 */

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const at = (iso: string) => new Date(iso);

const LONDON: MessagingRules = { timezone: "Europe/London", quiet: { startMinute: 21 * 60, endMinute: 7 * 60 }, capCount: 1, capDays: 3 };

const reachable: MemberFacts = {
  membership: "active",
  pushConsent: "granted",
  activeSubscriptions: 1,
  marketingPushTimes: [],
  alreadyRecipient: false,
  programHoldout: false,
  usualMinute: 8 * 60 + 30,
};

/** A segment-entry invitation on 10 March 2026: aim at today's or tomorrow's usual visit, 45 minutes ahead. */
const usualVisit = (fromDay = "2026-03-10", untilDay: string | null = null, latestAt: Date | null = null): Timing => ({
  kind: "before-usual-visit",
  leadMinutes: 45,
  fromDay: day(fromDay),
  untilDay: untilDay === null ? null : day(untilDay),
  latestAt,
});

interface Row {
  name: string;
  facts?: Partial<MemberFacts>;
  rules?: Partial<MessagingRules>;
  purpose?: EligibilityInput["purpose"];
  timing?: Timing | null;
  now: string;
  expected: Eligibility;
}

const sendAt = (iso: string, deferredByQuietHours = false): Eligibility => ({ eligible: true, sendAt: at(iso), deferredByQuietHours });
const skipped = (reason: Extract<Eligibility, { eligible: false }>["reason"]): Eligibility => ({ eligible: false, reason });

const TABLE: Row[] = [
  // Consent and subscriptions come first.
  { name: "reachable member: usual 08:30 − 45 min = 07:45", now: "2026-03-10T06:00:00Z", expected: sendAt("2026-03-10T07:45:00Z") },
  { name: "left the membership", facts: { membership: "left" }, now: "2026-03-10T06:00:00Z", expected: skipped("consent") },
  { name: "never joined", facts: { membership: "none" }, now: "2026-03-10T06:00:00Z", expected: skipped("consent") },
  { name: "push consent withdrawn", facts: { pushConsent: "withdrawn" }, now: "2026-03-10T06:00:00Z", expected: skipped("consent") },
  { name: "push consent never given", facts: { pushConsent: "none" }, now: "2026-03-10T06:00:00Z", expected: skipped("consent") },
  { name: "no active subscription (expired)", facts: { activeSubscriptions: 0 }, now: "2026-03-10T06:00:00Z", expected: skipped("no-subscription") },
  { name: "consent is checked before subscriptions", facts: { pushConsent: "withdrawn", activeSubscriptions: 0 }, now: "2026-03-10T06:00:00Z", expected: skipped("consent") },
  { name: "in the program holdout this quarter", facts: { programHoldout: true }, now: "2026-03-10T06:00:00Z", expected: skipped("program-holdout") },
  { name: "already decided for this campaign", facts: { alreadyRecipient: true }, now: "2026-03-10T06:00:00Z", expected: skipped("already-recipient") },
  { name: "program holdout is checked before the campaign", facts: { programHoldout: true, alreadyRecipient: true }, now: "2026-03-10T06:00:00Z", expected: skipped("program-holdout") },

  // Frequency cap: 1 push per 3 days by default, across all campaigns, either side of the send time.
  { name: "a push 2 days before the send time", facts: { marketingPushTimes: [at("2026-03-08T07:45:00Z")] }, now: "2026-03-10T06:00:00Z", expected: skipped("frequency-cap") },
  { name: "a push exactly 3 days before is outside the window", facts: { marketingPushTimes: [at("2026-03-07T07:45:00Z")] }, now: "2026-03-10T06:00:00Z", expected: sendAt("2026-03-10T07:45:00Z") },
  { name: "another campaign's push scheduled tomorrow", facts: { marketingPushTimes: [at("2026-03-11T12:00:00Z")] }, now: "2026-03-10T06:00:00Z", expected: skipped("frequency-cap") },
  { name: "cap of 2: one push leaves room", rules: { capCount: 2 }, facts: { marketingPushTimes: [at("2026-03-09T07:45:00Z")] }, now: "2026-03-10T06:00:00Z", expected: sendAt("2026-03-10T07:45:00Z") },
  { name: "cap of 2: two pushes fill it", rules: { capCount: 2 }, facts: { marketingPushTimes: [at("2026-03-09T07:45:00Z"), at("2026-03-08T19:00:00Z")] }, now: "2026-03-10T06:00:00Z", expected: skipped("frequency-cap") },
  { name: "cap over 7 days", rules: { capDays: 7 }, facts: { marketingPushTimes: [at("2026-03-04T09:00:00Z")] }, now: "2026-03-10T06:00:00Z", expected: skipped("frequency-cap") },

  // Timing against the usual visit.
  { name: "today's visit has passed: tomorrow's", now: "2026-03-10T09:00:00Z", expected: sendAt("2026-03-11T07:45:00Z") },
  { name: "lead time passed but the visit is ahead: now", now: "2026-03-10T08:00:00Z", expected: sendAt("2026-03-10T08:00:00Z") },
  { name: "no usual time: the first allowed moment", facts: { usualMinute: null }, now: "2026-03-10T10:00:00Z", expected: sendAt("2026-03-10T10:00:00Z") },
  { name: "no usual time, during quiet hours: when they end", facts: { usualMinute: null }, now: "2026-03-10T05:00:00Z", expected: sendAt("2026-03-10T07:00:00Z", true) },
  { name: "second-visit window opening tomorrow", timing: usualVisit("2026-03-11", "2026-03-15"), now: "2026-03-10T06:00:00Z", expected: sendAt("2026-03-11T07:45:00Z") },
  { name: "second-visit window already closed", timing: usualVisit("2026-03-05", "2026-03-09"), now: "2026-03-10T06:00:00Z", expected: skipped("window-passed") },
  { name: "campaign ends before the send time", timing: usualVisit("2026-03-10", null, at("2026-03-10T07:00:00Z")), now: "2026-03-10T06:00:00Z", expected: skipped("window-passed") },

  // Quiet hours 21:00–07:00, shop-local, wrapping midnight.
  { name: "usual 07:30: 06:45 is quiet, moved to 07:00", facts: { usualMinute: 7 * 60 + 30 }, now: "2026-03-10T05:00:00Z", expected: sendAt("2026-03-10T07:00:00Z", true) },
  { name: "usual 06:50: no allowed moment before the visit, any day", facts: { usualMinute: 6 * 60 + 50 }, now: "2026-03-10T05:00:00Z", expected: skipped("quiet-hours") },
  { name: "usual 21:30: 20:45 is before quiet hours start", facts: { usualMinute: 21 * 60 + 30 }, now: "2026-03-10T12:00:00Z", expected: sendAt("2026-03-10T20:45:00Z") },
  { name: "usual 22:30: quiet until after the visit", facts: { usualMinute: 22 * 60 + 30 }, now: "2026-03-10T12:00:00Z", expected: skipped("quiet-hours") },
  { name: "quiet hours off (start = end)", rules: { quiet: { startMinute: 0, endMinute: 0 } }, facts: { usualMinute: 6 * 60 + 50 }, now: "2026-03-10T05:00:00Z", expected: sendAt("2026-03-10T06:05:00Z") },
  { name: "quiet hours inside the day (13:00–15:00)", rules: { quiet: { startMinute: 13 * 60, endMinute: 15 * 60 } }, facts: { usualMinute: 15 * 60 + 20 }, now: "2026-03-10T12:00:00Z", expected: sendAt("2026-03-10T15:00:00Z", true) },
  { name: "broadcast at 23:30: the next morning at 07:00", timing: { kind: "at", at: at("2026-03-10T23:30:00Z"), latestAt: at("2026-03-11T23:30:00Z") }, now: "2026-03-10T20:00:00Z", expected: sendAt("2026-03-11T07:00:00Z", true) },
  { name: "broadcast at 02:00: 07:00 the same morning", timing: { kind: "at", at: at("2026-03-11T02:00:00Z"), latestAt: null }, now: "2026-03-10T20:00:00Z", expected: sendAt("2026-03-11T07:00:00Z", true) },
  { name: "broadcast whose quiet-hours deferral passes its end", timing: { kind: "at", at: at("2026-03-10T22:00:00Z"), latestAt: at("2026-03-10T23:00:00Z") }, now: "2026-03-10T20:00:00Z", expected: skipped("quiet-hours") },
  { name: "broadcast run after its end", timing: { kind: "at", at: at("2026-03-10T08:00:00Z"), latestAt: at("2026-03-10T12:00:00Z") }, now: "2026-03-10T13:00:00Z", expected: skipped("window-passed") },
  { name: "broadcast run late but within its window: now", timing: { kind: "at", at: at("2026-03-10T08:00:00Z"), latestAt: at("2026-03-10T12:00:00Z") }, now: "2026-03-10T09:10:00Z", expected: sendAt("2026-03-10T09:10:00Z") },

  // Days the clocks change.
  { name: "spring forward (London, 29 March): usual 08:30 BST = 07:30Z, send 06:45Z", now: "2026-03-29T05:00:00Z", timing: usualVisit("2026-03-29"), expected: sendAt("2026-03-29T06:45:00Z") },
  { name: "spring forward: quiet ends at 07:00 BST = 06:00Z", facts: { usualMinute: 7 * 60 + 20 }, now: "2026-03-29T04:00:00Z", timing: usualVisit("2026-03-29"), expected: sendAt("2026-03-29T06:00:00Z", true) },
  { name: "fall back (London, 25 October): quiet ends at 07:00 GMT = 07:00Z", facts: { usualMinute: 7 * 60 + 20 }, now: "2026-10-25T05:00:00Z", timing: usualVisit("2026-10-25"), expected: sendAt("2026-10-25T07:00:00Z", true) },
  {
    name: "quiet end inside the skipped hour (New York, 8 March 02:30): 03:30 EDT",
    rules: { timezone: "America/New_York", quiet: { startMinute: 21 * 60, endMinute: 2 * 60 + 30 } },
    timing: { kind: "at", at: at("2026-03-08T06:30:00Z"), latestAt: null },
    now: "2026-03-08T05:00:00Z",
    expected: sendAt("2026-03-08T07:30:00Z", true),
  },

  // Transactional: consent and subscriptions only; sent now.
  { name: "transactional during quiet hours, capped, in every holdout: now", purpose: "transactional", facts: { marketingPushTimes: [at("2026-03-10T20:00:00Z")], programHoldout: true, alreadyRecipient: true }, timing: null, now: "2026-03-10T22:30:00Z", expected: sendAt("2026-03-10T22:30:00Z") },
  { name: "transactional to a customer who is not a member but allowed notifications", purpose: "transactional", facts: { membership: "none" }, timing: null, now: "2026-03-10T12:00:00Z", expected: sendAt("2026-03-10T12:00:00Z") },
  { name: "transactional after push consent was withdrawn", purpose: "transactional", facts: { pushConsent: "withdrawn" }, timing: null, now: "2026-03-10T12:00:00Z", expected: skipped("consent") },
  { name: "transactional with only expired subscriptions", purpose: "transactional", facts: { activeSubscriptions: 0 }, timing: null, now: "2026-03-10T12:00:00Z", expected: skipped("no-subscription") },
];

describe("decideEligibility", () => {
  it.each(TABLE)("$name", (row) => {
    const input: EligibilityInput = {
      purpose: row.purpose ?? "marketing",
      facts: { ...reachable, ...row.facts },
      rules: { ...LONDON, ...row.rules },
      timing: row.timing === undefined ? usualVisit(row.now.slice(0, 10)) : row.timing,
      now: at(row.now),
    };
    expect(decideEligibility(input)).toEqual(row.expected);
  });
});

describe("the shop's clock", () => {
  it("reads local minutes across the change to summer time", () => {
    expect(localMinuteOf(at("2026-03-29T00:59:00Z"), "Europe/London")).toBe(59);
    expect(localMinuteOf(at("2026-03-29T01:00:00Z"), "Europe/London")).toBe(120);
  });

  it("places a skipped wall-clock time past the gap and a repeated one at its first occurrence", () => {
    expect(instantAt(day("2026-03-29"), 90, "Europe/London").toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(instantAt(day("2026-10-25"), 90, "Europe/London").toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });

  it("in the repeated hour, a quiet spell ends at the second 01:30, not the first", () => {
    const quiet = { startMinute: 0, endMinute: 90 };
    // 01:10 GMT, the second time the clock shows 01:10 that night.
    expect(nextAllowedMoment(at("2026-10-25T01:10:00Z"), quiet, "Europe/London").toISOString()).toBe("2026-10-25T01:30:00.000Z");
    // 00:40 BST, before the change: the first 01:30.
    expect(nextAllowedMoment(at("2026-10-24T23:40:00Z"), quiet, "Europe/London").toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });

  it("refuses a minute outside the day", () => {
    expect(() => instantAt(day("2026-03-10"), 1440, "Europe/London")).toThrow(RangeError);
  });
});
