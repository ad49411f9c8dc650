/**
 * Contact details as evidence that two customer records are one person.
 * Pure: what counts as "the same email" and "the same phone" is decided here
 * and nowhere else (docs/merges.md).
 *
 * Emails: trimmed and lower-cased (mail providers treat the address case-
 * insensitively in practice), with a "+tag" removed from the local part
 * (jane+cafe@… reaches jane@…). Dots are removed only for Gmail, the one
 * large provider known to ignore them; elsewhere jane.doe@ and janedoe@ may
 * be two people.
 *
 * Phones: E.164 (+CCNNN…). A number written in national form (07700 900123)
 * needs the country it was dialled in: the shop's, derived by
 * `countryForShop`. Without one, a national number is no evidence at all
 * rather than a guess.
 */

const GMAIL_DOMAINS = new Set(["gmail.com", "googlemail.com"]);

/** The email as evidence, or null when it is not an address. */
export function normaliseEmail(raw: string | null | undefined): string | null {
  if (typeof raw !== "string") return null;
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1 || email.indexOf("@") !== at || /\s/.test(email)) return null;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf("+");
  if (plus === 0) return null;
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replaceAll(".", "");
    domain = "gmail.com";
  }
  if (local.length === 0 || !domain.includes(".")) return null;
  return `${local}@${domain}`;
}

/** Calling code and national trunk prefix ("0" in 07700 900123), for the countries we know. */
interface Dialling {
  code: string;
  trunk: string | null;
}

/** ISO 3166 alpha-2 → dialling rules. NANP (US, CA) is handled by its own rule below. */
export const DIALLING: Readonly<Record<string, Dialling>> = {
  GB: { code: "44", trunk: "0" },
  IE: { code: "353", trunk: "0" },
  US: { code: "1", trunk: "1" },
  CA: { code: "1", trunk: "1" },
  FR: { code: "33", trunk: "0" },
  DE: { code: "49", trunk: "0" },
  NL: { code: "31", trunk: "0" },
  BE: { code: "32", trunk: "0" },
  ES: { code: "34", trunk: null },
  IT: { code: "39", trunk: null },
  PT: { code: "351", trunk: null },
  CH: { code: "41", trunk: "0" },
  AT: { code: "43", trunk: "0" },
  SE: { code: "46", trunk: "0" },
  DK: { code: "45", trunk: null },
  NO: { code: "47", trunk: null },
  AU: { code: "61", trunk: "0" },
  NZ: { code: "64", trunk: "0" },
  JP: { code: "81", trunk: "0" },
};

/**
 * The phone as evidence (E.164), or null when it cannot be read as one.
 * `country` (ISO alpha-2) is used only for numbers written without "+" or "00".
 */
export function normalisePhone(raw: string | null | undefined, country: string | null): string | null {
  if (typeof raw !== "string") return null;
  // An extension is not part of the line: "… ext. 12", "… x12".
  let text = raw.trim().replace(/\s*(?:ext\.?|extension|x|#)\s*\d+$/i, "");
  // "+44 (0) 7700 900123": the trunk 0 written in brackets after the country code.
  text = text.replace(/\(\s*0\s*\)/g, "");
  if (!/^[+\d\s().\-/]+$/.test(text)) return null;
  const international = text.startsWith("+") || /^00[1-9]/.test(text.replace(/[\s().\-/]/g, ""));
  let digits = text.replace(/\D/g, "");
  if (international) {
    if (!text.startsWith("+")) digits = digits.slice(2);
    return e164(digits);
  }
  const rules = country === null ? undefined : DIALLING[country.toUpperCase()];
  if (!rules) return null;
  if (rules.code === "1") {
    // NANP: ten digits, or eleven with the leading 1.
    if (digits.length === 11 && digits.startsWith("1")) digits = digits.slice(1);
    return digits.length === 10 ? `+1${digits}` : null;
  }
  if (rules.trunk !== null) {
    if (!digits.startsWith(rules.trunk)) return null;
    digits = digits.slice(rules.trunk.length);
  }
  return e164(`${rules.code}${digits}`);
}

/** E.164 allows at most 15 digits; fewer than 8 is no real subscriber number. */
function e164(digits: string): string | null {
  if (digits.length < 8 || digits.length > 15 || digits.startsWith("0")) return null;
  return `+${digits}`;
}

/** IANA zones → the country a shop in that zone dials from (the zones of the countries in DIALLING). */
const ZONE_COUNTRY: Readonly<Record<string, string>> = {
  "Europe/London": "GB",
  "Europe/Belfast": "GB",
  "Europe/Dublin": "IE",
  "Europe/Paris": "FR",
  "Europe/Berlin": "DE",
  "Europe/Amsterdam": "NL",
  "Europe/Brussels": "BE",
  "Europe/Madrid": "ES",
  "Europe/Rome": "IT",
  "Europe/Lisbon": "PT",
  "Europe/Zurich": "CH",
  "Europe/Vienna": "AT",
  "Europe/Stockholm": "SE",
  "Europe/Copenhagen": "DK",
  "Europe/Oslo": "NO",
  "Asia/Tokyo": "JP",
  "Pacific/Auckland": "NZ",
  "America/Toronto": "CA",
  "America/Vancouver": "CA",
  "America/Edmonton": "CA",
  "America/Winnipeg": "CA",
  "America/Halifax": "CA",
  "America/St_Johns": "CA",
  "America/Regina": "CA",
  "Pacific/Honolulu": "US",
};

const US_ZONES = /^America\/(New_York|Chicago|Denver|Los_Angeles|Phoenix|Anchorage|Detroit|Boise|Indiana\/.+|Kentucky\/.+|North_Dakota\/.+|Adak|Juneau|Sitka|Nome|Menominee)$/;

/** The country a shop's zone implies, or null for zones shared by several countries we cannot tell apart. */
export function countryOfZone(timezone: string): string | null {
  if (timezone.startsWith("Australia/")) return "AU";
  if (US_ZONES.test(timezone)) return "US";
  return ZONE_COUNTRY[timezone] ?? null;
}

/** The country whose calling code most of these E.164 numbers carry (at least half of them), or null. */
export function countryOfPhones(phones: readonly string[]): string | null {
  const counts = new Map<string, number>();
  let international = 0;
  for (const phone of phones) {
    const compact = phone.replace(/[\s().\-/]/g, "");
    if (!compact.startsWith("+")) continue;
    international++;
    const country = Object.entries(DIALLING).find(([, rules]) => compact.startsWith(`+${rules.code}`))?.[0];
    if (country) counts.set(country, (counts.get(country) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return best && best[1] * 2 >= international ? best[0] : null;
}

/** "jane.doe@example.com" → "ja…@example.com": enough for the owner to recognise, no more. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 0) return "…";
  const local = email.slice(0, at);
  return `${local.slice(0, Math.min(2, Math.max(1, local.length - 2)))}…${email.slice(at)}`;
}

/** "+447700900123" → "+44…123". */
export function maskPhone(phone: string): string {
  return phone.length <= 6 ? "…" : `${phone.slice(0, 3)}…${phone.slice(-3)}`;
}
