import { DEFAULT_DAYPART_HOURS, DEFAULT_DAYPART_NAMES, dayKindOf, type DayKind, type DefaultDaypart } from "../analytics/dayparts";

/**
 * The generator's view of the dayparts: the analytics' defaults (DESIGN.md:
 * morning 06–11, midday 11–14, afternoon 14–17, evening 17–22, local hours,
 * start inclusive), crossed with weekday or weekend into labels such as
 * `weekday-morning`. The simulated cafe opens at 07:00 and closes at 19:00,
 * so it only sells inside those hours.
 */

export const DAYPARTS = DEFAULT_DAYPART_NAMES;
export type Daypart = DefaultDaypart;
export type { DayKind };
export type DaypartLabel = `${DayKind}-${Daypart}`;
export { dayKindOf };

export const DAYPART_HOURS = DEFAULT_DAYPART_HOURS;

/** Minutes of the local day the cafe sells in, per daypart: [from, to). */
export const OPEN_MINUTES: Readonly<Record<Daypart, readonly [number, number]>> = {
  morning: [7 * 60, 11 * 60],
  midday: [11 * 60, 14 * 60],
  afternoon: [14 * 60, 17 * 60],
  evening: [17 * 60, 19 * 60],
};

export function daypartOfHour(hour: number): Daypart | null {
  for (const daypart of DAYPARTS) {
    const [from, to] = DAYPART_HOURS[daypart];
    if (hour >= from && hour < to) return daypart;
  }
  return null;
}

/** The label of a local weekday and hour; null at night (22–06), when no daypart applies. */
export function daypartLabel(weekday: number, hour: number): DaypartLabel | null {
  const daypart = daypartOfHour(hour);
  return daypart === null ? null : `${dayKindOf(weekday)}-${daypart}`;
}
