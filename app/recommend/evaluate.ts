/**
 * Offline evaluation of recommendations (issue 9 acceptance): each member's
 * top-k list is scored against the items they actually ordered in visits held
 * out after the cutoff the recommendations were computed at.
 */

/** Share of the first k recommended items that the member ordered in the held-out visits; a shorter list counts its gaps as misses. */
export function precisionAtK(recommended: readonly string[], ordered: ReadonlySet<string>, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a whole number of at least 1, got ${k}`);
  return recommended.slice(0, k).filter((item) => ordered.has(item)).length / k;
}

/**
 * The most-popular baseline: the shop's k most popular items (by visits,
 * best first) that are not in the member's usual order — the same exclusion
 * the personal suggestions make, so the two lists compete for the same slots.
 */
export function popularBaseline(popular: readonly string[], usual: ReadonlySet<string>, k: number): string[] {
  return popular.filter((item) => !usual.has(item)).slice(0, k);
}

export interface MemberHoldout {
  /** Personal suggestions, best first. */
  suggestions: readonly string[];
  usual: ReadonlySet<string>;
  /** Items ordered in the member's held-out visits. */
  heldOut: ReadonlySet<string>;
}

export interface HoldoutScore {
  members: number;
  precisionAtK: number;
  baselinePrecisionAtK: number;
}

/** Mean precision@k of the suggestions and of the popular baseline over the members with a held-out visit and a suggestion. */
export function scoreHoldout(members: readonly MemberHoldout[], popular: readonly string[], k: number): HoldoutScore {
  const scored = members.filter((member) => member.heldOut.size > 0 && member.suggestions.length > 0);
  if (scored.length === 0) return { members: 0, precisionAtK: 0, baselinePrecisionAtK: 0 };
  let personal = 0;
  let baseline = 0;
  for (const member of scored) {
    personal += precisionAtK(member.suggestions, member.heldOut, k);
    baseline += precisionAtK(popularBaseline(popular, member.usual, k), member.heldOut, k);
  }
  return { members: scored.length, precisionAtK: personal / scored.length, baselinePrecisionAtK: baseline / scored.length };
}
