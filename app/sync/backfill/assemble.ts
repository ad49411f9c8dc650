import { parseCustomerLine } from "./customer-lines";
import { BulkLineError, parseLineItemLine, parseOrderLine } from "./order-lines";
import { OrderLineEncoder, notFollowingItsOrder, type EncodedLineItem, type EncodedOrder, type ParentOrder } from "./order-rows";
import { StageBuffer, addCustomerRow, addOrderRows, copyValue, lineItemRow, type DirectTarget, type StageMode, type StagePayload } from "./stage-rows";
import type { BackfillResource, ImportProgress } from "./types";

/**
 * Turns parsed bulk-file lines into batches ready for the database.
 *
 * Shopify writes a nested connection's nodes as lines of their own right
 * after their parent (`groupObjects: true`, the default), each naming its
 * parent in `__parentId`. Each line is encoded into staging rows as soon as
 * it is read — an order line into the batch it opens or joins, its line items
 * after it — so nothing is held as objects, and memory stays bounded by the
 * batch size, whatever the file's size.
 * https://shopify.dev/docs/api/usage/bulk-operations/queries
 *
 * A batch always ends just before a parent line, so its `end` (lines and bytes
 * read before that line) is a clean place to resume after a crash.
 */
export interface PreparedBatch {
  resource: BackfillResource;
  records: number;
  payloads: StagePayload[];
  end: ImportProgress;
  /** Holds a record that the batch before it also holds: write it only after that one committed. */
  afterPrevious: boolean;
}

export interface Assembler {
  /** Takes the next line's text (`before`: where it starts); returns the batch it completed, if any. */
  push(line: string, before: ImportProgress): PreparedBatch | null;
  /** The remaining batches at the end of the file (`end`: the file's length). */
  finish(end: ImportProgress): PreparedBatch[];
}

function isChildLine(value: unknown): boolean {
  return typeof value === "object" && value !== null && "__parentId" in value;
}

function parseJson(line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new BulkLineError(lineNumber, "is not JSON");
  }
}

/** A strict total order on ids that is numeric order for Shopify's ids (digits, no leading zeros). */
function after(id: string, than: string): boolean {
  return id.length !== than.length ? id.length > than.length : id > than;
}

/**
 * Cuts records into batches of `batchSize`. A record whose id is already in
 * the batch starts a new batch, so that each batch holds an id once and the
 * file's order decides between two versions, as one-at-a-time upserts would.
 *
 * Shopify lists a bulk query's records in id order, so an id past every id
 * seen so far cannot repeat one: that costs a comparison. Only an id out of
 * order is looked up, in sets built then from the batches' id lists (a
 * million lookups in sets of ten thousand cost about a second of CPU).
 */
class Batcher {
  private ids: string[] = [];
  private previousIds: string[] = [];
  private idSet: Set<string> | null = null;
  private previousIdSet: Set<string> | null = null;
  private highest: string | null = null;
  private sharesWithPrevious = false;

  constructor(
    private readonly resource: BackfillResource,
    private readonly batchSize: number,
    /** Takes the rows written so far out of the buffers. */
    private readonly takeRows: () => StagePayload[],
  ) {}

  /**
   * Places the record `id` that starts at `start`, before its rows are
   * written; returns the batch before it if the record had to open a new one.
   */
  admit(id: string, start: ImportProgress): PreparedBatch | null {
    let done = this.ids.length >= this.batchSize ? this.take(start) : null;
    if (this.highest === null || after(id, this.highest)) {
      this.highest = id;
    } else {
      if (this.inBatch(id)) done = this.take(start);
      if (this.inPreviousBatch(id)) this.sharesWithPrevious = true;
    }
    this.ids.push(id);
    this.idSet?.add(id);
    return done;
  }

  take(end: ImportProgress): PreparedBatch | null {
    if (this.ids.length === 0) return null;
    const batch = { resource: this.resource, records: this.ids.length, payloads: this.takeRows(), end, afterPrevious: this.sharesWithPrevious };
    this.previousIds = this.ids;
    this.previousIdSet = this.idSet;
    this.ids = [];
    this.idSet = null;
    this.sharesWithPrevious = false;
    return batch;
  }

  private inBatch(id: string): boolean {
    this.idSet ??= new Set(this.ids);
    return this.idSet.has(id);
  }

  private inPreviousBatch(id: string): boolean {
    this.previousIdSet ??= new Set(this.previousIds);
    return this.previousIdSet.has(id);
  }
}

/** The line item ids of the open order: a handful, so a list, until an order has many. */
class ItemIds {
  private list: string[] = [];
  private set: Set<string> | null = null;

