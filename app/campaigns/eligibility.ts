import { addDays, instantAt, isQuiet, localDateOf, nextAllowedMoment, type QuietHours } from "./local-clock";

/**
 * The one place that decides whether a member may be sent a message, and
 * when. Pure: it takes the member's facts, the shop's rules, the timing the
 * campaign asks for and the clock, and returns a send time or the first rule
 * that stopped it. Every path that sends (campaign runs, transactional
 * messages) goes through it, so caps and quiet hours hold across them all.
 *
 * Rules, in order (the first that fails is the reason recorded):
 * 1. consent: an active member whose latest push consent event is a grant
 *    (transactional: the grant alone);
 * 2. a push subscription that is still active;
 * 3. (marketing) not in the shop-wide program holdout this quarter;
 * 4. (marketing) never twice for the same campaign;
 * 5. timing: the usual visit time minus the lead time, moved to the next
 *    moment outside quiet hours; skipped when that moment is too late to be
 *    of use (after the visit it invites to, or after the campaign's latest
 *    useful time);
 * 6. (marketing) the frequency cap: fewer than `capCount` marketing pushes
 *    within `capDays` either side of the send time, across all campaigns.
 * Transactional messages skip 3, 4 and 6 and are sent at once, quiet hours
 * or not: the customer asked for them (see docs/decisions/0015).
 */

