/**
 * The pure part of the POS member extension: reading the app's answers
 * (/api/pos/member, /api/pos/perks), the lines the barista reads, and which
 * line of the sale a perk's discount goes on. No POS API here, so it is
 * tested like any other module.
 */

export interface RecommendedItem {
  item: string;
  title: string;
}

export interface PerkStatus {
  programId: string;
  kind: "every_nth_visit" | "new_item_tasting";
  name: string;
  reward: string;
  ready: number;
  variantIds: string[];
  progress: { visitsCounted: number; everyVisits: number; visitsToNext: number } | null;
}

export interface MemberSummary {
  customerId: string;
  name: string | null;
  memberStatus: "active" | "left" | "not_member";
  visits: number;
  lastVisitOn: string | null;
  rhythm: string | null;
  usualOrder: RecommendedItem[];
  perks: PerkStatus[];
  openPickup: { orderId: string; name: string | null; slotStart: string; status: string } | null;
}

export type ScanAnswer = { ok: true; customerId: string; member: MemberSummary | null } | { ok: false; reason: string | null; message: string };
export type MemberAnswer = { ok: true; member: MemberSummary } | { ok: false; message: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

function readPerk(value: unknown): PerkStatus | null {
  if (!isRecord(value) || typeof value.programId !== "string" || typeof value.name !== "string") return null;
  const progress = isRecord(value.progress)
    ? { visitsCounted: count(value.progress.visitsCounted), everyVisits: count(value.progress.everyVisits), visitsToNext: count(value.progress.visitsToNext) }
    : null;
  return {
    programId: value.programId,
    kind: value.kind === "new_item_tasting" ? "new_item_tasting" : "every_nth_visit",
    name: value.name,
    reward: text(value.reward) ?? "",
    ready: count(value.ready),
    variantIds: Array.isArray(value.variantIds) ? value.variantIds.filter((id): id is string => typeof id === "string") : [],
    progress,
  };
}

/** The summary, read defensively: unknown fields are ignored, malformed entries left out. */
export function readMember(value: unknown): MemberSummary | null {
  if (!isRecord(value) || typeof value.customerId !== "string") return null;
  const status = value.memberStatus === "active" || value.memberStatus === "left" ? value.memberStatus : "not_member";
  const pickup = isRecord(value.openPickup) && typeof value.openPickup.orderId === "string" ? value.openPickup : null;
  return {
    customerId: value.customerId,
    name: text(value.name),
    memberStatus: status,
    visits: count(value.visits),
    lastVisitOn: text(value.lastVisitOn),
    rhythm: text(value.rhythm),
    usualOrder: Array.isArray(value.usualOrder)
      ? value.usualOrder.flatMap((item) => (isRecord(item) && typeof item.title === "string" ? [{ item: text(item.item) ?? item.title, title: item.title }] : []))
      : [],
    perks: Array.isArray(value.perks) ? value.perks.map(readPerk).filter((perk): perk is PerkStatus => perk !== null) : [],
    openPickup: pickup ? { orderId: String(pickup.orderId), name: text(pickup.name), slotStart: text(pickup.slotStart) ?? "", status: text(pickup.status) ?? "" } : null,
  };
}

const messageOf = (body: unknown, status: number) => (isRecord(body) && typeof body.message === "string" ? body.message : `The app answered ${status}.`);

export function readScanAnswer(status: number, body: unknown): ScanAnswer {
  if (status === 200 && isRecord(body) && body.ok === true && typeof body.customerId === "string") {
    return { ok: true, customerId: body.customerId, member: readMember(body.member) };
  }
  return { ok: false, reason: isRecord(body) ? text(body.reason) : null, message: messageOf(body, status) };
}

export function readMemberAnswer(status: number, body: unknown): MemberAnswer {
  const member = status === 200 && isRecord(body) && body.ok === true ? readMember(body.member) : null;
  return member ? { ok: true, member } : { ok: false, message: messageOf(body, status) };
}

/**
 * `unanswered`: the app could not be reached, or a server error (5xx) came
 * back, so the tap may or may not have been redeemed: retry it with the same
 * request id.
 */
export type RedeemAnswer = { ok: true } | { ok: false; message: string; unanswered: boolean };

export function readRedeemAnswer(status: number, body: unknown): RedeemAnswer {
  return status >= 200 && status < 300 && isRecord(body) && body.ok === true ? { ok: true } : { ok: false, message: messageOf(body, status), unanswered: status >= 500 };
}

/**
 * A request id for one redeem tap (what the app's `requestId` accepts):
 * sent again when the barista retries after no answer, so the app gives the
 * first answer back instead of redeeming the next perk.
 */
export function newRedeemRequestId(): string {
  const uuid = globalThis.crypto?.randomUUID?.();
  if (uuid) return uuid;
  let id = Date.now().toString(36);
  while (id.length < 32) id += Math.floor(Math.random() * 36).toString(36);
  return id;
}

/** "Ada Lovelace · 12 visits" */
export function headline(member: MemberSummary): string {
  const who = member.name ?? `Customer ${member.customerId}`;
  return `${who} · ${member.visits === 1 ? "1 visit" : `${member.visits} visits`}`;
}

/** What the barista reads under the name, in cafe terms. */
export function detailLines(member: MemberSummary): string[] {
  const lines: string[] = [];
  if (member.memberStatus !== "active") lines.push(member.memberStatus === "left" ? "Left the membership" : "Not a member");
  if (member.rhythm) lines.push(`Usually ${member.rhythm}`);
  if (member.usualOrder.length > 0) lines.push(`Usual: ${member.usualOrder.slice(0, 3).map((item) => item.title).join(", ")}`);
  if (member.lastVisitOn) lines.push(`Last visit ${member.lastVisitOn}`);
  if (member.openPickup) lines.push(`Pickup order ${member.openPickup.name ?? member.openPickup.orderId}: ${member.openPickup.status}`);
  return lines;
}

/** "Every 8th visit: a drink on us — ready" / "— 3 visits to go" */
export function perkLine(perk: PerkStatus): string {
  const base = `${perk.name}: ${perk.reward}`;
  if (perk.ready > 0) return `${base} — ${perk.ready === 1 ? "ready" : `${perk.ready} ready`}`;
  if (perk.progress) return `${base} — ${perk.progress.visitsToNext} ${perk.progress.visitsToNext === 1 ? "visit" : "visits"} to go`;
  return base;
}

export interface SaleLine {
  uuid: string;
  variantId?: number;
  title?: string;
}

/**
 * The line of the sale a perk's 100 % discount goes on: the first line with
 * a variant the perk covers (any variant when it names none). Null when no
 * line fits: the perk is then recorded as given instead.
 */
export function discountLine(perk: PerkStatus, lines: readonly SaleLine[]): SaleLine | null {
  return lines.find((line) => line.variantId !== undefined && (perk.variantIds.length === 0 || perk.variantIds.includes(String(line.variantId)))) ?? null;
}

/** The POS's customer id (a number) from the app's (text); null when it is not one. */
export function posCustomerId(customerId: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(customerId) ? Number(customerId) : null;
}
