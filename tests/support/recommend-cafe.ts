import type { Database } from "../../app/db/prisma.server";
import { simulateCafe, type SimulateOptions, type Simulation } from "../../app/simulate/simulate";
import { toSyncedCustomer, toSyncedOrder } from "../../app/simulate/synced";

/**
 * A simulated cafe written straight into the tables the recommendations read
 * (Shop, Customer, Member, Order, LineItem) with bulk inserts: the sync
 * writer's per-order transactions would take minutes for the same rows, and
 * what is under test here is what comes after the sync.
 */

const CHUNK = 2_000;

export async function loadSimulatedCafe(db: Database, options: SimulateOptions): Promise<Simulation> {
  const sim = simulateCafe(options);
  const shop = sim.settings.shop;
  await db.shop.create({ data: { domain: shop, timezone: sim.settings.timezone, currency: sim.settings.currency, source: "standalone" } });
  const until = sim.settings.until.getTime();
  const customers = sim.customers.map((customer) => ({ ...toSyncedCustomer(customer, until), shop, source: "import" }));
  for (let i = 0; i < customers.length; i += CHUNK) await db.customer.createMany({ data: customers.slice(i, i + CHUNK) });
  const members = sim.customers.filter((customer) => customer.memberSince !== null && customer.memberSince <= until);
  await db.member.createMany({
    data: members.map((customer) => ({ shop, customerId: customer.id, status: "active", joinedVia: "storefront", joinedAt: new Date(customer.memberSince ?? until) })),
  });
  const orders = sim.orders.map((order) => toSyncedOrder(sim, order));
  for (let i = 0; i < orders.length; i += CHUNK) {
    const chunk = orders.slice(i, i + CHUNK);
    await db.order.createMany({
      data: chunk.map(({ lineItems: _lines, refunds: _refunds, noteAttributes, ...order }) => ({ ...order, shop, noteAttributes: noteAttributes.map(({ name, value }) => ({ name, value })), source: "import" })),
    });
    await db.lineItem.createMany({ data: chunk.flatMap((order) => order.lineItems.map((line) => ({ ...line, shop, orderId: order.id }))) });
  }
  return sim;
}

export interface PartnerFirst {
  /** Customers carrying a planted partner who got suggestions. */
  members: number;
  /** Of them, those whose first suggestion is their planted partner. */
  partnerFirst: number;
  share: number;
}

/**
 * How often the first suggestion is the planted partner of the member's usual
 * drink (ground truth `partner`), over carriers who got suggestions and do not
 * already have the partner in their usual order (suggestions leave the usual
 * order out by design).
 */
export function partnerFirstShare(sim: Simulation, firstSuggestion: ReadonlyMap<string, string>, usual: ReadonlyMap<string, ReadonlySet<string>>): PartnerFirst {
  let members = 0;
  let partnerFirst = 0;
  for (const customer of sim.groundTruth.customers) {
    const first = firstSuggestion.get(customer.id);
    if (customer.partner === null || first === undefined || usual.get(customer.id)?.has(customer.partner)) continue;
    members += 1;
    if (first === customer.partner) partnerFirst += 1;
  }
  return { members, partnerFirst, share: members === 0 ? 0 : partnerFirst / members };
}

/** The shop-local date `days` before the simulation's last day (UTC midnight), as recommendations take it. */
export function cutoffBefore(sim: Simulation, days: number): Date {
  const last = sim.days.at(-1);
  if (!last) throw new Error("the simulation has no days");
  return new Date(Date.UTC(last.year, last.month - 1, last.day - days));
}
