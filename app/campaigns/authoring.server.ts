import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { zonedWallTimeToInstant } from "../imports/local-time";
import { CampaignStateError, createCampaign, definitionColumns, getCampaign, type CampaignRecord } from "./campaigns.server";
import {
  CAMPAIGN_DEFAULTS,
  CAMPAIGN_LIMITS,
  CampaignDefinitionError,
  OFFER_TYPES,
  parseCampaignDefinition,
  type CampaignDefinition,
  type DefinitionIssue,
} from "./definition";
import { checkNotificationSize, MAX_PUSH_PLAINTEXT_BYTES, placeholdersFor } from "./notification";
import { tastingItemChoices, tastingOfferIssues, type TastingItemChoice } from "./tasting.server";

/**
 * Authoring a campaign from the admin's form. The form's fields are named by
 * the paths the definition reports problems under (`name`, `segmentId`,
 * `variants[1].title`, `offer.link`, `startsAt`, …), so every problem lands
 * beside its field. The fields become the same input the CLI reads from JSON
 * and go through the same parseCampaignDefinition: the admin and the CLI give
 * the same messages. Times are shop-local wall-clock times, as the owner
 * thinks of them.
 */

/** The kinds an owner authors here; a transactional message's wording is set with the CLI. */
export const AUTHORED_KINDS = ["segment-entry", "broadcast", "second-visit", "win-back"] as const;
export type AuthoredKind = (typeof AUTHORED_KINDS)[number];

/** One message, or two for an A/B test. */
export const MAX_FORM_VARIANTS = 2;
const VARIANT_IDS = ["a", "b"] as const;

const needsSegment = (kind: string) => kind === "segment-entry" || kind === "broadcast";

export interface SegmentChoice {
  id: string;
  name: string;
  memberCount: number;
  refreshedAt: Date | null;
}

export interface AuthoringOptions {
  shopName: string;
  timezone: string;
  segments: SegmentChoice[];
  /** Items a tasting can name: the pickup menu and the items sold most. */
  tastingItems: TastingItemChoice[];
  kinds: readonly AuthoredKind[];
  offerTypes: typeof OFFER_TYPES;
  defaults: typeof CAMPAIGN_DEFAULTS;
  limits: typeof CAMPAIGN_LIMITS;
  maxVariants: number;
  maxPayloadBytes: number;
}

/** What the form offers: the shop's segments with their current member counts, its zone, the defaults and limits. */
export async function authoringOptions(db: Database, shop: string): Promise<AuthoringOptions> {
  const [{ timezone }, shopRow, segments, tastingItems] = await Promise.all([
    shopAnalyticsSettings(db, shop),
    db.shop.findUnique({ where: { domain: shop }, select: { name: true } }),
    db.segment.findMany({ where: { shop }, select: { id: true, name: true, memberCount: true, refreshedAt: true }, orderBy: [{ builtIn: "desc" }, { name: "asc" }, { id: "asc" }] }),
    tastingItemChoices(db, shop),
  ]);
  return {
    shopName: shopRow?.name ?? shop,
    timezone,
    segments,
    tastingItems,
    kinds: AUTHORED_KINDS,
    offerTypes: OFFER_TYPES,
    defaults: CAMPAIGN_DEFAULTS,
    limits: CAMPAIGN_LIMITS,
    maxVariants: MAX_FORM_VARIANTS,
    maxPayloadBytes: MAX_PUSH_PLAINTEXT_BYTES,
  };
}

/** The form as submitted: field name → text. */
export type CampaignForm = Readonly<Record<string, string>>;

const field = (form: CampaignForm, name: string) => (form[name] ?? "").trim();

