import { z } from "zod";
import { isPerkKind, PERK_KINDS, type PerkKind } from "./earning";

/**
 * What an owner may set on a perk program, validated once for the admin
 * form, the CLI and tests alike. Every problem is reported against the field
 * it belongs to, so the form can show it next to that field.
 */

const NUMERIC_ID = /^[1-9][0-9]{0,19}$/;
const VARIANT_GID = "gid://shopify/ProductVariant/";

/** A variant id as orders and the POS carry it: "40001", or its gid; null when it is neither. */
export function variantIdOf(text: string): string | null {
  const trimmed = text.trim();
  const bare = trimmed.startsWith(VARIANT_GID) ? trimmed.slice(VARIANT_GID.length) : trimmed;
  return NUMERIC_ID.test(bare) ? bare : null;
}

export const variantIdSchema = z.string({ error: "variantId must be a string" }).transform((value, context) => {
  const id = variantIdOf(value);
  if (id === null) {
    context.addIssue({ code: "custom", message: `variantId must be a Shopify variant id such as 40001 (got ${JSON.stringify(value.slice(0, 60))})` });
    return z.NEVER;
  }
  return id;
});

export const MAX_PROGRAM_VARIANTS = 50;
export const MAX_EVERY_VISITS = 100;

export interface PerkProgramInput {
  kind: PerkKind;
  name: string;
  reward: string;
  everyVisits: number | null;
  variantIds: string[];
  segmentId: string | null;
  /** Shop-local date "YYYY-MM-DD". */
  startsOn: string;
  active: boolean;
}

export type ProgramField = keyof PerkProgramInput;
export type ProgramErrors = Partial<Record<ProgramField | "form", string>>;

/** The form as text, the way an HTML form or a CLI sends it. */
export type ProgramForm = Partial<Record<ProgramField, string>>;

function localDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).toISOString().slice(0, 10) === text;
}

/** Splits "40001, 40002\n40003" into ids; names each entry that is not a variant id. */
export function parseVariantList(text: string): { ok: true; ids: string[] } | { ok: false; message: string } {
  const entries = text.split(/[\s,;]+/).filter((entry) => entry.length > 0);
  const bad = entries.filter((entry) => variantIdOf(entry) === null);
  if (bad.length > 0) return { ok: false, message: `not a variant id: ${bad.slice(0, 3).map((entry) => JSON.stringify(entry.slice(0, 40))).join(", ")}${bad.length > 3 ? ` and ${bad.length - 3} more` : ""} (use ids such as 40001)` };
  const ids = [...new Set(entries.map((entry) => variantIdOf(entry) ?? ""))];
  if (ids.length > MAX_PROGRAM_VARIANTS) return { ok: false, message: `at most ${MAX_PROGRAM_VARIANTS} variants per program (got ${ids.length})` };
  return { ok: true, ids };
}

const text = (field: string, max: number) =>
  z
    .string()
    .transform((value) => value.trim())
    .pipe(z.string().min(1, `${field} is required`).max(max, `${field} must be at most ${max} characters`));

const formSchema = z.object({
  kind: z.string().refine(isPerkKind, `kind must be one of ${PERK_KINDS.join(", ")}`),
  name: text("name", 80),
  reward: text("reward", 120),
  startsOn: z.string().refine(localDate, "start date must be a date like 2026-03-02"),
});

/**
 * Reads a program form. every_nth_visit needs `everyVisits` (2 to 100: one
 * perk per visit would be a blanket discount); new_item_tasting needs at
 * least one variant and may name a segment of regulars.
 */
export function parseProgramForm(form: ProgramForm): { ok: true; value: PerkProgramInput } | { ok: false; errors: ProgramErrors } {
  const errors: ProgramErrors = {};
  const base = formSchema.safeParse({ kind: form.kind ?? "", name: form.name ?? "", reward: form.reward ?? "", startsOn: (form.startsOn ?? "").trim() });
  if (!base.success) {
    for (const issue of base.error.issues) {
      const field = issue.path[0];
      if (typeof field === "string" && !(field in errors)) errors[field as ProgramField] = issue.message;
    }
  }
  const kind = form.kind !== undefined && isPerkKind(form.kind) ? form.kind : null;

  let everyVisits: number | null = null;
  const everyText = (form.everyVisits ?? "").trim();
  if (kind === "every_nth_visit") {
    if (!/^\d+$/.test(everyText) || Number(everyText) < 2 || Number(everyText) > MAX_EVERY_VISITS) {
      errors.everyVisits = `every how many visits must be a whole number from 2 to ${MAX_EVERY_VISITS}${everyText ? ` (got ${JSON.stringify(everyText.slice(0, 20))})` : ""}`;
    } else {
      everyVisits = Number(everyText);
    }
  }

  const variants = parseVariantList(form.variantIds ?? "");
  if (!variants.ok) errors.variantIds = variants.message;
  else if (kind === "new_item_tasting" && variants.ids.length === 0) errors.variantIds = "a tasting needs at least one new item (variant id) to taste";

  const segmentText = (form.segmentId ?? "").trim();
  if (segmentText.length > 100) errors.segmentId = "segment id must be at most 100 characters";
  const segmentId = kind === "new_item_tasting" && segmentText.length > 0 ? segmentText : null;

  const activeText = (form.active ?? "on").trim().toLowerCase();
  if (!["on", "true", "1", "off", "false", "0", ""].includes(activeText)) errors.active = 'active must be "on" or "off"';
  const active = ["on", "true", "1"].includes(activeText);

  if (!base.success || !kind || Object.keys(errors).length > 0 || !variants.ok) return { ok: false, errors };
  return { ok: true, value: { kind, name: base.data.name, reward: base.data.reward, everyVisits, variantIds: variants.ids, segmentId, startsOn: base.data.startsOn, active } };
}
