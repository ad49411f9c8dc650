import type { Database } from "../db/prisma.server";
import type { ProgramErrors, ProgramField, ProgramForm } from "./program-input";
import { listPerkPrograms, savePerkProgram, setPerkProgramActive, type PerkProgramList } from "./programs.server";

/**
 * What the admin's Perks page loads and submits. The variants offered as
 * choices are the items the app already knows by name (the order-ahead menu
 * and the items the recommendations learned); any other variant id can be
 * typed in.
 */

export interface PerksPage extends PerkProgramList {
  items: Array<{ variantId: string; title: string }>;
  segments: Array<{ id: string; name: string }>;
}

export async function perksPage(db: Database, shop: string, now: Date = new Date()): Promise<PerksPage> {
  const [list, menu, known, segments] = await Promise.all([
    listPerkPrograms(db, shop, now),
    db.pickupMenuItem.findMany({ where: { shop }, select: { variantId: true, title: true }, orderBy: { title: "asc" } }),
    db.recommendItem.findMany({ where: { shop, variantId: { not: null } }, select: { variantId: true, title: true }, orderBy: { visits: "desc" }, take: 200 }),
    db.segment.findMany({ where: { shop }, select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  const items = new Map<string, string>();
  for (const item of [...menu, ...known]) if (item.variantId && !items.has(item.variantId)) items.set(item.variantId, item.title);
  return { ...list, items: [...items].map(([variantId, title]) => ({ variantId, title })).sort((a, b) => a.title.localeCompare(b.title)), segments };
}

export type PerksSubmit = { ok: true; message: string } | { ok: false; errors: ProgramErrors };

const FIELDS: readonly ProgramField[] = ["kind", "name", "reward", "everyVisits", "variantIds", "segmentId", "startsOn", "active"];

/** intent=save (with id for an edit) | pause | resume. */
export async function submitPerksForm(db: Database, shop: string, actor: string, form: FormData): Promise<PerksSubmit> {
  const intent = form.get("intent");
  const idText = form.get("id");
  const id = typeof idText === "string" && idText.trim() !== "" ? idText.trim().slice(0, 100) : null;
  if (intent === "pause" || intent === "resume") {
    if (id === null) return { ok: false, errors: { form: "which program? reload the page" } };
    const changed = await setPerkProgramActive(db, shop, actor, id, intent === "resume");
    if (!changed.ok) return { ok: false, errors: { form: changed.message } };
    return { ok: true, message: !changed.changed ? `"${changed.name}" was already ${intent === "pause" ? "paused" : "running"}.` : intent === "pause" ? `"${changed.name}" is paused.` : `"${changed.name}" is running again.` };
  }
  if (intent !== "save") return { ok: false, errors: { form: "unknown form; reload the page" } };
  const fields: ProgramForm = {};
  for (const name of FIELDS) {
    const value = form.get(name);
    if (typeof value === "string") fields[name] = value.slice(0, 10_000);
  }
  const saved = await savePerkProgram(db, shop, actor, id, fields);
  if (!saved.ok) return saved;
  return { ok: true, message: saved.created ? `"${saved.program.name}" created.` : `"${saved.program.name}" saved.` };
}
