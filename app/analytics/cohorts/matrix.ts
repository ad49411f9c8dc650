import { z } from "zod";
import { assertNever } from "../../lib/assert-never";

/**
 * Retention matrices: acquisition cohort (the calendar week or month of a
 * member's first visit) × periods since, each cell the share of the cohort's
 * members with a visit in that period. Periods are calendar weeks (Monday to
 * Sunday) or months counted from the cohort's own, so period 0 holds every
 * member. A period that starts after the data's end has no cell (absent, not
 * zero); one that the data's end cuts short is marked partial.
 */

export const RETENTION_PERIODS = ["week", "month"] as const;
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];

export interface RetentionCell {
  /** Periods since the cohort's own: 0, 1, … */
  period: number;
  /** First and last local date of the period. */
  from: string;
  to: string;
  /** Cohort members with a visit in the period. */
  members: number;
  share: number;
  /** The data ends inside the period, so the share can still grow. */
  partial: boolean;
}

export interface RetentionRow {
  /** The first local date of the cohort's week or month (YYYY-MM-DD). */
  cohort: string;
  /** Members whose first visit falls in it. */
  size: number;
  cells: RetentionCell[];
}

export interface RetentionMatrix {
  period: RetentionPeriod;
  /** The data's end (YYYY-MM-DD, inclusive). */
  until: string;
  cohorts: RetentionRow[];
}

export interface RetentionCounts {
  sizes: readonly { cohort: string; size: number }[];
  /** Members of `cohort` with a visit in period `period`. */
  active: readonly { cohort: string; period: number; members: number }[];
}

const isoDate = z.iso.date();

export function buildRetentionMatrix(counts: RetentionCounts, options: { period: RetentionPeriod; until: string }): RetentionMatrix {
  const until = isoDate.parse(options.until);
  const active = new Map(counts.active.map((cell) => [`${cell.cohort}|${cell.period}`, cell.members]));
  const cohorts = [...counts.sizes]
    .filter((row) => row.size > 0)
    .sort((a, b) => a.cohort.localeCompare(b.cohort))
    .map((row): RetentionRow => {
      const start = isoDate.parse(row.cohort);
      const cells: RetentionCell[] = [];
      for (let period = 0; ; period++) {
        const from = periodStart(start, period, options.period);
        if (from > until) break;
        const to = addDays(periodStart(start, period + 1, options.period), -1);
        const members = active.get(`${row.cohort}|${period}`) ?? 0;
        cells.push({ period, from, to, members, share: members / row.size, partial: to > until });
      }
      return { cohort: row.cohort, size: row.size, cells };
    });
  return { period: options.period, until, cohorts };
}

/** The first local date of the period `offset` periods after the one starting on `start`. */
export function periodStart(start: string, offset: number, period: RetentionPeriod): string {
  switch (period) {
    case "week":
      return addDays(start, offset * 7);
    case "month": {
      const date = new Date(`${start}T00:00:00Z`);
      return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
    }
    default:
      return assertNever(period, "retention period");
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
