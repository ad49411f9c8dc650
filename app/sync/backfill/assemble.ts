import type { SyncedCustomer, SyncedOrder } from "../types";
import { parseCustomerLine } from "./customer-lines";
import { BulkLineError, parseLineItemLine, parseOrderLine } from "./order-lines";
import { StageBuffer, addCustomerRow, addOrderRows, type StageMode, type StagePayload } from "./stage-rows";
import type { BackfillResource, ImportProgress } from "./types";

/**
 * Turns parsed bulk-file lines into batches ready for the database.
 *
 * Shopify writes a nested connection's nodes as lines of their own right
 * after their parent (`groupObjects: true`, the default), each naming its
 * parent in `__parentId`. So an order is complete when the next order line
 * arrives, and only that one open order is held as objects: completed records
 * are encoded into staging rows at once. Memory stays bounded by the batch
 * size, whatever the file's size.
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
  /** Takes the next line (`before`: where it starts); returns the batch it completed, if any. */
  push(value: unknown, before: ImportProgress): PreparedBatch | null;
  /** The remaining batches at the end of the file (`end`: the file's length). */
  finish(end: ImportProgress): PreparedBatch[];
}

function isChildLine(value: unknown): boolean {
  return typeof value === "object" && value !== null && "__parentId" in value;
}

interface BatchSink<T> {
  add(record: T): void;
  take(): StagePayload[];
}

/**
 * Collects records into batches of `batchSize`. A record whose id is already
 * in the batch starts a new batch, so that each batch holds an id once and
 * the file's order decides between two versions, as one-at-a-time upserts would.
 */
class Batcher<T extends { id: string }> {
  private ids = new Set<string>();
  private previousIds = new Set<string>();
  private sharesWithPrevious = false;

  constructor(
    private readonly resource: BackfillResource,
    private readonly batchSize: number,
    private readonly sink: BatchSink<T>,
  ) {}

  /** Adds a record that starts at `start`; returns the batch before it if the record had to open a new one. */
  add(record: T, start: ImportProgress): PreparedBatch | null {
    const done = this.ids.size >= this.batchSize || this.ids.has(record.id) ? this.take(start) : null;
    this.sink.add(record);
    this.ids.add(record.id);
    if (this.previousIds.has(record.id)) this.sharesWithPrevious = true;
    return done;
  }

  take(end: ImportProgress): PreparedBatch | null {
    if (this.ids.size === 0) return null;
    const batch = { resource: this.resource, records: this.ids.size, payloads: this.sink.take(), end, afterPrevious: this.sharesWithPrevious };
    this.previousIds = this.ids;
    this.ids = new Set();
    this.sharesWithPrevious = false;
    return batch;
  }
}

function orderSink(mode: StageMode, shop: string): BatchSink<SyncedOrder> {
  const buffers = {
    bf_order: new StageBuffer("bf_order", mode),
    bf_line_item: new StageBuffer("bf_line_item", mode),
    bf_refund: new StageBuffer("bf_refund", mode),
  };
  return {
    add: (order) => addOrderRows(buffers, order, shop),
    take: () => [buffers.bf_order.take(), buffers.bf_line_item.take(), buffers.bf_refund.take()],
  };
}

function customerSink(mode: StageMode): BatchSink<SyncedCustomer> {
  const buffer = new StageBuffer("bf_customer", mode);
  return { add: (customer) => addCustomerRow(buffer, customer), take: () => [buffer.take()] };
}

interface OpenOrder {
  gid: string;
  order: SyncedOrder;
  itemIds: Set<string>;
  /** Where the order's own line starts: the end of the batch before it, if it opens one. */
  start: ImportProgress;
}

export function orderAssembler(batchSize: number, mode: StageMode, shop: string): Assembler {
  const batcher = new Batcher("orders", batchSize, orderSink(mode, shop));
  let open: OpenOrder | null = null;
  return {
    push(value, before) {
      const lineNumber = before.linesDone + 1;
      if (isChildLine(value)) {
        const { parentId, item } = parseLineItemLine(value, lineNumber);
        if (open === null || parentId !== open.gid) {
          throw new BulkLineError(
            lineNumber,
            `line item ${item.id} of ${parentId} does not follow its order (the file must group children under their parent)`,
          );
        }
        // A repeated line item id keeps the first, as the writer's ON CONFLICT DO NOTHING would.
        if (!open.itemIds.has(item.id)) {
          open.itemIds.add(item.id);
          open.order.lineItems.push(item);
        }
        return null;
      }
      const { gid, order } = parseOrderLine(value, lineNumber);
      // The open order is complete now that the next one starts.
      const done = open === null ? null : batcher.add(open.order, open.start);
      open = { gid, order, itemIds: new Set(), start: before };
      return done;
    },
    finish(end) {
      const batches: PreparedBatch[] = [];
      if (open !== null) {
        const done = batcher.add(open.order, open.start);
        if (done) batches.push(done);
        open = null;
      }
      const last = batcher.take(end);
      if (last) batches.push(last);
      return batches;
    },
  };
}

export function customerAssembler(batchSize: number, mode: StageMode): Assembler {
  const batcher = new Batcher("customers", batchSize, customerSink(mode));
  return {
    push(value, before) {
      const lineNumber = before.linesDone + 1;
      if (isChildLine(value)) throw new BulkLineError(lineNumber, "the customers file has no nested lines");
      return batcher.add(parseCustomerLine(value, lineNumber), before);
    },
    finish(end) {
      const last = batcher.take(end);
      return last ? [last] : [];
    },
  };
}
