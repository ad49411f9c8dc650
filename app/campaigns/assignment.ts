import { createHash } from "node:crypto";
import type { Variant } from "./definition";

/**
 * Experiment assignment by hashing, never by a random draw: the same member
 * gets the same arm and variant on every run and every machine, so a rerun
 * after a crash decides exactly as the first run did, and anyone can audit an
 * assignment from the ids alone.
 *
 * Each use has its own salt ("holdout", "variant", "program"), so the holdout
 * split, the variant split and the program holdout are independent of each
 * other.
 */

/** A number in [0, 1) from the SHA-256 of the parts (48 bits, uniform enough for any share we use). */
export function hashUnit(parts: readonly string[]): number {
  // JSON keeps ["a|b", "c"] and ["a", "b|c"] apart.
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export type Arm = "treatment" | "holdout";

/** The campaign's holdout: hash(member, campaign) below the holdout share. */
export function campaignArm(shop: string, campaignId: string, customerId: string, holdoutPercent: number): Arm {
  if (!(holdoutPercent >= 0 && holdoutPercent <= 100)) throw new RangeError(`holdoutPercent must be 0–100 (got ${holdoutPercent})`);
  return hashUnit(["holdout", shop, campaignId, customerId]) * 100 < holdoutPercent ? "holdout" : "treatment";
}

/** A variant in proportion to the weights, by its own hash of member and campaign. */
export function pickVariant<V extends Pick<Variant, "id" | "weight">>(shop: string, campaignId: string, customerId: string, variants: readonly V[]): V {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const first = variants[0];
  if (!first || !(total > 0)) throw new RangeError("a campaign needs at least one variant with a positive weight");
  let point = hashUnit(["variant", shop, campaignId, customerId]) * total;
  for (const variant of variants) {
    if (point < variant.weight) return variant;
    point -= variant.weight;
  }
  return variants[variants.length - 1] ?? first;
}

/** "2026-Q1" for a shop-local date (a Date at UTC midnight of the local day). */
export function quarterOf(localDate: Date): string {
  return `${localDate.getUTCFullYear()}-Q${Math.floor(localDate.getUTCMonth() / 3) + 1}`;
}

/**
 * The shop-wide rolling holdout: hash(member, quarter) below the share means
 * no marketing message at all that quarter. Redrawn every quarter, so nobody
 * is left out for long, and the program as a whole can be measured against
 * the members it never reached.
 */
export function inProgramHoldout(shop: string, customerId: string, quarter: string, percent: number): boolean {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`programHoldoutPercent must be 0–100 (got ${percent})`);
  return hashUnit(["program", shop, quarter, customerId]) * 100 < percent;
}
