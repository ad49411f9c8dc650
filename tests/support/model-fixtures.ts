import type { Database } from "../../app/db/prisma.server";
import { createRandom } from "../../app/simulate/random";

/** Shops with made-up visit histories for the visit-model tests: Visit and MemberFeature rows written directly. */

export const START = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;
/** The local date `offset` days after START. */
export const day = (offset: number) => new Date(START + offset * DAY_MS);

export interface Member {
  customerId: string;
  pattern: string;
  /** Distinct visit days (offsets from START), ascending. */
  days: number[];
}

/** Members who visit on random days at their own rate and stop for good after a visit with their own probability. */
export function population(seed: string, customers: number, lastDay: number, lastFirstDay = 120): Member[] {
  const random = createRandom(seed);
  return Array.from({ length: customers }, (_, i) => {
    const rate = random.float(0.04, 0.35);
    const dropout = random.float(0.01, 0.15);
    const first = random.int(0, lastFirstDay);
    const days = [first];
    for (let d = first + 1; d <= lastDay; d++) {
      if (!random.chance(rate)) continue;
      days.push(d);
      if (random.chance(dropout)) break;
    }
    return { customerId: String(1000 + i), pattern: i % 3 === 0 ? "weekend-midday" : "weekday-morning", days };
  });
}

/** Writes the members' visits (every fifth visit day at two counters: still one visit day) and feature rows with stale predictions. */
export async function insertMembers(db: Database, shop: string, members: Member[]): Promise<void> {
  const visits = members.flatMap((member) =>
    member.days.flatMap((offset, n) => {
      const at = new Date(START + offset * DAY_MS + 8 * 3_600_000);
      const visit = { shop, customerId: member.customerId, localDate: day(offset), firstOrderAt: at, lastOrderAt: at, orders: 1, spend: "4.50", weekday: day(offset).getUTCDay(), localMinute: 480, label: member.pattern, pos: true };
      return n % 5 === 4 ? [{ ...visit, locationKey: "main" }, { ...visit, locationKey: "station" }] : [{ ...visit, locationKey: "main" }];
    }),
  );
  await db.visit.createMany({ data: visits });
  await db.memberFeature.createMany({
    data: members.map((member) => ({
      shop,
      customerId: member.customerId,
      firstVisitOn: day(member.days[0] ?? 0),
      lastVisitOn: day(member.days[member.days.length - 1] ?? 0),
      visitCount: member.days.length,
      totalSpend: "10",
      avgSpend: "4.5",
      pattern: member.pattern,
      patternShare: 1,
      acquisitionWeek: day(member.days[0] ?? 0),
      acquisitionMonth: day(member.days[0] ?? 0),
      // A stale prediction that a withheld model must clear.
      pAlive: 0.123,
      expectedVisits30: 9.87,
    })),
  });
}
