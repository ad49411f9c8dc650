import { DAYPARTS, OPEN_MINUTES, dayKindOf, type Daypart, type DaypartLabel } from "./dayparts";
import { assertNever } from "../lib/assert-never";
import type { Random } from "./random";

/**
 * A customer's visit rhythm, and the exact quantities it implies.
 *
 * The process: while a customer is still coming, each local day whose weekday
 * is one of theirs brings a visit with probability `visitProbability`,
 * independently of every other day; after each visit, with probability
 * `lapseProbability`, that visit was their last. So after a visit on weekday w
 * the next visit falls within N days with probability
 *   (1 − lapse) · (1 − (1 − p)^E(w, N)),
 * E(w, N) being how many of their weekdays lie in the N days after w. Because
 * the days are independent trials, in the long run visits spread evenly over
 * their weekdays, so the customer's return probability is the mean over them.
 * Each visit's time of day is drawn from `daypartWeights`, independently of
 * the day, which makes the true pattern's share exact too.
 */

export const PERSONAS = ["commuter", "bruncher", "student", "irregular"] as const;
export type Persona = (typeof PERSONAS)[number];

export interface Rhythm {
  /** Weekdays (0 = Sunday … 6 = Saturday) on which the customer may come, ascending. */
  weekdays: number[];
  /** Chance of a visit on each of those days while the customer is still coming. */
  visitProbability: number;
  /** Chance after each visit that it was the last. */
  lapseProbability: number;
  /** How visits spread over the dayparts; sums to 1. */
  daypartWeights: Record<Daypart, number>;
  /** Favourite minute of the day inside the main daypart, and the spread around it. */
  preferredMinute: number;
  spreadMinutes: number;
}

/** Return windows the ground truth reports, in days. */
export const RETURN_WINDOWS = [7, 12, 30] as const;
export type ReturnWindow = (typeof RETURN_WINDOWS)[number];

/** How many of the rhythm's weekdays fall in the `days` days after a day with weekday `weekday`. */
export function eligibleDaysAfter(rhythm: Pick<Rhythm, "weekdays">, weekday: number, days: number): number {
  let count = 0;
  for (let offset = 1; offset <= days; offset++) if (rhythm.weekdays.includes((weekday + offset) % 7)) count++;
  return count;
}

/** P(next visit within `days` local days | a visit on `weekday`), exactly. */
export function returnProbabilityAfter(rhythm: Rhythm, weekday: number, days: number): number {
  const trials = eligibleDaysAfter(rhythm, weekday, days);
  return (1 - rhythm.lapseProbability) * (1 - (1 - rhythm.visitProbability) ** trials);
}

/** P(next visit within `days` local days | a visit), averaged over the customer's weekdays. */
export function returnWithinDays(rhythm: Rhythm, days: number): number {
  const sum = rhythm.weekdays.reduce((total, weekday) => total + returnProbabilityAfter(rhythm, weekday, days), 0);
  return sum / rhythm.weekdays.length;
}

/** Expected visits per week while the customer is still coming. */
export function visitsPerWeek(rhythm: Rhythm): number {
  return rhythm.weekdays.length * rhythm.visitProbability;
}

export function mainDaypart(rhythm: Rhythm): Daypart {
  return DAYPARTS.reduce((best, daypart) => (rhythm.daypartWeights[daypart] > rhythm.daypartWeights[best] ? daypart : best));
}

/** The daypart label most of the customer's visits carry, and the long-run share of visits that carry it. */
export function truePattern(rhythm: Rhythm): { label: DaypartLabel; share: number } {
  const weekdayShare = rhythm.weekdays.filter((weekday) => dayKindOf(weekday) === "weekday").length / rhythm.weekdays.length;
  const kind = weekdayShare >= 0.5 ? "weekday" : "weekend";
  const daypart = mainDaypart(rhythm);
  const kindShare = kind === "weekday" ? weekdayShare : 1 - weekdayShare;
  return { label: `${kind}-${daypart}`, share: kindShare * rhythm.daypartWeights[daypart] };
}

