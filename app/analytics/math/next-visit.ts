/**
 * When a member is due back: their own gaps between visit days, shrunk
 * towards their cohort's (empirical Bayes on log gaps, a normal–normal
 * model). A member with many regular gaps keeps their own rhythm; one with a
 * single gap, or none, borrows the cohort's. Choices and alternatives:
 * docs/decisions/0010-analytics-statistics.md.
 */

/** One member's gaps in days (≥ 1), summarised on the log scale. */
export interface GapSummary {
  count: number;
  /** Mean of ln(gap); 0 when there is no gap. */
  meanLog: number;
  /** Sample variance of ln(gap); 0 with fewer than two gaps. */
  varLog: number;
}

/** Additive statistics of a cohort's members (those with at least one gap), so cohorts can be merged. */
export interface CohortGapStats {
  members: number;
  /** Σ meanLog, Σ meanLog² and Σ 1/count over the members. */
  sumMean: number;
  sumMeanSquares: number;
  sumInverseCount: number;
  /** Σ (count − 1) varLog and Σ (count − 1): pooled within-member spread. */
  withinSquares: number;
  withinDf: number;
}

export interface GapPrior {
  /** The cohort's typical member: mean of members' mean log gap. */
  meanLog: number;
  /** σ²: spread of one member's log gaps around their own mean (pooled). */
  withinVar: number;
  /** τ²: spread of members' true mean log gaps around the cohort's. */
  betweenVar: number;
  members: number;
}

export interface NextVisitWindow {
  /** The usual gap: exp of the shrunk mean log gap (a median gap, robust to the odd long absence). */
  usualGapDays: number;
  /** The due window in days after the last visit: the middle half of the predicted next gap. */
  dueFromDays: number;
  dueUntilDays: number;
  /** Weight of the member's own gaps, n / (n + σ²/τ²). */
  ownWeight: number;
}

/** Prior pseudo-observations that keep variances sensible for thin cohorts: 2 degrees of freedom at a log-sd of 0.5. */
const PRIOR_DF = 2;
const PRIOR_VAR = 0.25;
/** A member's own spread is shrunk towards the cohort's with this many pseudo-gaps. */
const OWN_SPREAD_PRIOR_DF = 4;
/** τ² never below this (log-sd 0.1): members of a cohort always differ a little. */
const MIN_BETWEEN_VAR = 0.01;
/** z of the 25th and 75th percentiles: the window holds the middle half of the predicted next gap. */
const QUARTILE_Z = 0.6744897501960817;

export const EMPTY_GAP_STATS: CohortGapStats = {
  members: 0,
  sumMean: 0,
  sumMeanSquares: 0,
  sumInverseCount: 0,
  withinSquares: 0,
  withinDf: 0,
};

export function summariseGaps(gaps: readonly number[]): GapSummary {
  gaps.forEach((gap, i) => {
    if (!(gap >= 1) || !Number.isFinite(gap)) throw new RangeError(`gaps[${i}] must be a number of days ≥ 1 (got ${gap})`);
  });
  const logs = gaps.map(Math.log);
  const count = logs.length;
  const meanLog = count === 0 ? 0 : logs.reduce((sum, v) => sum + v, 0) / count;
  const varLog = count < 2 ? 0 : logs.reduce((sum, v) => sum + (v - meanLog) ** 2, 0) / (count - 1);
  return { count, meanLog, varLog };
}

function validateSummary(summary: GapSummary, where: string): void {
  if (!Number.isInteger(summary.count) || summary.count < 0) throw new RangeError(`${where}: count must be a whole number ≥ 0 (got ${summary.count})`);
  if (!Number.isFinite(summary.meanLog) || summary.meanLog < 0) throw new RangeError(`${where}: meanLog must be ≥ 0 (gaps are ≥ 1 day; got ${summary.meanLog})`);
  if (!Number.isFinite(summary.varLog) || summary.varLog < 0) throw new RangeError(`${where}: varLog must be ≥ 0 (got ${summary.varLog})`);
}

export function cohortGapStats(members: Iterable<GapSummary>): CohortGapStats {
  const stats = { ...EMPTY_GAP_STATS };
  let index = 0;
  for (const member of members) {
    validateSummary(member, `members[${index++}]`);
    if (member.count === 0) continue;
    stats.members += 1;
    stats.sumMean += member.meanLog;
    stats.sumMeanSquares += member.meanLog ** 2;
    stats.sumInverseCount += 1 / member.count;
    stats.withinSquares += (member.count - 1) * member.varLog;
    stats.withinDf += member.count - 1;
  }
  return stats;
}

export function combineGapStats(parts: Iterable<CohortGapStats>): CohortGapStats {
  const total = { ...EMPTY_GAP_STATS };
  for (const part of parts) {
    total.members += part.members;
    total.sumMean += part.sumMean;
    total.sumMeanSquares += part.sumMeanSquares;
    total.sumInverseCount += part.sumInverseCount;
    total.withinSquares += part.withinSquares;
    total.withinDf += part.withinDf;
  }
  return total;
}

/**
 * The cohort's prior by the method of moments: σ² pooled within members
 * (with a weak prior of 2 df at log-sd 0.5), τ² = variance of members' means
 * less the part their own sampling noise explains (σ² × mean 1/n). Null when
 * no member of the cohort has a gap.
 */
export function gapPrior(stats: CohortGapStats): GapPrior | null {
  if (stats.members === 0) return null;
  const meanLog = stats.sumMean / stats.members;
  const withinVar = (stats.withinSquares + PRIOR_DF * PRIOR_VAR) / (stats.withinDf + PRIOR_DF);
  let betweenVar = PRIOR_VAR;
  if (stats.members >= 2) {
    const varianceOfMeans = Math.max(0, (stats.sumMeanSquares - stats.members * meanLog ** 2) / (stats.members - 1));
    betweenVar = varianceOfMeans - withinVar * (stats.sumInverseCount / stats.members);
  }
  return { meanLog, withinVar, betweenVar: Math.max(MIN_BETWEEN_VAR, betweenVar), members: stats.members };
}

/**
 * The member's next-visit window. Their mean log gap is shrunk to the cohort's
 * with weight n / (n + σ²/τ²); the next gap is predicted log-normal with that
 * centre and a spread of their own (shrunk to σ² with 4 pseudo-gaps) plus the
 * uncertainty of the centre. Usual gap = its median; the due window = its
 * quartiles, whole days after the last visit (at least day 1).
 */
export function nextVisitWindow(member: GapSummary, prior: GapPrior): NextVisitWindow {
  validateSummary(member, "member");
  const n = member.count;
  const k = prior.withinVar / prior.betweenVar;
  const ownWeight = n / (n + k);
  const centre = ownWeight * member.meanLog + (1 - ownWeight) * prior.meanLog;
  const centreVar = 1 / (n / prior.withinVar + 1 / prior.betweenVar);
  const ownSpread =
    n < 2 ? prior.withinVar : ((n - 1) * member.varLog + OWN_SPREAD_PRIOR_DF * prior.withinVar) / (n - 1 + OWN_SPREAD_PRIOR_DF);
  const sd = Math.sqrt(ownSpread + centreVar);
  const dueFromDays = Math.max(1, Math.floor(Math.exp(centre - QUARTILE_Z * sd)));
  const dueUntilDays = Math.max(dueFromDays, Math.ceil(Math.exp(centre + QUARTILE_Z * sd)));
  return { usualGapDays: Math.exp(centre), dueFromDays, dueUntilDays, ownWeight };
}
