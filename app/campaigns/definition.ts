import { z } from "zod";
import { isStorefrontPath } from "../push/payload";
import { checkNotificationSize, PLACEHOLDER_PATTERN, placeholdersFor } from "./notification";

/**
 * What a cafe owner writes when authoring a campaign, validated with zod into
 * a typed definition. Everything a send needs is checked here, at authoring
 * time: the kind's required fields, variant weights, the offer and its deep
 * link, and that every variant's notification fits in one Web Push message.
 */

export const CAMPAIGN_KINDS = ["segment-entry", "broadcast", "second-visit", "win-back", "transactional"] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

/** An invitation, not a coupon: a tasting, a new item, or ordering ahead. */
export const OFFER_TYPES = ["tasting", "new-item", "order-ahead"] as const;
export type OfferType = (typeof OFFER_TYPES)[number];

/** Messages the app sends because the customer did something (pickup issue: "your order is ready"). */
export const TRANSACTIONAL_TEMPLATES = ["order-ready"] as const;
export type TransactionalTemplate = (typeof TRANSACTIONAL_TEMPLATES)[number];

export const CAMPAIGN_DEFAULTS = { holdoutPercent: 10, attributionHours: 72, leadMinutes: 45 } as const;

export const CAMPAIGN_LIMITS = {
  maxVariants: 5,
  maxTitleChars: 200,
  maxBodyChars: 2_000,
  maxUrlChars: 2_000,
  maxHoldoutPercent: 50,
  maxAttributionHours: 720,
  maxLeadMinutes: 720,
  maxWeight: 1_000,
  /** The tasting ranking reads at most this many members (app/recommend/tasting.server.ts). */
  maxAudienceSize: 100_000,
  maxSimilarItems: 50,
} as const;

export interface Variant {
  id: string;
  title: string;
  body: string;
  /** Where a tap leads: a storefront path ("/products/oat-latte"); "" = the template's link (transactional). */
  url: string;
  weight: number;
}

export interface Discount {
  /** Whole percent off the order, 1–100. */
  percentOff: number;
  /** How long each member's code stays valid after their send time. */
  validHours: number;
}

/**
 * Who a tasting invitation goes to (issue 9): the segment's members ranked by
 * how likely they are to want to taste the new item (app/recommend/tasting.server.ts),
 * the best `audienceSize` of them and/or those scoring at least `minScore`.
 */
export interface TastingOffer {
  /** The new item: a SKU (an item key) or a variant id. */
  item: string;
  /** Its category when the shop does not know it yet (a new item has no product type in RecommendItem). */
  category: string | null;
  /** Items it is like (SKUs or variant ids). */
  similarTo: string[];
  /** At most this many members over the campaign's life; null = no cap. */
  audienceSize: number | null;
  /** Only members scoring at least this (0–1: share of visits with a like item × P(still a regular)); null = any score above 0. */
  minScore: number | null;
}

export interface Offer {
  type: OfferType;
  /** The deep link of the invitation; a variant without its own url uses it. */
  link: string;
  discount: Discount | null;
  /** A tasting offer that names its item; absent = the segment's members as they are (and every other offer, read as before). */
  tasting?: TastingOffer;
}

export interface CampaignDefinition {
  name: string;
  kind: CampaignKind;
  /** The segment it targets (segment-entry, broadcast). */
  segmentId: string | null;
  /** Which transactional message this campaign words (transactional only). */
  template: TransactionalTemplate | null;
  variants: Variant[];
  /** The invitation; null for transactional messages. */
  offer: Offer | null;
  holdoutPercent: number;
  attributionHours: number;
  leadMinutes: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface DefinitionIssue {
  path: string;
  message: string;
}

/** A definition that cannot be used; `issues` names every problem with its path. */
export class CampaignDefinitionError extends Error {
  constructor(readonly issues: DefinitionIssue[]) {
    super(`invalid campaign: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`);
    this.name = "CampaignDefinitionError";
  }
}

const SEGMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const VARIANT_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * A deep link is a path on the shop's storefront (/products/oat-latte,
 * /pages/order-ahead): the push layer keeps customers on the shop, so a
 * notification can never lead anywhere else (app/push/payload.ts).
 */
/** PostgreSQL text cannot hold NUL, and half a UTF-16 pair would be stored as another character. */
const storable = (text: string) => !text.includes("\u0000") && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
const UNSTORABLE = "must not contain the NUL character or half of a UTF-16 pair";

export const deepLink = z
  .string({ error: "must be a storefront path such as /products/oat-latte" })
  .refine(storable, UNSTORABLE)
  .trim()
  .min(1, "must not be empty")
  .max(CAMPAIGN_LIMITS.maxUrlChars, `must be at most ${CAMPAIGN_LIMITS.maxUrlChars} characters`)
  .refine(isStorefrontPath, "must be a storefront path such as /products/oat-latte (starting with one /, no spaces)");

const wholeNumber = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .int(`${field} must be a whole number`)
    .min(min, `${field} must be between ${min} and ${max}`)
    .max(max, `${field} must be between ${min} and ${max}`);

