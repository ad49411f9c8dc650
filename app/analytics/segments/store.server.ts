import { randomUUID } from "node:crypto";
import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import type { SqlRunner } from "../sql-tx.server";
import { compileSegment, referencedSegments, type CompileResult, type ResolvedSegment } from "./compile";
import { definitionToJson, parseSegmentDefinition, type SegmentDefinition, type SegmentIssue } from "./definition";

/** Every segment of the shop, parsed, keyed by id (what `inSegment` resolves against). */
export async function loadShopSegments(db: Database, shop: string): Promise<Map<string, ResolvedSegment>> {
  const rows = await db.segment.findMany({ where: { shop }, select: { id: true, definition: true }, orderBy: { id: "asc" } });
  return new Map(rows.map((row) => [row.id, resolveStored(row.definition)]));
}

/**
 * A digest of the shop's segment ids and definitions (a scalar subquery):
 * equal digests, equal segments. Lets a process keep compiled segments and
 * check in one value, inside another statement, that they are still current.
 */
export function segmentsVersionSql(shop: string): Prisma.Sql {
  return Prisma.sql`(SELECT md5(COALESCE(string_agg(id || E'\\n' || definition::text, E'\\n' ORDER BY id), '')) FROM "Segment" WHERE shop = ${shop})`;
}

/** The shop's segments as `loadShopSegments` gives them, with their `segmentsVersionSql` digest read in the same statement. */
export async function loadShopSegmentsVersioned(runner: SqlRunner, shop: string): Promise<{ version: string; segments: Map<string, ResolvedSegment> }> {
  const rows = await runner.query<{ id: string | null; definition: string | null; version: string }>(Prisma.sql`
    SELECT s.id, s.definition::text AS definition, v.version
    FROM (SELECT ${segmentsVersionSql(shop)} AS version) v
    LEFT JOIN "Segment" s ON s.shop = ${shop}
    ORDER BY s.id`);
  const version = rows[0]?.version;
  if (version === undefined) throw new Error(`segment digest for ${shop} returned no row`);
  const segments = new Map<string, ResolvedSegment>();
  for (const row of rows) if (row.id !== null && row.definition !== null) segments.set(row.id, resolveStored(JSON.parse(row.definition)));
  return { version, segments };
}

function resolveStored(definition: unknown): ResolvedSegment {
  const parsed = parseSegmentDefinition(definition);
  return parsed.ok ? { ok: true, definition: parsed.definition } : { ok: false, issues: parsed.issues };
}

/** Compiles a definition for a shop, loading the shop's segments only when it refers to one. */
export async function compileForShop(
  db: Database,
  shop: string,
  definition: SegmentDefinition,
  options: { asOf: Date; segmentId?: string; segments?: Map<string, ResolvedSegment> },
): Promise<CompileResult> {
  const segments = options.segments ?? (referencedSegments(definition).length > 0 ? await loadShopSegments(db, shop) : undefined);
  return compileSegment(definition, { shop, asOf: options.asOf, segments, segmentId: options.segmentId });
}

export interface SegmentInput {
  /** Omit to create a segment; give an existing (not built-in) segment's id to change it. */
  id?: string;
  name: string;
  description?: string | null;
  definition: unknown;
}

export type SaveResult = { ok: true; segmentId: string; created: boolean } | { ok: false; issues: SegmentIssue[] };

const MAX_NAME = 80;
const MAX_DESCRIPTION = 500;
const UNSTORABLE = "must not contain the NUL character or half of a UTF-16 pair";

/** PostgreSQL text cannot hold NUL, and a lone surrogate would be stored as another character. */
function storableText(text: string): boolean {
  return !text.includes("\u0000") && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * Creates or changes a cafe's own segment. The definition must be valid and
 * every segment it refers to must exist without leading back to this one, so
 * a stored definition always compiles. Membership follows at the next refresh.
 */
export async function saveSegment(db: Database, shop: string, input: SegmentInput): Promise<SaveResult> {
  const issues: SegmentIssue[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME) issues.push({ path: ["name"], message: `must be 1 to ${MAX_NAME} characters` });
  else if (!storableText(name)) issues.push({ path: ["name"], message: UNSTORABLE });
  const description = input.description?.trim() || null;
  if (description && description.length > MAX_DESCRIPTION) issues.push({ path: ["description"], message: `must be at most ${MAX_DESCRIPTION} characters` });
  else if (description && !storableText(description)) issues.push({ path: ["description"], message: UNSTORABLE });
  const parsed = parseSegmentDefinition(input.definition);
  if (!parsed.ok) issues.push(...parsed.issues.map((issue) => ({ ...issue, path: ["definition", ...issue.path] })));
  if (!parsed.ok || issues.length > 0) return { ok: false, issues };

  const segments = await loadShopSegments(db, shop);
  if (input.id !== undefined) {
    const existing = await db.segment.findUnique({ where: { shop_id: { shop, id: input.id } }, select: { builtIn: true } });
    if (!existing) return { ok: false, issues: [{ path: ["id"], message: `no segment ${JSON.stringify(input.id)} in this shop` }] };
    if (existing.builtIn) return { ok: false, issues: [{ path: ["id"], message: "built-in segments cannot be changed" }] };
  }
  const segmentId = input.id ?? randomUUID();
  segments.set(segmentId, { ok: true, definition: parsed.definition });
  // Compiled only to check references; any as-of date will do.
  const compiled = compileSegment(parsed.definition, { shop, asOf: new Date(0), segments, segmentId });
  if (!compiled.ok) return { ok: false, issues: compiled.issues.map((issue) => ({ ...issue, path: ["definition", ...issue.path] })) };

  const definition = definitionToJson(parsed.definition);
  if (input.id === undefined) {
    await db.segment.create({ data: { shop, id: segmentId, name, description, definition, builtIn: false } });
    return { ok: true, segmentId, created: true };
  }
  await db.segment.update({ where: { shop_id: { shop, id: segmentId } }, data: { name, description, definition } });
  return { ok: true, segmentId, created: false };
}
