import { assertNever } from "../lib/assert-never";
import type { Channel } from "../sync/types";
import type { IdAllocator } from "./ids";
import type { SimOrder } from "./history";
import type { SimCustomer } from "./population";
import type { Random } from "./random";

/**
 * Planted duplicates (issue 9): a share of the people keep a second customer
 * record, and from some visit on most of their visits land on it, as when a
 * regular signs up again with a "+tag" address, writes their phone the
 * national way, or is added at the counter under another address while
 * their member card is scanned. Their rhythm is one person's: only the
 * record the visit is filed under changes.
 *
 * Hard negatives are planted beside them: different people with the same
 * name, and households sharing a surname. Nothing about them is shared but
 * the name, so a merge proposal between them is a false merge.
 *
 * Everything here draws from its own streams, so the customers, visits and
 * baskets of a cafe are the same with or without duplicates.
 */

/**
 * - email-tag: the second record's email is the first's with a "+cafe" tag;
 * - gmail-dots: both on Gmail, the second without the dots;
 * - phone-format: another email, the same phone written another way (national
 *   form where the shop is in the UK, else "00 44 …");
 * - card: another email and no phone; the member's card was scanned on the
 *   sale that carried the second record (the only evidence).
 * Shopify refuses two customers whose emails differ only in case (so does the
 * stand-in), so that pattern is not planted; normalisation still covers it.
 */
export const DUPLICATE_KINDS = ["email-tag", "gmail-dots", "phone-format", "card"] as const;
export type DuplicateKind = (typeof DUPLICATE_KINDS)[number];

export interface DuplicateTruth {
  /** Pairs of records that are one person: the first record, and the second one made later. */
  pairs: { kind: DuplicateKind; firstId: string; secondId: string }[];
  /** Pairs of different people who look alike by name only. */
  hardNegatives: { kind: "same-name" | "household"; ids: [string, string] }[];
  /** Member cards scanned on a sale that carried another customer (what the POS would record as CardScan rows). */
  cardScans: { orderId: string; cardCustomerId: string; saleCustomerId: string; at: string; locationId: string | null }[];
}

interface Plan {
  person: number;
  kind: DuplicateKind;
  /** Visits filed under the first record before the second one appears. */
  firstVisits: number;
}

export interface PlantedPeople {
  customers: SimCustomer[];
  plans: Map<number, Plan>;
  negatives: { kind: "same-name" | "household"; a: number; b: number }[];
}

/** Share of visits after the switch that land on the second record (the rest still on the first). */
const SECOND_SHARE = 0.9;
const NEGATIVE_SHARE = 0.01;

export function planDuplicates(customers: readonly SimCustomer[], random: Random, share: number): PlantedPeople {
  const plans = new Map<number, Plan>();
  const people = customers.map((customer) => ({ ...customer }));
  for (const customer of people) {
    if (!random.chance(share)) continue;
    const kinds: [DuplicateKind, number][] = [["email-tag", 3], ["gmail-dots", 2]];
    if (customer.phone !== null) kinds.push(["phone-format", 3]);
    if (customer.memberSince !== null) kinds.push(["card", 3]);
    const kind = random.weighted(kinds);
    plans.set(customer.index, { person: customer.index, kind, firstVisits: random.int(1, 6) });
    if (kind === "gmail-dots") customer.email = emailOf(customer, "gmail.com");
  }
  const negatives: PlantedPeople["negatives"] = [];
  const free = people.filter((customer) => !plans.has(customer.index));
  const pairs = Math.floor(free.length * NEGATIVE_SHARE);
  for (const kind of ["same-name", "household"] as const) {
    for (let n = 0; n < pairs && free.length >= 2; n++) {
      const a = free.splice(random.int(0, free.length - 1), 1)[0];
      const b = free.splice(random.int(0, free.length - 1), 1)[0];
      if (!a || !b) break;
      b.lastName = a.lastName;
      if (kind === "same-name") b.firstName = a.firstName;
      b.email = emailOf(b, "example.com");
      negatives.push({ kind, a: a.index, b: b.index });
    }
  }
  return { customers: people, plans, negatives };
}

function emailOf(customer: Pick<SimCustomer, "firstName" | "lastName" | "index">, domain: string): string {
  return `${customer.firstName}.${customer.lastName}.${customer.index + 1}@${domain}`.toLowerCase();
}

export interface ProfileSwitch {
  /** The customer record a visit of `person` is filed under. */
  profileFor(person: number, visit: { at: number; channel: Channel }): number;
}

interface SecondRecord {
  person: number;
  index: number;
  firstAt: number;
}