const instant = (field: string) => {
  const error = `${field} must be an ISO 8601 time with an offset, e.g. 2026-03-05T07:00:00Z`;
  return z.union([z.date({ error }), z.iso.datetime({ offset: true, error })], { error }).transform((value) => new Date(value));
};

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be text` })
    .refine(storable, `${field} ${UNSTORABLE}`)
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`);

const variantInput = z.strictObject(
  {
    id: z.string({ error: "id must be text" }).regex(VARIANT_ID, 'id must be 1–32 lower-case letters, digits or hyphens, such as "a"'),
    title: text("title", CAMPAIGN_LIMITS.maxTitleChars),
    body: text("body", CAMPAIGN_LIMITS.maxBodyChars),
    url: deepLink.optional(),
    weight: wholeNumber("weight", 1, CAMPAIGN_LIMITS.maxWeight).default(1),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")} (a variant has id, title, body, url, weight)` : "each variant must be { id, title, body, url?, weight? }") },
);

const discountInput = z.strictObject(
  {
    percentOff: wholeNumber("percentOff", 1, 100),
    validHours: wholeNumber("validHours", 1, CAMPAIGN_LIMITS.maxAttributionHours).optional(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")} (a discount has percentOff, validHours)` : "discount must be { percentOff, validHours? }") },
);

const itemRef = (field: string) =>
  z
    .string({ error: `${field} must be text (a SKU or a variant id)` })
    .refine(storable, `${field} ${UNSTORABLE}`)
    .trim()
    .min(1, `${field} must not be empty`)
    .max(200, `${field} must be at most 200 characters`);

const offerInput = z.strictObject(
  {
    type: z.enum(OFFER_TYPES, { error: `type must be one of ${OFFER_TYPES.join(", ")}` }),
    link: deepLink,
    discount: discountInput.nullish(),
    item: itemRef("item").nullish(),
    category: itemRef("category").nullish(),
    similarTo: z
      .array(itemRef("each similar item"), { error: "similarTo must be a list of SKUs or variant ids" })
      .max(CAMPAIGN_LIMITS.maxSimilarItems, `similarTo can hold at most ${CAMPAIGN_LIMITS.maxSimilarItems} items`)
      .nullish(),
    audienceSize: wholeNumber("audienceSize", 1, CAMPAIGN_LIMITS.maxAudienceSize).nullish(),
    minScore: z
      .number({ error: "minScore must be a number" })
      .gt(0, "minScore must be above 0 and at most 1 (a share of visits × P(still a regular))")
      .max(1, "minScore must be above 0 and at most 1 (a share of visits × P(still a regular))")
      .nullish(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown field ${issue.keys.join(", ")} (an offer has type, link, discount; a tasting also item, category, similarTo, audienceSize, minScore)`
        : "offer must be { type, link, discount?, item?, category?, similarTo?, audienceSize?, minScore? }",
  },
);

export const campaignInput = z.strictObject(
  {
    name: text("name", 100),
    kind: z.enum(CAMPAIGN_KINDS, { error: `kind must be one of ${CAMPAIGN_KINDS.join(", ")}` }),
    segmentId: z.string({ error: "segmentId must be text" }).regex(SEGMENT_ID, "segmentId must be a segment id such as due-to-return").nullish(),
    template: z.enum(TRANSACTIONAL_TEMPLATES, { error: `template must be one of ${TRANSACTIONAL_TEMPLATES.join(", ")}` }).nullish(),
    variants: z
      .array(variantInput, { error: "variants must be a list of { id, title, body, url?, weight? }" })
      .min(1, "variants must hold at least one message")
      .max(CAMPAIGN_LIMITS.maxVariants, `variants can hold at most ${CAMPAIGN_LIMITS.maxVariants} messages`),
    offer: offerInput.nullish(),
    holdoutPercent: wholeNumber("holdoutPercent", 0, CAMPAIGN_LIMITS.maxHoldoutPercent).optional(),
    attributionHours: wholeNumber("attributionHours", 1, CAMPAIGN_LIMITS.maxAttributionHours).default(CAMPAIGN_DEFAULTS.attributionHours),
    leadMinutes: wholeNumber("leadMinutes", 0, CAMPAIGN_LIMITS.maxLeadMinutes).default(CAMPAIGN_DEFAULTS.leadMinutes),
    startsAt: instant("startsAt").nullish(),
    endsAt: instant("endsAt").nullish(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown field ${issue.keys.join(", ")} (a campaign has name, kind, segmentId, template, variants, offer, holdoutPercent, attributionHours, leadMinutes, startsAt, endsAt)`
        : "a campaign must be an object",
  },
);

export type CampaignInput = z.input<typeof campaignInput>;

/** Validates a campaign as authored; throws CampaignDefinitionError naming every problem. */
export function parseCampaignDefinition(input: unknown): CampaignDefinition {
  const parsed = campaignInput.safeParse(input);
  if (!parsed.success) throw new CampaignDefinitionError(parsed.error.issues.map((issue) => ({ path: pathText(issue.path), message: issue.message })));
  const value = parsed.data;
  const issues: DefinitionIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const kind = value.kind;
  const transactional = kind === "transactional";
  const needsSegment = kind === "segment-entry" || kind === "broadcast";

  if (needsSegment && !value.segmentId) add("segmentId", `a ${kind} campaign needs the segment it targets`);
  if (!needsSegment && value.segmentId) add("segmentId", `a ${kind} campaign chooses its members itself; remove segmentId`);
  if (transactional && !value.template) add("template", `a transactional campaign names the message it words: ${TRANSACTIONAL_TEMPLATES.join(", ")}`);
  if (!transactional && value.template) add("template", "only a transactional campaign has a template");
  if (transactional && value.offer) add("offer", "a transactional message carries no offer");
  if (!transactional && !value.offer) add("offer", "an invitation needs an offer: { type, link, discount? }");
  if (transactional && value.holdoutPercent !== undefined && value.holdoutPercent !== 0) add("holdoutPercent", "a transactional message is never held out; leave it out or set 0");
  if (kind === "broadcast" && !value.startsAt) add("startsAt", "a broadcast needs the time to send it");
  if (value.startsAt && value.endsAt && value.endsAt <= value.startsAt) add("endsAt", "must be after startsAt");

  const given = value.offer;
  if (given) {
    const tastingFields = (["item", "category", "similarTo", "audienceSize", "minScore"] as const).filter((name) => given[name] !== undefined && given[name] !== null);
    if (given.type !== "tasting") for (const name of tastingFields) add(`offer.${name}`, `only a tasting offer has ${name}`);
    else if (!given.item) for (const name of tastingFields) add(`offer.${name}`, `${name} shapes a tasting's audience: give the new item too (offer.item, a SKU or variant id)`);
    if (given.type === "tasting" && given.item && !(kind === "segment-entry" || kind === "broadcast")) {
      add("offer.item", `a ${kind} campaign chooses its members itself; a tasting audience is taken from a segment (segment-entry or broadcast)`);
    }
  }

  const ids = new Set<string>();
  value.variants.forEach((variant, index) => {
    if (ids.has(variant.id)) add(`variants[${index}].id`, `"${variant.id}" is used twice`);
    ids.add(variant.id);
    if (!variant.url && !value.offer?.link && !transactional) add(`variants[${index}].url`, "needs a link (or give the offer a link)");
  });

  const offer: Offer | null = value.offer
    ? {
        type: value.offer.type,
        link: value.offer.link,
        discount: value.offer.discount ? { percentOff: value.offer.discount.percentOff, validHours: value.offer.discount.validHours ?? value.attributionHours } : null,
        ...(value.offer.item
          ? {
              tasting: {
                item: value.offer.item,
                category: value.offer.category ?? null,
                similarTo: [...new Set(value.offer.similarTo ?? [])],
                audienceSize: value.offer.audienceSize ?? null,
                minScore: value.offer.minScore ?? null,
              },
            }
          : {}),
      }
    : null;
  const template = value.template ?? null;
  const variants: Variant[] = value.variants.map((variant) => ({
    id: variant.id,
    title: variant.title,
    body: variant.body,
    // A transactional wording without a link opens the template's own (the order's page).
    url: variant.url ?? offer?.link ?? "",
    weight: variant.weight,
  }));

  // Texts are measured against what the campaign is; with the campaign itself wrong, that would mislead.
  if (issues.length > 0) throw new CampaignDefinitionError(issues);
  const allowed = placeholdersFor({ template, discount: offer?.discount !== null && offer?.discount !== undefined, offerType: offer?.type ?? null });
  variants.forEach((variant, index) => {
    for (const field of ["title", "body", "url"] as const) {
      for (const match of variant[field].matchAll(PLACEHOLDER_PATTERN)) {
        const name = match[1] ?? "";
        if (!Object.hasOwn(allowed, name)) {
          const known = Object.keys(allowed);
          add(`variants[${index}].${field}`, `{${name}} is not a placeholder here${known.length > 0 ? ` (available: ${known.map((k) => `{${k}}`).join(", ")})` : " (this campaign has none)"}`);
        }
      }
    }
    const size = checkNotificationSize(variant, allowed);
    if (!size.ok) add(`variants[${index}]`, size.message);
  });

  if (issues.length > 0) throw new CampaignDefinitionError(issues);
  return {
    name: value.name,
    kind,
    segmentId: value.segmentId ?? null,
    template,
    variants,
    offer,
    holdoutPercent: transactional ? 0 : (value.holdoutPercent ?? CAMPAIGN_DEFAULTS.holdoutPercent),
    attributionHours: value.attributionHours,
    leadMinutes: value.leadMinutes,
    startsAt: value.startsAt ?? null,
    endsAt: value.endsAt ?? null,
  };
}

/** `variants[1].title`, the way an issue is shown to a person. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`)).join("");
}
