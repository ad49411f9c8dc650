import type pg from "pg";
import type { WebhookTopic } from "./topics";
import { shopLog } from "../lib/log.server";

/** A verified, validated delivery as intake records it. */
export interface DeliveryToRecord {
  shop: string;
  eventId: string;
  webhookId: string;
  topic: WebhookTopic;
  apiVersion: string;
  triggeredAt: Date | null;
  /** The raw body, a JSON document (intake parsed it), stored as the delivery's payload until it is applied. */
  payload: string;
}

export type DeliveryStatus = "received" | "processed" | "failed";

export interface RecordedDelivery {
  /** False when the event id was already recorded (a retry or a duplicate). */
  inserted: boolean;
  status: DeliveryStatus;
}

export interface RecorderOptions {
  /** Statements in flight at once (each on its own connection). */
  maxInFlight: number;
  /** Deliveries per statement. */
  maxBatch: number;
  /**
   * Prepare the statement once per connection. Not on the embedded database,
   * whose connections share one PGlite session: a second connection
   * preparing the same name there fails. Off unless asked for.
   */
  prepared?: boolean;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = { maxInFlight: 4, maxBatch: 256 };

// A retry of a delivery that failed gets another chance; one already applied has no second effect.
// The payloads travel as one JSON array, their raw bodies joined by commas
// (each is a JSON document already, so nothing is escaped or re-encoded),
// and are paired with the other columns by position. Each delivery keeps the
// moment it was handed to the recorder as its arrival time (the drain applies
// deliveries in that order), not its statement's. Planning the statement costs
// about as much as writing a few deliveries, hence the name where it can be prepared.
const RECORD_DELIVERIES = {
  name: "record-webhook-deliveries",
  text: `
    INSERT INTO "WebhookDelivery" (shop, "eventId", "webhookId", topic, "apiVersion", "triggeredAt", "receivedAt", payload)
    SELECT d.shop, d.event_id, d.webhook_id, d.topic, d.api_version, d.triggered_at AT TIME ZONE 'UTC',
      d.received_at AT TIME ZONE 'UTC', p.payload
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
        WITH ORDINALITY AS d (shop, event_id, webhook_id, topic, api_version, triggered_at, received_at, position)
      JOIN json_array_elements($8::json) WITH ORDINALITY AS p (payload, position) USING (position)
    ON CONFLICT (shop, "eventId") DO UPDATE SET
      status = CASE WHEN "WebhookDelivery".status = 'failed' THEN 'received' ELSE "WebhookDelivery".status END
    RETURNING shop, "eventId", (xmax = 0) AS inserted, status`,
};

/**
 * PostgreSQL refused the payload itself (not JSON; intake checks that before
 * recording, so only a caller that skipped intake meets it). The delivery is
 * malformed for this app.
 */
export class UnstorablePayloadError extends Error {
  constructor(readonly eventId: string, reason: string) {
    super(`payload cannot be stored: ${reason}`);
    this.name = "UnstorablePayloadError";
  }
}

/** untranslatable_character, invalid_text_representation: raised by the json cast. */
const PAYLOAD_REFUSED = new Set(["22P05", "22P02"]);

interface Waiting {
  delivery: DeliveryToRecord;
  receivedAt: Date;
  resolve(result: RecordedDelivery): void;
  reject(error: unknown): void;
}

/**
 * Records webhook deliveries durably, many per statement, and asks for a
 * drain after them. The deliveries that arrive while earlier statements are
 * in flight go together in the next one (group commit); each caller's
 * promise resolves once its row is committed, so the 200 follows a durable
 * record, and at low traffic a delivery goes alone and waits for nothing.
 * After each statement, the drain of every shop it recorded something to
 * apply for is requested once; intake does not wait for that request (the
 * delivery is safe either way, and the heartbeat asks again for deliveries
 * left unapplied).
 *
 * A statement that fails is retried one delivery at a time, so a delivery the
 * database refuses (say, a payload PostgreSQL cannot store) fails alone
 * instead of failing whoever shared its statement.
 */
export class DeliveryRecorder {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: pg.Pool,
    /** Asks for the shop's drain; called after the deliveries it must apply are committed. */
    private readonly requestDrain: (shop: string) => void,
    private readonly options: RecorderOptions = DEFAULT_RECORDER_OPTIONS,
  ) {}