  reset(): void {
    this.list = [];
    this.set = null;
  }

  /** Records `id`; false when the order already had it. */
  add(id: string): boolean {
    if (this.set !== null) {
      if (this.set.has(id)) return false;
      this.set.add(id);
      return true;
    }
    if (this.list.includes(id)) return false;
    this.list.push(id);
    if (this.list.length > 32) this.set = new Set(this.list);
    return true;
  }
}

/**
 * The orders file. On a PostgreSQL server (`copy`) lines are encoded straight
 * into COPY text (OrderLineEncoder: read as text when in Shopify's own form,
 * else parsed as JSON), with the batch's order ids beside them for
 * writeNewOrders; on the embedded database, through the reference path into
 * columns of values.
 */
export function orderAssembler(batchSize: number, mode: StageMode, shop: string): Assembler {
  const target: DirectTarget = { shop, source: "backfill" };
  const buffers = {
    bf_order: new StageBuffer("bf_order", mode),
    bf_line_item: new StageBuffer("bf_line_item", mode),
    bf_refund: new StageBuffer("bf_refund", mode),
    bf_written: new StageBuffer("bf_written", mode),
  };
  const batcher = new Batcher("orders", batchSize, () => {
    const payloads = [buffers.bf_order.take(), buffers.bf_line_item.take(), buffers.bf_refund.take()];
    return mode === "copy" ? [...payloads, buffers.bf_written.take()] : payloads;
  });
  const encoder = mode === "copy" ? new OrderLineEncoder(target) : null;
  let open: ParentOrder | null = null;
  const itemIds = new ItemIds();

  function addLineItem(item: EncodedLineItem): void {
    // A repeated line item id keeps the first, as the writer's ON CONFLICT DO NOTHING would.
    if (itemIds.add(item.id)) buffers.bf_line_item.addText(item.row);
  }

  function addOrder(order: EncodedOrder, before: ImportProgress): PreparedBatch | null {
    itemIds.reset();
    const done = batcher.admit(order.id, before);
    buffers.bf_order.addText(order.row);
    if (order.refundCount > 0) buffers.bf_refund.addText(order.refunds, order.refundCount);
    buffers.bf_written.addText(`${copyValue(order.id)}\tt\n`);
    open = { gid: order.gid, id: order.id };
    return done;
  }

  /** The embedded database's path: the reference parsers, rows as columns of values. */
  function pushValue(value: unknown, before: ImportProgress): PreparedBatch | null {
    const lineNumber = before.linesDone + 1;
    if (isChildLine(value)) {
      const { parentId, item } = parseLineItemLine(value, lineNumber);
      if (open === null || parentId !== open.gid) throw notFollowingItsOrder(lineNumber, item.id, parentId);
      if (itemIds.add(item.id)) buffers.bf_line_item.add(lineItemRow(open.id, item, target));
      return null;
    }
    const { gid, order } = parseOrderLine(value, lineNumber);
    itemIds.reset();
    const done = batcher.admit(order.id, before);
    addOrderRows(buffers, order, target);
    open = { gid, id: order.id };
    return done;
  }

  return {
    push(line, before) {
      const lineNumber = before.linesDone + 1;
      if (encoder === null) return pushValue(parseJson(line, lineNumber), before);
      // Shopify's own form first (most lines are line items); anything else is parsed as JSON.
      const item = open === null ? null : encoder.lineItemText(line, open);
      if (item !== null) {
        addLineItem(item);
        return null;
      }
      const order = encoder.orderText(line);
      if (order !== null) return addOrder(order, before);
      const value = parseJson(line, lineNumber);
      if (!isChildLine(value)) return addOrder(encoder.order(value, lineNumber), before);
      addLineItem(encoder.lineItem(value, lineNumber, open));
      return null;
    },
    finish(end) {
      const last = batcher.take(end);
      return last ? [last] : [];
    },
  };
}

export function customerAssembler(batchSize: number, mode: StageMode): Assembler {
  const buffer = new StageBuffer("bf_customer", mode);
  const batcher = new Batcher("customers", batchSize, () => [buffer.take()]);
  return {
    push(line, before) {
      const lineNumber = before.linesDone + 1;
      const value = parseJson(line, lineNumber);
      if (isChildLine(value)) throw new BulkLineError(lineNumber, "the customers file has no nested lines");
      const customer = parseCustomerLine(value, lineNumber);
      const done = batcher.admit(customer.id, before);
      addCustomerRow(buffer, customer);
      return done;
    },
    finish(end) {
      const last = batcher.take(end);
      return last ? [last] : [];
    },
  };
}
