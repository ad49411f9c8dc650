import "@shopify/shopify-api/adapters/web-api";
import { createHmac } from "node:crypto";
import { ApiVersion, LogSeverity, shopifyApi } from "@shopify/shopify-api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkWebhookSignature } from "../../app/webhooks/signature.server";
import { normaliseTopic, WEBHOOK_TOPICS } from "../../app/webhooks/topics";

const SECRET = "webhook-signature-secret";
const library = shopifyApi({
  apiKey: "key",
  apiSecretKey: SECRET,
  apiVersion: ApiVersion.October25,
  hostName: "regulars.example",
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

const sign = (body: string, secret = SECRET) => createHmac("sha256", secret).update(body, "utf8").digest("base64");

const WEBHOOK_HEADERS = ["X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"];
const EVENT_HEADERS = ["Shopify-Topic", "Shopify-Shop-Domain", "Shopify-API-Version", "Shopify-Webhook-Id", "Shopify-Triggered-At"];

interface Case {
  body: string;
  headers: Record<string, string>;
}

/** Both verdicts, in the shape intake reads; the library reports topics in its storage form. */
async function verdicts({ body, headers }: Case) {
  const lowered = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const ours = checkWebhookSignature(SECRET, body, (name) => lowered.get(name));
  const theirs = await library.webhooks.validate({ rawBody: body, rawRequest: new Request("http://localhost/webhooks", { method: "POST", headers }) });
  const shape = (check: Record<string, unknown>) =>
    check.valid === true
      ? {
          valid: true,
          topic: normaliseTopic(String(check.topic)),
          domain: check.domain,
          apiVersion: check.apiVersion,
          webhookId: check.webhookId,
          eventId: check.eventId ?? null,
          triggeredAt: check.triggeredAt ?? null,
        }
      : { valid: false, reason: check.reason, missingHeaders: check.missingHeaders ?? null };
  return { ours: shape(ours as unknown as Record<string, unknown>), theirs: shape(theirs as unknown as Record<string, unknown>) };
}

const headerValue = fc.oneof(fc.constant(""), fc.stringMatching(/^[ -~]{1,40}$/).map((value) => value.trim()).filter((value) => value.length > 0));

const cases: fc.Arbitrary<Case> = fc
  .record({
    body: fc.oneof(fc.constant(""), fc.json(), fc.string({ unit: "grapheme", maxLength: 200 })),
    events: fc.boolean(),
    topic: fc.constantFrom(...WEBHOOK_TOPICS),
    present: fc.array(fc.constantFrom(true, true, true, false), { minLength: 6, maxLength: 6 }),
    values: fc.array(headerValue, { minLength: 6, maxLength: 6 }),
    signature: fc.constantFrom("right", "wrong-secret", "garbage", "empty", "absent", "padded"),
  })
  .map(({ body, events, topic, present, values, signature }) => {
    const names = events ? EVENT_HEADERS : WEBHOOK_HEADERS;
    const headers: Record<string, string> = {};
    names.forEach((name, i) => {
      if (present[i]) headers[name] = i === 0 ? topic : (values[i] ?? "");
    });
    const hmacHeader = events ? "Shopify-Hmac-Sha256" : "X-Shopify-Hmac-Sha256";
    if (signature === "right") headers[hmacHeader] = sign(body);
    if (signature === "wrong-secret") headers[hmacHeader] = sign(body, "another-secret");
    if (signature === "garbage") headers[hmacHeader] = "bm90IGEgc2lnbmF0dXJl";
    if (signature === "empty") headers[hmacHeader] = "";
    if (signature === "padded") headers[hmacHeader] = `${sign(body)}=`;
    return { body, headers };
  });

describe("the webhook signature check", () => {
  it("gives the Shopify library's verdict on any request", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (request) => {
        const { ours, theirs } = await verdicts(request);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 600 },
    );
  });

  it("accepts a signed delivery and reports its headers, in either header set", async () => {
    const body = JSON.stringify({ id: 1, note: "flat white ☕" });
    const signed = { "X-Shopify-Hmac-Sha256": sign(body), "X-Shopify-Topic": "bulk_operations/finish", "X-Shopify-Shop-Domain": "a.myshopify.com", "X-Shopify-API-Version": "2025-10", "X-Shopify-Webhook-Id": "w1", "X-Shopify-Event-Id": "e1" };
    const { ours, theirs } = await verdicts({ body, headers: signed });
    expect(ours).toEqual({ valid: true, topic: "bulk_operations/finish", domain: "a.myshopify.com", apiVersion: "2025-10", webhookId: "w1", eventId: "e1", triggeredAt: null });
    expect(theirs).toEqual(ours);
    const events = { "Shopify-Hmac-Sha256": sign(body), "Shopify-Topic": "orders/create", "Shopify-Shop-Domain": "a.myshopify.com", "Shopify-API-Version": "2025-10", "Shopify-Webhook-Id": "w2" };
    expect((await verdicts({ body, headers: events })).ours).toMatchObject({ valid: true, topic: "orders/create", webhookId: "w2" });
  });

  it("refuses a body changed after signing, and a signature made with another secret", async () => {
    const body = JSON.stringify({ id: 2, total_price: "3.90" });
    const headers = { "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "a.myshopify.com", "X-Shopify-API-Version": "2025-10", "X-Shopify-Webhook-Id": "w3" };
    const tampered = checkWebhookSignature(SECRET, body.replace("3.90", "0.01"), (name) => ({ ...lowerKeys(headers), "x-shopify-hmac-sha256": sign(body) })[name]);
    expect(tampered).toEqual({ valid: false, reason: "invalid_hmac" });
    const otherSecret = checkWebhookSignature(SECRET, body, (name) => ({ ...lowerKeys(headers), "x-shopify-hmac-sha256": sign(body, "not-ours") })[name]);
    expect(otherSecret).toEqual({ valid: false, reason: "invalid_hmac" });
  });
});

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
