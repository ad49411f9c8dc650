/**
 * The members bench:soak's campaigns go to, written in bulk: each one a
 * member with push consent and one browser subscription at the local
 * receiver (subscription `s<n>` has the key pair seeded `k<n mod pool>`, which
 * the receiver derives on its first push), grouped into one segment per
 * campaign wave so that no wave reaches a member an earlier one capped.
 */
import type { Database } from "../../app/db/prisma.server";
import { subscriptionIdFor } from "../../app/push/subscriptions.server";
import { seededSubscriptionKeys } from "../../tests/support/push-receiver";

export interface SoakAudience {
  /** Segment ids, one per wave, in order. */
  segments: string[];
  /** Every member's customer id, wave after wave. */
  customerIds: string[];
}

const DAY_MS = 86_400_000;

export async function seedSoakAudience(
  db: Database,
  input: { shop: string; waves: number; membersPerWave: number; receiverOrigin: string; keyId: string; keyPool: number; firstCustomerId: number; at: Date },
): Promise<SoakAudience> {
  const { shop, at } = input;
  const segments: string[] = [];
  const customerIds: string[] = [];
  for (let wave = 0; wave < input.waves; wave += 1) {
    const segmentId = `soak-wave-${wave + 1}`;
    const rows = Array.from({ length: input.membersPerWave }, (_, i) => {
      const n = wave * input.membersPerWave + i;
      const endpoint = `${input.receiverOrigin}/push/s${n}`;
      return { customerId: String(input.firstCustomerId + n), id: subscriptionIdFor(endpoint), endpoint, ...seededSubscriptionKeys(`k${n % input.keyPool}`) };
    });
    const column = <T>(pick: (row: (typeof rows)[number]) => T): T[] => rows.map(pick);
    const ids = column((r) => r.customerId);
    await db.$executeRaw`
      INSERT INTO "Member" (shop, "customerId", status, "joinedVia", "joinedAt", "updatedAt")
      SELECT ${shop}, m.id, 'active', 'storefront', ${new Date(at.getTime() - 30 * DAY_MS)}::timestamp, now()
      FROM unnest(${ids}::text[]) AS m(id)`;
    await db.$executeRaw`
      INSERT INTO "ConsentEvent" (shop, id, "customerId", kind, action, via, text, at)
      SELECT ${shop}, m.id || '-push-granted', m.id, 'push', 'granted', 'storefront', 'Send me invitations.', ${new Date(at.getTime() - 20 * DAY_MS)}::timestamp
      FROM unnest(${ids}::text[]) AS m(id)`;
    await db.$executeRaw`
      INSERT INTO "PushSubscription" (shop, id, endpoint, p256dh, auth, "customerId", "browserId", "keyId", status, "updatedAt")
      SELECT ${shop}, s.id, s.endpoint, s.p256dh, s.auth, s.customer_id, 'browser-' || s.customer_id, ${input.keyId}, 'active', now()
      FROM unnest(${column((r) => r.id)}::text[], ${column((r) => r.endpoint)}::text[], ${column((r) => r.p256dh)}::text[],
        ${column((r) => r.auth)}::text[], ${ids}::text[]) AS s(id, endpoint, p256dh, auth, customer_id)`;
    await db.segment.create({ data: { shop, id: segmentId, name: `Soak wave ${wave + 1}`, definition: { match: "all", conditions: [] }, builtIn: false } });
    await db.$executeRaw`
      INSERT INTO "SegmentMembership" (shop, "segmentId", "customerId", "enteredAt")
      SELECT ${shop}, ${segmentId}, m.id, ${new Date(at.getTime() - DAY_MS)}::timestamp FROM unnest(${ids}::text[]) AS m(id)`;
    segments.push(segmentId);
    customerIds.push(...ids);
  }
  return { segments, customerIds };
}
