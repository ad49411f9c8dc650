import { randomUUID } from "node:crypto";
import type { Database } from "../db/prisma.server";
import { assertNever } from "../lib/assert-never";
import type { Runtime } from "../runtime.server";
import { parseCampaignDefinition, type CampaignDefinition } from "./definition";
import { scheduleCampaignRuns, unscheduleCampaignRuns } from "./jobs.server";
import { checkTastingOffer, tastingColumns } from "./tasting.server";

/**
 * Campaigns of a shop: create and edit drafts, schedule, pause, resume.
 * Every query names the shop. A state change is one conditional UPDATE, so
 * two admins pressing "pause" and "resume" at once leave one consistent
 * state, and the loser is told what the campaign is now.
 *
 * draft ──schedule──▶ scheduled ──(startsAt reached)──▶ active ──▶ completed
 *                         │  ▲                           │  ▲
 *                         ▼  └────────resume──────────── ▼  │
 *                         paused ◀──────────pause────────┘  │
 * A transactional campaign words a message the app sends on request; it is
 * active once scheduled, and while paused that message is not sent.
 */

export const CAMPAIGN_STATUSES = ["draft", "scheduled", "active", "paused", "completed"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface CampaignRecord extends CampaignDefinition {
  shop: string;
  id: string;
  status: CampaignStatus;
  createdAt: Date;
  updatedAt: Date;
}

export class CampaignNotFoundError extends Error {
  constructor(readonly shop: string, readonly campaignId: string) {
    super(`campaign ${campaignId} does not exist in ${shop}`);
    this.name = "CampaignNotFoundError";
  }
}

/** The campaign is not in a state that allows the change; the message says what it is and what is allowed. */
export class CampaignStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CampaignStateError";
  }
}

/** A stored campaign this version cannot read (edited by hand, or written by a newer version). */
export class StoredCampaignError extends Error {
  constructor(shop: string, campaignId: string, detail: string) {
    super(`campaign ${campaignId} of ${shop} is stored in a form that cannot be used: ${detail}`);
    this.name = "StoredCampaignError";
  }
}

type Deps = Pick<Runtime, "db" | "jobs">;

type CampaignRow = Awaited<ReturnType<Database["campaign"]["findUniqueOrThrow"]>>;

function isStatus(value: string): value is CampaignStatus {
  return (CAMPAIGN_STATUSES as readonly string[]).includes(value);
}

