import { randomUUID } from "node:crypto";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";

/**
 * The owner's audit log: who changed which campaign, segment or setting, and
 * when (AuditEvent). Every write and read names the shop; the log is shown
 * newest first and paged by (at, id), so a page never skips or repeats an
 * event however many are written meanwhile.
 */

export interface AuditEntry {
  shop: string;
  /** The staff member (Shopify user id or email), "staff" when the session names nobody, "cli" or "system". */
  actor: string;
  /** What was done, e.g. settings.update, segment.create, export.members. */
  action: string;
  /** What it was done to, e.g. "segment:abc"; null for the shop as a whole. */
  target?: string | null;
  details?: Prisma.InputJsonValue;
}

/** Anything that can write an AuditEvent: the client, or a transaction so the event commits with the change. */
export type AuditWriter = Pick<Database, "auditEvent">;

const MAX_TEXT = 200;

export async function recordAudit(db: AuditWriter, entry: AuditEntry): Promise<{ id: string; at: Date }> {
  if (entry.shop.length === 0) throw new RangeError("an audit event needs the shop it belongs to");
  if (entry.action.length === 0 || entry.action.length > MAX_TEXT) throw new RangeError(`an audit action must be 1 to ${MAX_TEXT} characters`);
  const actor = entry.actor.trim().slice(0, MAX_TEXT) || "staff";
  const row = await db.auditEvent.create({
    data: { shop: entry.shop, id: randomUUID(), actor, action: entry.action, target: entry.target ?? null, details: entry.details ?? {} },
    select: { id: true, at: true },
  });
  return row;
}

export interface AuditEventView {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass back as `before` for the next (older) page; null on the last page. */
  next: string | null;
}

export const AUDIT_PAGE_SIZE = 25;

/** A page cursor: the last event's instant and id, as "<ISO instant>_<id>". */
export function auditCursor(event: { at: Date; id: string }): string {
  return `${event.at.toISOString()}_${event.id}`;
}

/** Parses a cursor; null when it is not one this module wrote. */
export function parseAuditCursor(text: string | null | undefined): { at: Date; id: string } | null {
  if (!text) return null;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f-]{36})$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const at = new Date(match[1]);
  return Number.isNaN(at.getTime()) ? null : { at, id: match[2] };
}

/** The shop's audit events, newest first, older than `before` when given. */
export async function listAuditEvents(db: Database, shop: string, options: { before?: { at: Date; id: string } | null; take?: number } = {}): Promise<AuditPage> {
  const take = options.take ?? AUDIT_PAGE_SIZE;
  if (!Number.isInteger(take) || take < 1 || take > 500) throw new RangeError(`audit page size must be 1 to 500 (got ${take})`);
  const before = options.before ?? null;
  const rows = await db.auditEvent.findMany({
    where: { shop, ...(before ? { OR: [{ at: { lt: before.at } }, { at: before.at, id: { lt: before.id } }] } : {}) },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: take + 1,
  });
  const page = rows.slice(0, take);
  const last = page[page.length - 1];
  return {
    events: page.map((row) => ({ id: row.id, at: row.at.toISOString(), actor: row.actor, action: row.action, target: row.target, details: row.details })),
    next: rows.length > take && last ? auditCursor(last) : null,
  };
}