/** Files visits under the first or second record; second records are numbered after `firstFreeIndex` as they appear. */
export function createProfileSwitch(planted: PlantedPeople, random: Random, until: number): ProfileSwitch & { seconds: SecondRecord[] } {
  const seen = new Map<number, number>();
  const seconds: SecondRecord[] = [];
  const byPerson = new Map<number, SecondRecord>();
  return {
    seconds,
    profileFor(person, visit) {
      const plan = planted.plans.get(person);
      if (!plan || visit.at > until) return person;
      const count = (seen.get(person) ?? 0) + 1;
      seen.set(person, count);
      if (count <= plan.firstVisits) return person;
      // A record made at the counter takes counter sales only, after the member got their card.
      if (plan.kind === "card") {
        const memberSince = planted.customers[person]?.memberSince ?? null;
        if (visit.channel !== "pos" || memberSince === null || memberSince > visit.at) return person;
      }
      const existing = byPerson.get(person);
      if (existing) return random.chance(SECOND_SHARE) ? existing.index : person;
      const second = { person, index: planted.customers.length + seconds.length, firstAt: visit.at };
      seconds.push(second);
      byPerson.set(person, second);
      return second.index;
    },
  };
}

/**
 * The second records, made just before their first order, and what the
 * ground truth says about them. `lapsed` gains the second records of people
 * who stopped coming.
 */
export function secondRecords(
  planted: PlantedPeople,
  profiles: { seconds: SecondRecord[] },
  orders: readonly SimOrder[],
  input: { ids: IdAllocator; random: Random; timeZone: string; locationIds: readonly string[]; lapsed: ReadonlySet<number> },
): { customers: SimCustomer[]; lapsed: Set<number>; truth: DuplicateTruth } {
  const customers = [...planted.customers];
  const lapsed = new Set(input.lapsed);
  const pairs: DuplicateTruth["pairs"] = [];
  for (const second of profiles.seconds) {
    const first = planted.customers[second.person];
    const plan = planted.plans.get(second.person);
    if (!first || !plan) continue;
    const createdAt = Math.floor((second.firstAt - input.random.int(plan.kind === "card" ? 20 : 60, plan.kind === "card" ? 90 : 3600) * 1000) / 1000) * 1000;
    const record: SimCustomer = {
      ...first,
      index: second.index,
      id: String(input.ids.next("Customer")),
      createdAt,
      memberSince: null,
      emailConsent: "not_subscribed",
      ...contactOf(first, plan.kind, input.timeZone),
    };
    record.smsConsent = record.phone === null ? null : "not_subscribed";
    customers.push(record);
    if (lapsed.has(second.person)) lapsed.add(second.index);
    pairs.push({ kind: plan.kind, firstId: first.id, secondId: record.id });
  }
  const cardScans: DuplicateTruth["cardScans"] = [];
  const scanned = new Set<number>();
  for (const order of orders) {
    const index = order.customerIndex;
    const record = index === null ? undefined : customers[index];
    if (index === null || !record || index < planted.customers.length || order.cancellation || scanned.has(index)) continue;
    const person = profiles.seconds.find((second) => second.index === index)?.person;
    const first = person === undefined ? undefined : planted.customers[person];
    if (!first || planted.plans.get(first.index)?.kind !== "card") continue;
    scanned.add(index);
    cardScans.push({
      orderId: order.id,
      cardCustomerId: first.id,
      saleCustomerId: record.id,
      at: new Date(order.at + 30_000).toISOString(),
      locationId: order.locationIndex === null ? null : (input.locationIds[order.locationIndex] ?? null),
    });
  }
  const hardNegatives = planted.negatives.flatMap(({ kind, a, b }): DuplicateTruth["hardNegatives"] => {
    const [x, y] = [customers[a]?.id, customers[b]?.id];
    return x && y ? [{ kind, ids: [x, y] }] : [];
  });
  return { customers, lapsed, truth: { pairs, hardNegatives, cardScans } };
}

function contactOf(first: SimCustomer, kind: DuplicateKind, timeZone: string): Pick<SimCustomer, "email" | "phone"> {
  const [local = "", domain = ""] = first.email.split("@");
  switch (kind) {
    case "email-tag":
      return { email: `${local}+cafe@${domain}`, phone: null };
    case "gmail-dots":
      return { email: `${local.replaceAll(".", "")}@${domain}`, phone: null };
    case "phone-format":
      return { email: emailOf(first, "example.org"), phone: otherFormat(first.phone ?? "", timeZone) };
    case "card":
      return { email: emailOf(first, "example.net"), phone: null };
    default:
      return assertNever(kind, "duplicate kind");
  }
}

/** "+447700900123" as a UK shop's till would hold it ("07700 900123"), elsewhere as "00 44 7700 900123". */
function otherFormat(phone: string, timeZone: string): string {
  const national = phone.replace(/^\+44/, "");
  return timeZone === "Europe/London" ? `0${national.slice(0, 4)} ${national.slice(4)}` : `00 44 ${national.slice(0, 4)} ${national.slice(4)}`;
}