/** A whole number as typed; "" leaves the default, anything else not a plain number becomes NaN for the definition to name. */
function numberField(form: CampaignForm, name: string): number | undefined {
  const text = field(form, name);
  if (text === "") return undefined;
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** "2026-03-12T08:00" on the shop's clock → the instant; null when the text is not such a time. */
export function shopLocalInstant(text: string, timeZone: string): Date | null {
  const match = LOCAL_DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return new Date(zonedWallTimeToInstant(wall, timeZone).epochMs);
}

/** An instant as the form's date-time field shows it on the shop's clock ("2026-03-12T08:00"). */
export function shopLocalText(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** How many variants the form holds (1 or 2). */
export function variantCount(form: CampaignForm): number {
  return field(form, "variantCount") === "2" ? 2 : 1;
}

/**
 * The form's fields as the definition's input (what the CLI reads from a
 * JSON file), and the problems only the form can have: a kind not authored
 * here, a time that is not a shop-local date and time.
 */
export function formToInput(form: CampaignForm, timeZone: string): { input: Record<string, unknown>; issues: DefinitionIssue[] } {
  const issues: DefinitionIssue[] = [];
  const kind = field(form, "kind");
  if (!(AUTHORED_KINDS as readonly string[]).includes(kind)) {
    issues.push({ path: "kind", message: `kind must be one of ${AUTHORED_KINDS.join(", ")}${kind === "transactional" ? " (a transactional message's wording is set with `regulars campaigns create`)" : ""}` });
  }
  const count = variantCount(form);
  const variants = VARIANT_IDS.slice(0, count).map((id, index) => {
    const url = field(form, `variants[${index}].url`);
    const weight = count > 1 ? numberField(form, `variants[${index}].weight`) : undefined;
    return {
      id,
      title: field(form, `variants[${index}].title`),
      body: field(form, `variants[${index}].body`),
      ...(url === "" ? {} : { url }),
      ...(weight === undefined ? {} : { weight }),
    };
  });
  const percentOff = numberField(form, "offer.discount.percentOff");
  const time = (name: "startsAt" | "endsAt"): Date | null => {
    const text = field(form, name);
    if (text === "") return null;
    const instant = shopLocalInstant(text, timeZone);
    if (!instant) issues.push({ path: name, message: `${name} must be a date and time on the shop's clock (${timeZone}), such as 2026-03-12T08:00` });
    return instant;
  };
  const startsAt = time("startsAt");
  // A broadcast goes out at its time; "until" and lead times belong to triggered campaigns.
  const broadcast = kind === "broadcast";
  // Said now, in the definition's words, rather than after the other fields are put right.
  if (needsSegment(kind) && field(form, "segmentId") === "") issues.push({ path: "segmentId", message: `a ${kind} campaign needs the segment it targets` });
  if (broadcast && field(form, "startsAt") === "") issues.push({ path: "startsAt", message: "a broadcast needs the time to send it" });
  const endsAt = broadcast ? null : time("endsAt");
  // A segment's tasting may name its new item and size its audience; other campaigns have no such fields (a hidden field left filled in is not sent).
  const tasting = field(form, "offer.type") === "tasting" && needsSegment(kind);
  const item = tasting ? field(form, "offer.item") : "";
  const category = tasting ? field(form, "offer.category") : "";
  const audienceSize = tasting ? numberField(form, "offer.audienceSize") : undefined;
  const minScore = tasting ? numberField(form, "offer.minScore") : undefined;
  const holdoutPercent = numberField(form, "holdoutPercent");
  const attributionHours = numberField(form, "attributionHours");
  const leadMinutes = broadcast ? undefined : numberField(form, "leadMinutes");
  const input: Record<string, unknown> = {
    name: field(form, "name"),
    kind,
    segmentId: needsSegment(kind) ? field(form, "segmentId") || null : null,
    variants,
    offer: {
      type: field(form, "offer.type"),
      link: field(form, "offer.link"),
      discount: percentOff === undefined ? null : { percentOff },
      ...(item === "" ? {} : { item }),
      ...(category === "" ? {} : { category }),
      ...(audienceSize === undefined ? {} : { audienceSize }),
      ...(minScore === undefined ? {} : { minScore }),
    },
    ...(holdoutPercent === undefined ? {} : { holdoutPercent }),
    ...(attributionHours === undefined ? {} : { attributionHours }),
    ...(leadMinutes === undefined ? {} : { leadMinutes }),
    startsAt,
    endsAt,
  };
  return { input, issues };
}

export type AuthorResult = { ok: true; campaign: CampaignRecord; created: boolean } | { ok: false; issues: DefinitionIssue[] };

/**
 * Validates the form exactly as the CLI validates a file, checks that the
 * segment is one of this shop's, and stores a draft under `id`. Nothing is
 * stored when anything is wrong. The form carries its id from the page that
 * showed it, so submitting the same form twice stores one campaign.
 */
export async function authorCampaign(db: Database, shop: string, form: CampaignForm, options: { id: string }): Promise<AuthorResult> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const { input, issues } = formToInput(form, timezone);
  let definition: CampaignDefinition | null = null;
  // The kind decides what every other field must be; with a kind not authored here, that is the one problem to report.
  if (!issues.some((issue) => issue.path === "kind")) {
    try {
      definition = parseCampaignDefinition(input);
    } catch (error) {
      if (!(error instanceof CampaignDefinitionError)) throw error;
      issues.push(...error.issues.filter((issue) => !issues.some((known) => known.path === issue.path)));
    }
  }
  // Only an id the definition accepted is looked up: a hostile one (NUL, …) is already named, and the database would refuse it.
  if (typeof input.segmentId === "string" && !issues.some((issue) => issue.path === "segmentId")) {
    const segment = await db.segment.findUnique({ where: { shop_id: { shop, id: input.segmentId } }, select: { id: true } });
    if (!segment) issues.push({ path: "segmentId", message: `there is no segment "${input.segmentId}" in this shop; pick one of the list` });
  }
  if (definition) issues.push(...(await tastingOfferIssues(db, shop, definition.offer)));
  if (issues.length > 0 || !definition) return { ok: false, issues: issues.length > 0 ? issues : [{ path: "", message: "the campaign could not be read" }] };

  const replay = await sameCampaign(db, shop, options.id, definition);
  if (replay) return { ok: true, campaign: replay, created: false };
  try {
    return { ok: true, campaign: await createCampaign(db, shop, input, { id: options.id }), created: true };
  } catch (error) {
    // Two submissions of one form racing: the loser finds the winner's campaign.
    const raced = await sameCampaign(db, shop, options.id, definition);
    if (raced) return { ok: true, campaign: raced, created: false };
    if (error instanceof CampaignStateError) return { ok: false, issues: [{ path: "", message: error.message }] };
    throw error;
  }
}

/** The campaign stored under `id` when it is this very definition (the form submitted again); null otherwise. */
async function sameCampaign(db: Database, shop: string, id: string, definition: CampaignDefinition): Promise<CampaignRecord | null> {
  const exists = await db.campaign.findUnique({ where: { shop_id: { shop, id } }, select: { id: true } });
  if (!exists) return null;
  const stored = await getCampaign(db, shop, id);
  return JSON.stringify(definitionColumns(stored)) === JSON.stringify(definitionColumns(definition)) ? stored : null;
}

export interface VariantSize {
  /** Index of the variant in the form. */
  index: number;
  bytes: number;
  limit: number;
  /** Why it cannot be sent (the authoring rule's message), or null when it fits. */
  problem: string | null;
}

/**
 * Each message's size as the push layer would send it, with placeholders at
 * their longest: the same rule that refuses a campaign over 4 KB, measured
 * while the owner types.
 */
export function measureVariants(form: CampaignForm): VariantSize[] {
  const discount = field(form, "offer.discount.percentOff") !== "";
  const offerType = OFFER_TYPES.find((type) => type === field(form, "offer.type")) ?? null;
  const placeholders = placeholdersFor({ template: null, discount, offerType });
  return Array.from({ length: variantCount(form) }, (_, index) => {
    const size = checkNotificationSize({ title: field(form, `variants[${index}].title`), body: field(form, `variants[${index}].body`), url: "" }, placeholders);
    return { index, bytes: size.bytes, limit: MAX_PUSH_PLAINTEXT_BYTES, problem: size.ok ? null : size.message };
  });
}
