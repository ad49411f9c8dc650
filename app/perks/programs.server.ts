import { randomUUID } from "node:crypto";
import { localDateOf } from "../analytics/local-dates";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { recordAudit } from "../audit/audit.server";
import type { PerkProgram } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { localDayBounds } from "../pickup/hours";
import { isoWeekOf } from "../reports/week";
import type { PerkKind } from "./earning";
import { isPerkKind } from "./earning";
import { parseProgramForm, type PerkProgramInput, type ProgramErrors, type ProgramForm } from "./program-input";

/**
 * The owner's perk programs: listed with what they gave, created, edited and
 * paused. Every change is written with its audit event in one transaction.
 */

export interface PerkProgramView {
  id: string;
  kind: PerkKind;
  name: string;
  reward: string;
  everyVisits: number | null;
  variantIds: string[];
  segmentId: string | null;
  startsOn: string;
  active: boolean;
  redeemedThisWeek: number;
  redeemedAllTime: number;
}

export interface PerkProgramList {
  /** Monday of the shop's current week, where "this week" starts. */
  weekFrom: string;
  programs: PerkProgramView[];
}

function view(program: PerkProgram & { kind: PerkKind }, thisWeek: number, allTime: number): PerkProgramView {
  return {
    id: program.id,
    kind: program.kind,
    name: program.name,
    reward: program.reward,
    everyVisits: program.everyVisits,
    variantIds: program.variantIds,
    segmentId: program.segmentId,
    startsOn: program.startsOn.toISOString().slice(0, 10),
    active: program.active,
    redeemedThisWeek: thisWeek,
    redeemedAllTime: allTime,
  };
}

/** The shop's programs, active ones first, each with its redemptions this (shop-local) week and all time. */
export async function listPerkPrograms(db: Database, shop: string, now: Date = new Date()): Promise<PerkProgramList> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const week = isoWeekOf(localDateOf(now, timezone));
  const weekStart = localDayBounds(week.monday, timezone).start;
  const [programs, allTime, thisWeek] = await Promise.all([
    db.perkProgram.findMany({ where: { shop }, orderBy: [{ active: "desc" }, { createdAt: "asc" }, { id: "asc" }] }),
    db.perkRedemption.groupBy({ by: ["programId"], where: { shop }, _count: { _all: true } }),
    db.perkRedemption.groupBy({ by: ["programId"], where: { shop, redeemedAt: { gte: weekStart } }, _count: { _all: true } }),
  ]);
  const count = (rows: typeof allTime, programId: string) => rows.find((row) => row.programId === programId)?._count._all ?? 0;
  return {
    weekFrom: week.monday.toISOString().slice(0, 10),
    programs: programs.flatMap((program) => (isPerkKind(program.kind) ? [view({ ...program, kind: program.kind }, count(thisWeek, program.id), count(allTime, program.id))] : [])),
  };
}

export type SaveProgramResult = { ok: true; program: PerkProgramView; created: boolean } | { ok: false; errors: ProgramErrors };

/**
 * Creates a program (id null) or replaces an existing one's settings. A
 * segment must exist in the shop; a program's kind cannot change once it has
 * redemptions, because their unit keys mean different things per kind.
 */
export async function savePerkProgram(db: Database, shop: string, actor: string, id: string | null, form: ProgramForm): Promise<SaveProgramResult> {
  const parsed = parseProgramForm(form);
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  if (input.segmentId !== null && !(await db.segment.findUnique({ where: { shop_id: { shop, id: input.segmentId } }, select: { id: true } }))) {
    return { ok: false, errors: { segmentId: `there is no segment ${input.segmentId} in this shop` } };
  }
  const existing = id === null ? null : await db.perkProgram.findUnique({ where: { shop_id: { shop, id } } });
  if (id !== null && !existing) return { ok: false, errors: { form: `there is no perk program ${id} in this shop; reload the page` } };
  if (existing && existing.kind !== input.kind && (await db.perkRedemption.count({ where: { shop, programId: existing.id } })) > 0) {
    return { ok: false, errors: { kind: "the kind cannot change once perks were redeemed; pause this program and create a new one" } };
  }
  const data = programData(input);
  const saved = await db.$transaction(async (tx) => {
    const row = existing
      ? await tx.perkProgram.update({ where: { shop_id: { shop, id: existing.id } }, data })
      : await tx.perkProgram.create({ data: { shop, id: randomUUID(), ...data } });
    await recordAudit(tx, { shop, actor, action: existing ? "perk.update" : "perk.create", target: `perk:${row.id}`, details: { ...input } });
    return row;
  });
  const list = await listPerkPrograms(db, shop);
  const program = list.programs.find((p) => p.id === saved.id);
  if (!program) throw new Error(`perk program ${saved.id} vanished after saving`);
  return { ok: true, program, created: existing === null };
}

function programData(input: PerkProgramInput) {
  return {
    kind: input.kind,
    name: input.name,
    reward: input.reward,
    everyVisits: input.everyVisits,
    variantIds: input.variantIds,
    segmentId: input.segmentId,
    startsOn: new Date(`${input.startsOn}T00:00:00Z`),
    active: input.active,
  };
}

/** Pauses or resumes a program; asking for the state it is in changes nothing and records nothing. */
export async function setPerkProgramActive(db: Database, shop: string, actor: string, id: string, active: boolean): Promise<{ ok: true; changed: boolean; name: string } | { ok: false; message: string }> {
  const program = await db.perkProgram.findUnique({ where: { shop_id: { shop, id } } });
  if (!program) return { ok: false, message: `there is no perk program ${id} in this shop; reload the page` };
  if (program.active === active) return { ok: true, changed: false, name: program.name };
  await db.$transaction(async (tx) => {
    await tx.perkProgram.update({ where: { shop_id: { shop, id } }, data: { active } });
    await recordAudit(tx, { shop, actor, action: active ? "perk.resume" : "perk.pause", target: `perk:${id}`, details: { name: program.name } });
  });
  return { ok: true, changed: true, name: program.name };
}