/** The local minute of one visit: around the favourite time in the main daypart, anywhere open in another. */
export function visitMinute(rhythm: Rhythm, random: Random): number {
  const daypart = pickDaypart(rhythm, random);
  const [from, to] = OPEN_MINUTES[daypart];
  if (daypart !== mainDaypart(rhythm)) return random.int(from, to - 1);
  const minute = Math.round(random.normal(rhythm.preferredMinute, rhythm.spreadMinutes));
  return Math.min(Math.max(minute, from), to - 1);
}

function pickDaypart(rhythm: Rhythm, random: Random): Daypart {
  // The weights sum to 1; walking them avoids building a list on every visit.
  let roll = random.next();
  for (const daypart of DAYPARTS) {
    roll -= rhythm.daypartWeights[daypart];
    if (roll < 0) return daypart;
  }
  return mainDaypart(rhythm);
}

const WEEKDAYS = [1, 2, 3, 4, 5] as const;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6] as const;

/** Draws a rhythm typical of the persona; the ranges are what make the personas tell apart. */
export function drawRhythm(persona: Persona, random: Random): Rhythm {
  switch (persona) {
    case "commuter":
      return {
        weekdays: someOf(WEEKDAYS, random.weighted([[5, 35], [4, 25], [3, 25], [2, 15]] as const), random),
        visitProbability: random.float(0.2, 0.7),
        lapseProbability: random.float(0.005, 0.03),
        daypartWeights: mostlyIn("morning", random.float(0, 0.06)),
        preferredMinute: random.int(7 * 60 + 15, 9 * 60 + 45),
        spreadMinutes: random.int(5, 25),
      };
    case "bruncher":
      return {
        weekdays: random.weighted([[[6], 35], [[0], 30], [[0, 6], 35]] as const).slice(),
        visitProbability: random.float(0.3, 0.8),
        lapseProbability: random.float(0.01, 0.05),
        daypartWeights: mostlyIn("midday", random.float(0, 0.08)),
        preferredMinute: random.int(11 * 60, 13 * 60),
        spreadMinutes: random.int(15, 40),
      };
    case "student":
      return {
        weekdays: someOf(WEEKDAYS, random.weighted([[5, 50], [4, 20], [3, 30]] as const), random),
        visitProbability: random.float(0.15, 0.55),
        lapseProbability: random.float(0.005, 0.04),
        daypartWeights: mostlyIn("afternoon", random.float(0, 0.08)),
        preferredMinute: random.int(14 * 60 + 30, 16 * 60 + 15),
        spreadMinutes: random.int(10, 35),
      };
    case "irregular": {
      // No habit: any day, any daypart, with a loose preference (the evening is short).
      const rhythm: Rhythm = {
        weekdays: [...ALL_DAYS],
        visitProbability: random.float(0.01, 0.06),
        lapseProbability: random.float(0.02, 0.15),
        daypartWeights: normalised({
          morning: random.float(0.1, 1),
          midday: random.float(0.1, 1),
          afternoon: random.float(0.1, 1),
          evening: random.float(0.1, 1) * 0.3,
        }),
        preferredMinute: 0,
        spreadMinutes: random.int(30, 60),
      };
      const [from, to] = OPEN_MINUTES[mainDaypart(rhythm)];
      return { ...rhythm, preferredMinute: random.int(from, to - 1) };
    }
    default:
      return assertNever(persona, "persona");
  }
}

function normalised(weights: Record<Daypart, number>): Record<Daypart, number> {
  const total = weights.morning + weights.midday + weights.afternoon + weights.evening;
  return { morning: weights.morning / total, midday: weights.midday / total, afternoon: weights.afternoon / total, evening: weights.evening / total };
}

/** All weight on one daypart except `elsewhere`, spread evenly over the others. */
function mostlyIn(main: Daypart, elsewhere: number): Record<Daypart, number> {
  const others = DAYPARTS.length - 1;
  return {
    morning: main === "morning" ? 1 - elsewhere : elsewhere / others,
    midday: main === "midday" ? 1 - elsewhere : elsewhere / others,
    afternoon: main === "afternoon" ? 1 - elsewhere : elsewhere / others,
    evening: main === "evening" ? 1 - elsewhere : elsewhere / others,
  };
}

function someOf(days: readonly number[], count: number, random: Random): number[] {
  const pool = [...days];
  const chosen: number[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(...pool.splice(random.int(0, pool.length - 1), 1));
  return chosen.sort((a, b) => a - b);
}
