import { z } from "zod";
import { assertNever } from "../lib/assert-never";
import { deepLink, TRANSACTIONAL_TEMPLATES, type TransactionalTemplate, type Variant } from "./definition";
import { ORDER_NAME_MAX_CHARS, TEMPLATE_LINK_MAX_CHARS } from "./notification";
import type { PushUrgency } from "./push-port";

/**
 * Transactional messages: what each needs from its caller (validated), the
 * event that makes one message (so a repeated call sends once), its default
 * wording (a shop can reword it with a transactional campaign whose id is the
 * template), and how urgently it travels.
 */

export interface PreparedMessage {
  /** Identifies the event: one message per template, member and event. */
  eventKey: string;
  /** Placeholder values for the wording. */
  values: Record<string, string>;
  /** The link when the wording gives none of its own. */
  link: string;
  /** The wording used when the shop has none of its own. */
  defaultWording: Pick<Variant, "id" | "title" | "body" | "url" | "weight">;
  ttlSeconds: number;
  urgency: PushUrgency;
  /** A later message of the same topic replaces an undelivered one (Web Push topic, ≤ 32 URL-safe characters). */
  topic: string;
}

/** The caller's template name or data is wrong; the message says which field and why. */
export class TransactionalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransactionalInputError";
  }
}

const orderReadyData = z.strictObject(
  {
    orderId: z.string({ error: "orderId must be text" }).regex(/^[1-9][0-9]{0,19}$/, "orderId must be the order's numeric id"),
    orderName: z
      .string({ error: "orderName must be text" })
      .trim()
      .min(1, "orderName must not be empty")
      .max(ORDER_NAME_MAX_CHARS, `orderName must be at most ${ORDER_NAME_MAX_CHARS} characters`),
    url: deepLink.refine((url) => url.length <= TEMPLATE_LINK_MAX_CHARS, `url must be at most ${TEMPLATE_LINK_MAX_CHARS} characters`).optional(),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")} (order-ready takes orderId, orderName, url)` : "order-ready needs { orderId, orderName, url? }") },
);

export function isTransactionalTemplate(name: string): name is TransactionalTemplate {
  return (TRANSACTIONAL_TEMPLATES as readonly string[]).includes(name);
}

export function prepareTransactional(template: string, data: unknown): PreparedMessage & { template: TransactionalTemplate } {
  if (!isTransactionalTemplate(template)) throw new TransactionalInputError(`template must be one of ${TRANSACTIONAL_TEMPLATES.join(", ")} (got ${JSON.stringify(template)})`);
  switch (template) {
    case "order-ready": {
      const parsed = orderReadyData.safeParse(data);
      if (!parsed.success) throw new TransactionalInputError(`order-ready data: ${parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")}`);
      const order = parsed.data;
      return {
        template,
        eventKey: order.orderId,
        values: { orderName: order.orderName },
        link: order.url ?? "/account",
        defaultWording: { id: "default", title: "Your order is ready", body: "{orderName} is waiting for you at the counter.", url: "", weight: 1 },
        // Useless once the customer has collected it; most pickups happen within the hour.
        ttlSeconds: 2 * 3600,
        urgency: "high",
        topic: `order-ready-${order.orderId}`.slice(0, 32),
      };
    }
    default:
      return assertNever(template, "transactional template");
  }
}
