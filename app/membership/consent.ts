/**
 * Consent records (ConsentEvent rows) keep the exact words a customer saw.
 * Joining records the text the join block (or the POS) showed; leaving
 * records the fixed texts below, so an audit can read what each event meant.
 */

/** Longest consent text accepted: a paragraph, not a document. */
export const MAX_CONSENT_TEXT_LENGTH = 2_000;

export const LEAVE_MEMBERSHIP_TEXT = "Left the membership.";

/**
 * Leaving withdraws push consent too, whether or not it was ever given: the
 * withdrawal records the customer's intent, so a later opt-in flow cannot
 * mistake an old grant for a current one.
 */
export const WITHDRAW_PUSH_ON_LEAVE_TEXT = "Left the membership: no more push offers.";

/** Normalises what was shown (line endings, outer blanks) without changing the words. */
export function normaliseConsentText(text: string): string {
  return text.replace(/\r\n?/g, "\n").trim();
}

/** A consent with no words, or an essay, is not a record of what the customer agreed to. */
export class InvalidConsentTextError extends Error {
  constructor(reason: string) {
    super(`Consent text ${reason}`);
    this.name = "InvalidConsentTextError";
  }
}

export function checkedConsentText(text: string): string {
  const normalised = normaliseConsentText(text);
  if (normalised === "") throw new InvalidConsentTextError("is empty");
  if (normalised.length > MAX_CONSENT_TEXT_LENGTH) throw new InvalidConsentTextError(`is longer than ${MAX_CONSENT_TEXT_LENGTH} characters`);
  return normalised;
}
