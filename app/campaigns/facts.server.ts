import type { Database } from "../db/prisma.server";
import { inProgramHoldout, quarterOf } from "./assignment";
import type { MemberFacts, PushConsent } from "./eligibility";
import { localDateOf } from "./local-clock";
import type { ShopMessaging } from "./rules.server";

/**
 * Loads what eligibility needs for a batch of members, in a few queries, all
 * scoped by shop: membership, latest push consent, active subscriptions, the
 * marketing pushes sent or scheduled around now (the frequency cap's ledger:
 * every campaign's treatment recipients that are scheduled or sent), whether
 * this campaign already decided them, and their usual visit minute.
 */

type Queryable = Pick<Database, "$queryRaw">;

const DAY_MS = 86_400_000;
/** Send times reach at most a couple of days ahead; the ledger is read that far past the cap window. */
const LEDGER_AHEAD_DAYS = 3;

export async function loadMemberFacts(
  db: Queryable,
  input: { shop: string; campaignId: string | null; customerIds: readonly string[]; now: Date; messaging: ShopMessaging },
): Promise<Map<string, MemberFacts>> {
  const { shop, campaignId, now, messaging } = input;
  const ids = [...new Set(input.customerIds)];
  const facts = new Map<string, MemberFacts>();
  if (ids.length === 0) return facts;
  const quarter = quarterOf(localDateOf(now, messaging.timezone));
  for (const id of ids) {
    facts.set(id, {
      membership: "none",
      pushConsent: "none",
      activeSubscriptions: 0,
      marketingPushTimes: [],
      alreadyRecipient: false,
      programHoldout: inProgramHoldout(shop, id, quarter, messaging.programHoldoutPercent),
      usualMinute: null,
    });
  }
  const capMs = messaging.capDays * DAY_MS;
  const from = new Date(now.getTime() - capMs);
  const until = new Date(now.getTime() + capMs + LEDGER_AHEAD_DAYS * DAY_MS);

  const [members, consents, subscriptions, ledger, decided, features] = await Promise.all([
    db.$queryRaw<Array<{ customerId: string; status: string }>>`
      SELECT "customerId", status FROM "Member" WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[])`,
    db.$queryRaw<Array<{ customerId: string; action: string }>>`
      SELECT DISTINCT ON ("customerId") "customerId", action FROM "ConsentEvent"
      WHERE shop = ${shop} AND kind = 'push' AND "customerId" = ANY(${ids}::text[])
      ORDER BY "customerId", at DESC, id DESC`,
    db.$queryRaw<Array<{ customerId: string; active: number }>>`
      SELECT "customerId", count(*)::int AS active FROM "PushSubscription"
      WHERE shop = ${shop} AND status = 'active' AND "customerId" = ANY(${ids}::text[])
      GROUP BY "customerId"`,
    db.$queryRaw<Array<{ customerId: string; scheduledFor: Date }>>`
      SELECT "customerId", "scheduledFor" FROM "CampaignRecipient"
      WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[]) AND arm = 'treatment' AND status IN ('scheduled', 'sent')
        AND "scheduledFor" > ${from}::timestamp AND "scheduledFor" < ${until}::timestamp`,
    campaignId === null
      ? Promise.resolve([])
      : db.$queryRaw<Array<{ customerId: string }>>`
          SELECT "customerId" FROM "CampaignRecipient" WHERE shop = ${shop} AND "campaignId" = ${campaignId} AND "customerId" = ANY(${ids}::text[])`,
    db.$queryRaw<Array<{ customerId: string; usualMinute: number | null }>>`
      SELECT "customerId", "usualMinute" FROM "MemberFeature" WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[])`,
  ]);

  const at = (customerId: string) => facts.get(customerId);
  for (const row of members) {
    const fact = at(row.customerId);
    if (fact) fact.membership = row.status === "active" ? "active" : "left";
  }
  for (const row of consents) {
    const fact = at(row.customerId);
    if (fact) fact.pushConsent = pushConsent(row.action);
  }
  for (const row of subscriptions) {
    const fact = at(row.customerId);
    if (fact) fact.activeSubscriptions = row.active;
  }
  for (const row of ledger) {
    const fact = at(row.customerId);
    if (fact) fact.marketingPushTimes = [...fact.marketingPushTimes, row.scheduledFor];
  }
  for (const row of decided) {
    const fact = at(row.customerId);
    if (fact) fact.alreadyRecipient = true;
  }
  for (const row of features) {
    const fact = at(row.customerId);
    if (fact) fact.usualMinute = row.usualMinute;
  }
  return facts;
}

function pushConsent(action: string): PushConsent {
  if (action === "granted") return "granted";
  // Anything but a grant is read as a withdrawal: an unknown action must not send.
  return "withdrawn";
}