export const SKIP_REASONS = [
  "consent",
  "no-subscription",
  "program-holdout",
  "already-recipient",
  "quiet-hours",
  "window-passed",
  "frequency-cap",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type PushConsent = "granted" | "withdrawn" | "none";

export interface MemberFacts {
  /** Member.status, or "none" for a customer who never joined. */
  membership: "active" | "left" | "none";
  /** The action of the member's latest push ConsentEvent, "none" when there is none. */
  pushConsent: PushConsent;
  /** Push subscriptions linked to the member with status active. */
  activeSubscriptions: number;
  /** When each marketing push of any campaign was sent or is scheduled, around now. */
  marketingPushTimes: readonly Date[];
  /** The member already has a decision for this campaign. */
  alreadyRecipient: boolean;
  /** The member is in this quarter's program holdout. */
  programHoldout: boolean;
  /** Usual local minute of a visit (MemberFeature.usualMinute); null when unknown. */
  usualMinute: number | null;
}

export interface MessagingRules {
  timezone: string;
  quiet: QuietHours;
  /** At most capCount marketing pushes per member in capDays days. */
  capCount: number;
  capDays: number;
}

export type Timing =
  /** Aim at the member's usual visit, leadMinutes before it, on `fromDay` or the first later day still ahead. */
  | { kind: "before-usual-visit"; leadMinutes: number; fromDay: Date; untilDay: Date | null; latestAt: Date | null }
  /** A fixed moment (a broadcast), no earlier than now; useless after latestAt. */
  | { kind: "at"; at: Date; latestAt: Date | null };

export interface EligibilityInput {
  purpose: "marketing" | "transactional";
  facts: MemberFacts;
  rules: MessagingRules;
  timing: Timing | null;
  now: Date;
}

export type Eligibility =
  | { eligible: true; sendAt: Date; deferredByQuietHours: boolean }
  | { eligible: false; reason: SkipReason };

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Days tried for a usual-visit timing: today and the next; a later day is a later run's decision. */
const USUAL_VISIT_DAYS = 2;

/**
 * Rules 1 and 2 alone: whether the member can be reached at all. Every push
 * needs push consent given and not withdrawn since (the latest push consent
 * event is a grant); marketing also needs an active membership (consent to
 * the program's messages), while a transactional message does not: the
 * customer asked for it (a pickup order) and allowed notifications.
 */
export function reachability(facts: MemberFacts, purpose: EligibilityInput["purpose"]): "consent" | "no-subscription" | null {
  // The storefront records the prompt's words as a push grant (app/push/storefront.ts): no grant, no push.
  if (facts.pushConsent !== "granted") return "consent";
  if (purpose === "marketing" && facts.membership !== "active") return "consent";
  if (facts.activeSubscriptions <= 0) return "no-subscription";
  return null;
}

export function decideEligibility(input: EligibilityInput): Eligibility {
  const { facts, rules, now, purpose } = input;
  const unreachable = reachability(facts, purpose);
  if (unreachable) return skip(unreachable);
  if (purpose === "transactional") return { eligible: true, sendAt: now, deferredByQuietHours: false };
  if (facts.programHoldout) return skip("program-holdout");
  if (facts.alreadyRecipient) return skip("already-recipient");

  const timing = input.timing ?? { kind: "at" as const, at: now, latestAt: null };
  const timed = timing.kind === "at" ? atMoment(timing, rules, now) : beforeUsualVisit(timing, facts.usualMinute, rules, now);
  if (!timed.eligible) return timed;

  const capWindow = rules.capDays * DAY_MS;
  const nearby = facts.marketingPushTimes.filter((t) => Math.abs(t.getTime() - timed.sendAt.getTime()) < capWindow).length;
  if (nearby >= rules.capCount) return skip("frequency-cap");
  return timed;
}

function skip(reason: SkipReason): Eligibility {
  return { eligible: false, reason };
}

function atMoment(timing: Extract<Timing, { kind: "at" }>, rules: MessagingRules, now: Date): Eligibility {
  const ideal = new Date(Math.max(timing.at.getTime(), now.getTime()));
  if (timing.latestAt && ideal > timing.latestAt) return skip("window-passed");
  const sendAt = nextAllowedMoment(ideal, rules.quiet, rules.timezone);
  if (timing.latestAt && sendAt > timing.latestAt) return skip("quiet-hours");
  return { eligible: true, sendAt, deferredByQuietHours: sendAt.getTime() !== ideal.getTime() };
}

/**
 * The send time for an invitation timed to the member's usual visit. Without
 * a usual time, the first allowed moment from now (no visit to aim at). A day
 * whose visit has passed, or whose only allowed moment comes after the visit,
 * gives way to the next day; when quiet hours were what ruled the days out,
 * the reason is quiet hours.
 */
function beforeUsualVisit(timing: Extract<Timing, { kind: "before-usual-visit" }>, usualMinute: number | null, rules: MessagingRules, now: Date): Eligibility {
  const tooLate = (moment: Date) => (timing.latestAt !== null && moment > timing.latestAt) || (timing.untilDay !== null && localDateOf(moment, rules.timezone) > timing.untilDay);
  if (usualMinute === null) {
    const from = instantAt(timing.fromDay, 0, rules.timezone);
    const ideal = new Date(Math.max(from.getTime(), now.getTime()));
    const sendAt = nextAllowedMoment(ideal, rules.quiet, rules.timezone);
    if (tooLate(ideal)) return skip("window-passed");
    if (tooLate(sendAt)) return skip("quiet-hours");
    return { eligible: true, sendAt, deferredByQuietHours: sendAt.getTime() !== ideal.getTime() };
  }

  const today = localDateOf(now, rules.timezone);
  let day = timing.fromDay > today ? timing.fromDay : today;
  let quietBlocked = false;
  for (let tried = 0; tried < USUAL_VISIT_DAYS; tried++, day = addDays(day, 1)) {
    if (timing.untilDay !== null && day > timing.untilDay) break;
    const visit = instantAt(day, usualMinute, rules.timezone);
    if (visit <= now) continue;
    const lead = new Date(visit.getTime() - timing.leadMinutes * MINUTE_MS);
    const ideal = lead > now ? lead : now;
    if (timing.latestAt && ideal > timing.latestAt) break;
    const sendAt = nextAllowedMoment(ideal, rules.quiet, rules.timezone);
    if (sendAt > visit || (timing.latestAt && sendAt > timing.latestAt)) {
      if (isQuiet(ideal, rules.quiet, rules.timezone)) quietBlocked = true;
      continue;
    }
    return { eligible: true, sendAt, deferredByQuietHours: sendAt.getTime() !== ideal.getTime() };
  }
  return skip(quietBlocked ? "quiet-hours" : "window-passed");
}
