/**
 * The bench:backfill input: a deterministic bulk-operation JSONL file shaped
 * exactly like Shopify's answer to ORDERS_BULK_QUERY (orders, then each
 * order's line items on lines of their own with `__parentId`), and the same
 * orders and line items in COPY text format in the column layout of the
 * "Order" and "LineItem" tables, for the bare-COPY comparison.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { copyValue, type StageValue } from "../app/sync/backfill/stage-rows";

export const BENCH_SHOP = "bench-cafe.myshopify.com";

export interface Fixture {
  jsonlPath: string;
  ordersCopyPath: string;
  lineItemsCopyPath: string;
  orders: number;
  lineItems: number;
  refunds: number;
  jsonlBytes: number;
}

const MENU = [
  ["ESP", "Espresso", "2.60"], ["FW", "Flat White", "3.40"], ["CAP", "Cappuccino", "3.40"], ["LAT", "Latte", "3.50"],
  ["LATTE-OAT", "Oat Latte", "3.90"], ["AMR", "Americano", "2.90"], ["MOC", "Mocha", "3.80"], ["CHAI", "Chai Latte", "3.60"],
  ["CRO", "Croissant", "2.80"], ["PAC", "Pain au Chocolat", "3.10"], ["BB", "Banana Bread", "3.20"], ["CB", "Cinnamon Bun", "3.30"],
  ["TOAST", "Sourdough Toast", "4.50"], ["BEANS", "House Beans 250g", "9.50"], ["SCONE", "Scone", "2.90"],
] as const;

/** mulberry32: small, fast and the same everywhere, so the file is identical on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cents = (value: string) => Math.round(Number(value) * 100);
const money = (value: number) => (value / 100).toFixed(2);
const bag = (amount: string) => ({ shopMoney: { amount } });

class Sink {
  private buffer: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly stream: WriteStream) {}
  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.size += text.length;
    this.bytes += Buffer.byteLength(text);
    if (this.size >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const ok = this.stream.write(this.buffer.join(""));
    this.buffer = [];
    this.size = 0;
    if (!ok) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "finish");
  }
}

const copyLine = (values: StageValue[]) => `${values.map(copyValue).join("\t")}\n`;

export async function writeFixture(dir: string, orders: number, seed = 2026): Promise<Fixture> {
  const next = random(seed);
  const paths = { jsonlPath: join(dir, "orders.jsonl"), ordersCopyPath: join(dir, "orders.copy"), lineItemsCopyPath: join(dir, "line-items.copy") };
  const jsonl = new Sink(createWriteStream(paths.jsonlPath));
  const orderCopy = new Sink(createWriteStream(paths.ordersCopyPath));
  const itemCopy = new Sink(createWriteStream(paths.lineItemsCopyPath));
  const start = Date.parse("2024-01-01T06:00:00Z");
  const now = "2026-01-01T00:00:00.000Z";
  let lineItemId = 13_500_000_000_000;
  let refundId = 9_100_000_000_000;
  let lineItems = 0;
  let refunds = 0;
  for (let i = 1; i <= orders; i++) {
    const id = String(5_400_000_000_000 + i);
    const created = new Date(start + i * 60_000 + Math.floor(next() * 50_000)).toISOString().replace(".000Z", "Z");
    const pos = next() < 0.8;
    const customer = next() < 0.7 ? `gid://shopify/Customer/${6_800_000_000_000 + 1 + Math.floor(next() * 50_000)}` : null;
    const location = pos ? { id: `gid://shopify/Location/${70_000_000_000 + 1 + Math.floor(next() * 2)}` } : null;
    const items = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
      const [sku, title, price] = MENU[Math.floor(next() * MENU.length)] ?? MENU[0];
      const menuIndex = MENU.findIndex((entry) => entry[0] === sku);
      return { id: String(++lineItemId), sku, title, price, quantity: next() < 0.9 ? 1 : 2, product: 8_000_000_000_001 + menuIndex, variant: 44_000_000_000_001 + menuIndex };
    });
    const total = items.reduce((sum, item) => sum + cents(item.price) * item.quantity, 0);
    const refunded = next() < 0.02;
    const refundList = refunded
      ? [{ id: `gid://shopify/Refund/${++refundId}`, createdAt: created, totalRefundedSet: bag(money(cents(items[0]?.price ?? "0"))) }]
      : [];
    refunds += refundList.length;
    const attributes = next() < 0.1 ? [{ key: "pickup_at", value: "08:15" }] : [];
    const status = refunded ? "PARTIALLY_REFUNDED" : "PAID";
    const order = {
      id: `gid://shopify/Order/${id}`, name: `#${1000 + i}`, createdAt: created, updatedAt: created, processedAt: created,
      cancelledAt: null, sourceName: pos ? "pos" : "web", currencyCode: "GBP", displayFinancialStatus: status,
      customer: customer ? { id: customer } : null, retailLocation: location, physicalLocation: location,
      customAttributes: attributes, totalPriceSet: bag(money(total)), subtotalPriceSet: bag(money(total)),
      totalDiscountsSet: bag("0.00"), refunds: refundList,
    };
    await jsonl.write(`${JSON.stringify(order)}\n`);
    const createdIso = new Date(created).toISOString();
    await orderCopy.write(copyLine([
      BENCH_SHOP, id, order.name, customer ? customer.slice(customer.lastIndexOf("/") + 1) : null,
      location ? location.id.slice(location.id.lastIndexOf("/") + 1) : null, order.sourceName === "pos" ? "pos" : "web",
      order.sourceName, "GBP", money(total), money(total), "0.00", refunded ? refundList[0]?.totalRefundedSet.shopMoney.amount ?? "0" : "0",
      status.toLowerCase(), createdIso, null, JSON.stringify(attributes.map((a) => ({ name: a.key, value: a.value }))), createdIso, createdIso,
      "backfill", now, now,
    ]));
    for (const item of items) {
      lineItems += 1;
      await jsonl.write(`${JSON.stringify({
        id: `gid://shopify/LineItem/${item.id}`, quantity: item.quantity, sku: item.sku, title: item.title,
        variant: { id: `gid://shopify/ProductVariant/${item.variant}` }, product: { id: `gid://shopify/Product/${item.product}` },
        originalUnitPriceSet: bag(item.price), __parentId: order.id,
      })}\n`);
      await itemCopy.write(copyLine([BENCH_SHOP, id, item.id, String(item.product), String(item.variant), item.sku, item.title, String(item.quantity), item.price]));
    }
  }
  await Promise.all([jsonl.close(), orderCopy.close(), itemCopy.close()]);
  return { ...paths, orders, lineItems, refunds, jsonlBytes: jsonl.bytes };
}