/** Reads a row back through the same validation as authoring. */
export function campaignFromRow(row: CampaignRow): CampaignRecord {
  if (!isStatus(row.status)) throw new StoredCampaignError(row.shop, row.id, `unknown status "${row.status}"`);
  const offer = row.kind === "transactional" ? null : row.offer;
  let definition: CampaignDefinition;
  try {
    definition = parseCampaignDefinition({
      name: row.name,
      kind: row.kind,
      segmentId: row.segmentId,
      template: row.kind === "transactional" ? row.id : null,
      variants: row.variants,
      offer,
      holdoutPercent: row.holdoutPercent,
      attributionHours: row.attributionHours,
      leadMinutes: row.leadMinutes,
      startsAt: row.startsAt,
      endsAt: row.endsAt,
    });
  } catch (error) {
    throw new StoredCampaignError(row.shop, row.id, error instanceof Error ? error.message : String(error));
  }
  return { ...definition, shop: row.shop, id: row.id, status: row.status, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

/** A definition as stored (also what two definitions are compared by). */
export function definitionColumns(definition: CampaignDefinition) {
  return {
    name: definition.name,
    kind: definition.kind,
    segmentId: definition.segmentId,
    variants: definition.variants.map((v) => ({ id: v.id, title: v.title, body: v.body, ...(v.url === "" ? {} : { url: v.url }), weight: v.weight })),
    offer: definition.offer
      ? {
          type: definition.offer.type,
          link: definition.offer.link,
          discount: definition.offer.discount ? { percentOff: definition.offer.discount.percentOff, validHours: definition.offer.discount.validHours } : null,
          ...(definition.offer.tasting ? tastingColumns(definition.offer.tasting) : {}),
        }
      : {},
    holdoutPercent: definition.holdoutPercent,
    attributionHours: definition.attributionHours,
    leadMinutes: definition.leadMinutes,
    startsAt: definition.startsAt,
    endsAt: definition.endsAt,
  };
}

export const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Ids the admin's URLs use for pages (/app/campaigns/new): a campaign under one could not be opened. */
export const RESERVED_CAMPAIGN_IDS: readonly string[] = ["new"];

/**
 * Creates a draft. A transactional campaign's id is its template (one wording
 * per message and shop); others take the id given (a readable slug such as
 * "thursday-tasting") or a random one. The id seeds the holdout and variant
 * draws, so it never changes.
 */
export async function createCampaign(db: Database, shop: string, input: unknown, options: { id?: string } = {}): Promise<CampaignRecord> {
  const definition = parseCampaignDefinition(input);
  await checkTastingOffer(db, shop, definition.offer);
  if (options.id !== undefined && !CAMPAIGN_ID.test(options.id)) throw new CampaignStateError(`campaign id must be 1–64 letters, digits, - or _ (got ${JSON.stringify(options.id)})`);
  if (options.id !== undefined && RESERVED_CAMPAIGN_IDS.includes(options.id)) throw new CampaignStateError(`campaign id "${options.id}" is reserved (the admin's page for creating a campaign); choose another`);
  if (definition.template && options.id !== undefined && options.id !== definition.template) {
    throw new CampaignStateError(`a transactional campaign's id is its template: ${definition.template}`);
  }
  const id = definition.template ?? options.id ?? randomUUID();
  const existing = await db.campaign.findUnique({ where: { shop_id: { shop, id } }, select: { id: true } });
  if (existing) {
    throw new CampaignStateError(definition.template ? `${shop} already words the ${id} message: edit campaign ${id} instead` : `campaign ${id} already exists in ${shop}`);
  }
  const row = await db.campaign.create({ data: { shop, id, status: "draft", ...definitionColumns(definition) } });
  return campaignFromRow(row);
}

export async function getCampaign(db: Database, shop: string, campaignId: string): Promise<CampaignRecord> {
  const row = await db.campaign.findUnique({ where: { shop_id: { shop, id: campaignId } } });
  if (!row) throw new CampaignNotFoundError(shop, campaignId);
  return campaignFromRow(row);
}

export interface CampaignListEntry {
  id: string;
  name: string;
  kind: string;
  status: string;
  segmentId: string | null;
  startsAt: Date | null;
  endsAt: Date | null;
  decided: number;
  sent: number;
  createdAt: Date;
}

/** The shop's campaigns, newest first, with how many members each has decided and sent. */
export async function listCampaigns(db: Database, shop: string): Promise<CampaignListEntry[]> {
  const [rows, counts] = await Promise.all([
    db.campaign.findMany({ where: { shop }, orderBy: [{ createdAt: "desc" }, { id: "asc" }] }),
    db.campaignRecipient.groupBy({ by: ["campaignId", "status"], where: { shop }, _count: { _all: true } }),
  ]);
  return rows.map((row) => {
    const mine = counts.filter((c) => c.campaignId === row.id);
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      status: row.status,
      segmentId: row.segmentId,
      startsAt: row.startsAt,
      endsAt: row.endsAt,
      decided: mine.reduce((sum, c) => sum + c._count._all, 0),
      sent: mine.filter((c) => c.status === "sent").reduce((sum, c) => sum + c._count._all, 0),
      createdAt: row.createdAt,
    };
  });
}

/** Replaces a draft's definition (a transactional campaign's wording can change at any time: it has no experiment). */
export async function updateCampaign(db: Database, shop: string, campaignId: string, input: unknown): Promise<CampaignRecord> {
  const current = await getCampaign(db, shop, campaignId);
  const definition = parseCampaignDefinition(input);
  await checkTastingOffer(db, shop, definition.offer);
  if (definition.kind !== current.kind) throw new CampaignStateError(`campaign ${campaignId} is a ${current.kind} campaign; its kind cannot change`);
  if (definition.template !== current.template) throw new CampaignStateError(`campaign ${campaignId} words the ${current.template} message; its template cannot change`);
  const editable = current.kind === "transactional" ? (CAMPAIGN_STATUSES as readonly CampaignStatus[]) : (["draft"] as const);
  const updated = await db.campaign.updateMany({
    where: { shop, id: campaignId, status: { in: [...editable] } },
    data: definitionColumns(definition),
  });
  if (updated.count === 0) {
    const now = await getCampaign(db, shop, campaignId);
    throw new CampaignStateError(`campaign ${campaignId} is ${now.status}; only a draft can be edited (its results would otherwise mix two campaigns)`);
  }
  return getCampaign(db, shop, campaignId);
}

export async function deleteCampaign(db: Database, shop: string, campaignId: string): Promise<void> {
  const deleted = await db.campaign.deleteMany({ where: { shop, id: campaignId, status: "draft" } });
  if (deleted.count === 0) {
    const now = await getCampaign(db, shop, campaignId);
    throw new CampaignStateError(`campaign ${campaignId} is ${now.status}; only a draft can be deleted (pause it instead)`);
  }
}

/** How far back a broadcast's send time may be when it is scheduled. */
const BROADCAST_GRACE_MS = 5 * 60_000;

/**
 * Starts a draft: checks what only the database knows (the segment exists, a
 * broadcast's time is not past), fixes the start of a triggered campaign
 * (members entering from then on), and registers its runs.
 */
export async function scheduleCampaign(deps: Deps, shop: string, campaignId: string, now: Date = new Date()): Promise<CampaignRecord> {
  const campaign = await getCampaign(deps.db, shop, campaignId);
  if (campaign.status !== "draft") throw new CampaignStateError(`campaign ${campaignId} is ${campaign.status}; only a draft can be scheduled${campaign.status === "paused" ? " (resume it instead)" : ""}`);
  if (campaign.segmentId) {
    const segment = await deps.db.segment.findUnique({ where: { shop_id: { shop, id: campaign.segmentId } }, select: { id: true } });
    if (!segment) throw new CampaignStateError(`segment ${campaign.segmentId} does not exist in ${shop}; create it or pick another before scheduling`);
  }
  if (campaign.kind === "broadcast" && campaign.startsAt && campaign.startsAt.getTime() < now.getTime() - BROADCAST_GRACE_MS) {
    throw new CampaignStateError(`the broadcast's startsAt (${campaign.startsAt.toISOString()}) has passed; edit it first`);
  }
  if (campaign.endsAt && campaign.endsAt <= now) throw new CampaignStateError(`the campaign's endsAt (${campaign.endsAt.toISOString()}) has passed; edit it first`);
  const startsAt = campaign.startsAt ?? now;
  const status: CampaignStatus = campaign.kind === "transactional" || startsAt <= now ? "active" : "scheduled";
  const moved = await deps.db.campaign.updateMany({ where: { shop, id: campaignId, status: "draft" }, data: { status, startsAt: campaign.kind === "transactional" ? campaign.startsAt : startsAt } });
  if (moved.count === 0) throw new CampaignStateError(`campaign ${campaignId} changed while it was being scheduled; look at it again`);
  if (campaign.kind !== "transactional") await scheduleCampaignRuns(deps.jobs, shop, campaignId);
  return getCampaign(deps.db, shop, campaignId);
}

export async function pauseCampaign(deps: Deps, shop: string, campaignId: string): Promise<CampaignRecord> {
  const moved = await deps.db.campaign.updateMany({ where: { shop, id: campaignId, status: { in: ["scheduled", "active"] } }, data: { status: "paused" } });
  if (moved.count === 0) {
    const now = await getCampaign(deps.db, shop, campaignId);
    if (now.status !== "paused") throw new CampaignStateError(`campaign ${campaignId} is ${now.status}; only a scheduled or active campaign can be paused`);
  }
  await unscheduleCampaignRuns(deps.jobs, shop, campaignId);
  return getCampaign(deps.db, shop, campaignId);
}

export async function resumeCampaign(deps: Deps, shop: string, campaignId: string, now: Date = new Date()): Promise<CampaignRecord> {
  const campaign = await getCampaign(deps.db, shop, campaignId);
  if (campaign.status !== "paused") throw new CampaignStateError(`campaign ${campaignId} is ${campaign.status}; only a paused campaign can be resumed`);
  if (campaign.endsAt && campaign.endsAt <= now) throw new CampaignStateError(`the campaign's endsAt (${campaign.endsAt.toISOString()}) has passed; it cannot resume`);
  const status: CampaignStatus = campaign.kind === "transactional" || !campaign.startsAt || campaign.startsAt <= now ? "active" : "scheduled";
  const moved = await deps.db.campaign.updateMany({ where: { shop, id: campaignId, status: "paused" }, data: { status } });
  if (moved.count === 0) throw new CampaignStateError(`campaign ${campaignId} changed while it was being resumed; look at it again`);
  if (campaign.kind !== "transactional") await scheduleCampaignRuns(deps.jobs, shop, campaignId);
  return getCampaign(deps.db, shop, campaignId);
}

/** Moves a scheduled campaign whose start has come to active; returns whether it runs now. */
export async function activateIfDue(db: Database, campaign: CampaignRecord, now: Date): Promise<boolean> {
  if (campaign.status === "active") return true;
  if (campaign.status !== "scheduled" || (campaign.startsAt && campaign.startsAt > now)) return false;
  await db.campaign.updateMany({ where: { shop: campaign.shop, id: campaign.id, status: "scheduled" }, data: { status: "active" } });
  return true;
}

export async function completeCampaign(deps: Deps, shop: string, campaignId: string): Promise<void> {
  await deps.db.campaign.updateMany({ where: { shop, id: campaignId, status: { in: ["scheduled", "active"] } }, data: { status: "completed" } });
  await unscheduleCampaignRuns(deps.jobs, shop, campaignId);
}

/** What an owner can do to a campaign in its state. */
export const CAMPAIGN_CHANGES = ["schedule", "pause", "resume"] as const;
export type CampaignChange = (typeof CAMPAIGN_CHANGES)[number];

export function allowedChanges(status: CampaignStatus): CampaignChange[] {
  switch (status) {
    case "draft":
      return ["schedule"];
    case "scheduled":
    case "active":
      return ["pause"];
    case "paused":
      return ["resume"];
    case "completed":
      return [];
    default:
      return assertNever(status, "campaign status");
  }
}

/** Schedules, pauses or resumes: the same functions the CLI's `campaigns schedule|pause|resume` call. */
export async function changeCampaign(deps: Deps, shop: string, campaignId: string, change: CampaignChange, now: Date = new Date()): Promise<CampaignRecord> {
  switch (change) {
    case "schedule":
      return scheduleCampaign(deps, shop, campaignId, now);
    case "pause":
      return pauseCampaign(deps, shop, campaignId);
    case "resume":
      return resumeCampaign(deps, shop, campaignId, now);
    default:
      return assertNever(change, "campaign change");
  }
}