  record(delivery: DeliveryToRecord): Promise<RecordedDelivery> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, receivedAt: new Date(), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    const stored = await this.store(batch);
    const shops = new Set<string>();
    for (const { waiting, row } of stored) if (row.status !== "processed") shops.add(waiting.delivery.shop);
    for (const { waiting, row } of stored) waiting.resolve(row);
    for (const shop of shops) {
      try {
        this.requestDrain(shop);
      } catch (error) {
        // The deliveries are recorded: the heartbeat asks for their drain if nothing else does.
        shopLog(shop).error({ err: error }, "could not request the webhook drain");
      }
    }
  }

  /** Each stored caller with its row; a caller whose delivery could not be stored is rejected here. */
  private async store(batch: Waiting[]): Promise<Array<{ waiting: Waiting; row: RecordedDelivery }>> {
    try {
      const rows = await this.insert(batch);
      // The same event twice in one statement is one row: the first caller has it, the next sees a repeat.
      const answered = new Set<string>();
      return batch.flatMap((waiting) => {
        const key = keyOf(waiting.delivery.shop, waiting.delivery.eventId);
        const row = rows.get(key);
        if (!row) {
          waiting.reject(new Error(`delivery ${waiting.delivery.eventId} of ${waiting.delivery.shop} was not recorded`));
          return [];
        }
        const repeat = answered.has(key);
        answered.add(key);
        return [{ waiting, row: repeat ? { inserted: false, status: row.status } : row }];
      });
    } catch (error) {
      const only = batch.length === 1 ? batch[0] : undefined;
      if (only) {
        only.reject(refusal(only.delivery, error));
        return [];
      }
      const stored: Array<{ waiting: Waiting; row: RecordedDelivery }> = [];
      for (const waiting of batch) {
        try {
          const row = (await this.insert([waiting])).get(keyOf(waiting.delivery.shop, waiting.delivery.eventId));
          if (row) stored.push({ waiting, row });
          else waiting.reject(new Error(`delivery ${waiting.delivery.eventId} of ${waiting.delivery.shop} was not recorded`));
        } catch (alone) {
          waiting.reject(refusal(waiting.delivery, alone));
        }
      }
      return stored;
    }
  }

  /** One statement for the batch; the same event twice in a batch is one row, the first to arrive. */
  private async insert(batch: Waiting[]): Promise<Map<string, RecordedDelivery>> {
    const unique = new Map<string, Waiting>();
    for (const waiting of batch) {
      const key = keyOf(waiting.delivery.shop, waiting.delivery.eventId);
      if (!unique.has(key)) unique.set(key, waiting);
    }
    // Rows in key order: two statements holding the same keys lock them in the same order, never a deadlock.
    const entries = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => w);
    const rows = entries.map((w) => w.delivery);
    const result = await this.pool.query<{ shop: string; eventId: string; inserted: boolean; status: string }>({
      text: RECORD_DELIVERIES.text,
      ...(this.options.prepared === true ? { name: RECORD_DELIVERIES.name } : {}),
      values: [
        rows.map((d) => d.shop),
        rows.map((d) => d.eventId),
        rows.map((d) => d.webhookId),
        rows.map((d) => d.topic),
        rows.map((d) => d.apiVersion),
        rows.map((d) => d.triggeredAt?.toISOString() ?? null),
        entries.map((w) => w.receivedAt.toISOString()),
        `[${rows.map((d) => d.payload).join(",")}]`,
      ],
    });
    const recorded = new Map<string, RecordedDelivery>();
    for (const row of result.rows) {
      recorded.set(keyOf(row.shop, row.eventId), { inserted: row.inserted, status: deliveryStatus(row.status) });
    }
    return recorded;
  }
}

function refusal(delivery: DeliveryToRecord, error: unknown): unknown {
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  return typeof code === "string" && PAYLOAD_REFUSED.has(code) ? new UnstorablePayloadError(delivery.eventId, error instanceof Error ? error.message : String(error)) : error;
}

function keyOf(shop: string, eventId: string): string {
  return `${shop}\n${eventId}`;
}

function deliveryStatus(value: string): DeliveryStatus {
  if (value === "received" || value === "processed" || value === "failed") return value;
  throw new Error(`unknown webhook delivery status "${value}"`);
}
