import { describe, expect, it } from "vitest";
import { returnProbabilityAfter, RETURN_WINDOWS, type Persona } from "../../app/simulate/rhythms";
import { simulateCafe, type Simulation } from "../../app/simulate/simulate";

/**
 * The ground truth must be recoverable from the orders alone, read the way the
 * analytics will read them: local calendar days and hours in the shop's zone
 * (computed here with Intl directly, not with the generator's own helpers).
 */

function localClock(timeZone: string) {
  const format = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return (ms: number) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
    const dayNumber = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1) / 86_400_000;
    return { dayNumber, weekday: new Date(dayNumber * 86_400_000).getUTCDay(), secondOfDay: (p.hour ?? 0) * 3600 + (p.minute ?? 0) * 60 + (p.second ?? 0), hour: p.hour ?? 0 };
  };
}

function labelOf(weekday: number, hour: number): string | null {
  const kind = weekday === 0 || weekday === 6 ? "weekend" : "weekday";
  const part = hour >= 6 && hour < 11 ? "morning" : hour >= 11 && hour < 14 ? "midday" : hour >= 14 && hour < 17 ? "afternoon" : hour >= 17 && hour < 22 ? "evening" : null;
  return part === null ? null : `${kind}-${part}`;
}

describe.each(["Europe/London", "America/New_York"])("planted patterns in %s, across the spring DST change", (timezone) => {
  // March and April: London moves its clocks on 30 March 2025, New York on 9 March.
  const sim = simulateCafe({ seed: "dst", shop: "dst-cafe.myshopify.com", days: 61, until: new Date("2025-04-30T23:00:00Z"), members: 1200, timezone });
  const clock = localClock(timezone);

  it("rings every order at the local wall-clock time and day it was planted for", () => {
    const firstDay = clock(sim.orders[0]?.at ?? 0).dayNumber - (sim.orders[0]?.dayIndex ?? 0);
    for (const order of sim.orders) {
      const local = clock(order.at);
      expect([local.dayNumber - firstDay, local.secondOfDay]).toEqual([order.dayIndex, order.localSecond]);
    }
  });

  it("puts at least 90 % of weekday-morning commuters' visits on weekday mornings, before and after the change", () => {
    const change = timezone === "Europe/London" ? Date.parse("2025-03-30T01:00:00Z") : Date.parse("2025-03-09T07:00:00Z");
    for (const side of [(at: number) => at < change, (at: number) => at >= change]) {
      const commuterVisits = sim.orders.filter((order) => order.customerIndex !== null && sim.customers[order.customerIndex]?.persona === "commuter" && side(order.at));
      expect(commuterVisits.length).toBeGreaterThan(200);
      const mornings = commuterVisits.filter((order) => {
        const local = clock(order.at);
        return labelOf(local.weekday, local.hour) === "weekday-morning";
      });
      expect(mornings.length / commuterVisits.length).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("gives each planted pattern the share of visits the truth says", () => {
    const truth = sim.groundTruth.customers;
    const byLabel = new Map<string, { visits: number; matching: number; expected: number; variance: number }>();
    for (const order of sim.orders) {
      if (order.customerIndex === null || order.cancellation) continue;
      const planted = truth[order.customerIndex];
      if (!planted) continue;
      const local = clock(order.at);
      const tally = byLabel.get(planted.pattern) ?? { visits: 0, matching: 0, expected: 0, variance: 0 };
      tally.visits++;
      if (labelOf(local.weekday, local.hour) === planted.pattern) tally.matching++;
      tally.expected += planted.patternShare;
      tally.variance += planted.patternShare * (1 - planted.patternShare);
      byLabel.set(planted.pattern, tally);
    }
    expect([...byLabel.keys()]).toEqual(expect.arrayContaining(["weekday-morning", "weekend-midday", "weekday-afternoon"]));
    for (const [label, tally] of byLabel) {
      if (tally.visits < 200) continue;
      // Four standard deviations, plus a little for weekday mixes of irregulars that a short window does not even out.
      expect(Math.abs(tally.matching - tally.expected), label).toBeLessThan(4 * Math.sqrt(tally.variance) + 0.01 * tally.visits);
    }
  });
});

interface Visit {
  customer: number;
  dayNumber: number;
  weekday: number;
}

/** Each customer's visits (distinct local days), oldest first. */
function visitsOf(sim: Simulation): Visit[][] {
  const clock = localClock(sim.settings.timezone);
  const visits = sim.customers.map((): Visit[] => []);
  for (const order of sim.orders) {
    if (order.customerIndex === null) continue;
    const list = visits[order.customerIndex];
    const local = clock(order.at);
    if (list && list[list.length - 1]?.dayNumber !== local.dayNumber) list.push({ customer: order.customerIndex, dayNumber: local.dayNumber, weekday: local.weekday });
  }
  return visits;
}

describe("planted return probabilities", () => {
  const sim = simulateCafe({ seed: "returns", shop: "returns-cafe.myshopify.com", days: 240, until: new Date("2025-10-31T23:00:00Z"), members: 1500 });
  const clock = localClock(sim.settings.timezone);
  const lastDay = clock(sim.settings.until.getTime() - 1000).dayNumber;
  const visits = visitsOf(sim);

  it.each(RETURN_WINDOWS)("match the empirical share of visits followed by another within %i days", (days) => {
    const byPersona = new Map<Persona | "all", { n: number; returned: number; exact: number; truth: number; variance: number }>();
    for (const list of visits) {
      list.forEach((visit, i) => {
        // A visit whose N days are not all inside the window is censored, not a loss.
        if (visit.dayNumber + days > lastDay) return;
        const customer = sim.customers[visit.customer];
        const truth = sim.groundTruth.customers[visit.customer];
        if (!customer || !truth) return;
        const next = list[i + 1];
        const returned = next !== undefined && next.dayNumber - visit.dayNumber <= days ? 1 : 0;
        const exact = returnProbabilityAfter(customer.rhythm, visit.weekday, days);
        for (const key of [customer.persona, "all"] as const) {
          const tally = byPersona.get(key) ?? { n: 0, returned: 0, exact: 0, truth: 0, variance: 0 };
          tally.n++;
          tally.returned += returned;
          tally.exact += exact;
          tally.truth += truth.returnWithin[`${days}`];
          tally.variance += exact * (1 - exact);
          byPersona.set(key, tally);
        }
      });
    }
    for (const [persona, tally] of byPersona) {
      expect(tally.n, persona).toBeGreaterThan(300);
      const sd = Math.sqrt(tally.variance);
      // Visit by visit, the probability given the visit's weekday is exact: within four standard deviations.
      expect(Math.abs(tally.returned - tally.exact), `${persona} within ${days} days`).toBeLessThan(4 * sd + 1);
      // The per-customer figure the ground truth reports (averaged over their weekdays) agrees to within 2 points.
      expect(Math.abs(tally.returned - tally.truth) / tally.n, `${persona} truth within ${days} days`).toBeLessThan(4 * sd / tally.n + 0.02);
    }
  });

  it("tells the rhythms apart: commuters return within 12 days far more often than irregulars", () => {
    const mean = (persona: Persona) => {
      const values = sim.groundTruth.customers.filter((customer) => customer.persona === persona).map((customer) => customer.returnWithin["12"]);
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    };
    expect(mean("commuter")).toBeGreaterThan(0.7);
    expect(mean("irregular")).toBeLessThan(0.5);
    expect(mean("commuter") - mean("irregular")).toBeGreaterThan(0.3);
  });
});
