import { Writable } from "node:stream";
import { UnrecoverableError, type Job } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureLogs, jobLog, log, REDACTED, scrubLine, setLogLevel, shopLog } from "../../app/lib/log.server";
import { observeJob } from "../../jobs/observe.server";
import type { LogLevel } from "../../app/config.server";

// Personal data and credentials of the kind Regulars handles; none may reach a log line.
const EMAIL = "jane.doe+coffee@example.com";
const PHONE = "+1 613-555-0123";
const PHONE_E164 = "+16135550123";
const FIRST = "Janeth";
const LAST = "Doerington";
const STREET = "42 Lattemill Road";
const ENDPOINT_TOKEN = "dGhpc2lzYXB1c2hzdWJzY3JpcHRpb250b2tlbl9hYmNkZWYxMjM0NTY3ODk";
const ENDPOINT = `https://fcm.googleapis.com/fcm/send/${ENDPOINT_TOKEN}`;
const P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
const AUTH = "tBHItJI5svbpez7KI4CCXg";
const BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzaG9wIjoiY2FmZS5teXNob3BpZnkuY29tIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
const ACCESS_TOKEN = "shpat_0123456789abcdef0123456789abcdef";
const SHOP = "lattemill.myshopify.com";

const SECRETS = [EMAIL, PHONE, PHONE_E164, FIRST, LAST, STREET, ENDPOINT, ENDPOINT_TOKEN, P256DH, AUTH, BEARER, ACCESS_TOKEN];

/** A Shopify orders/create body as it is stored on the delivery. */
const orderPayload = {
  id: 820982911946154500,
  email: EMAIL,
  phone: PHONE_E164,
  customer: { id: 115310627314723950, email: EMAIL, first_name: FIRST, last_name: LAST, phone: PHONE_E164, default_address: { address1: STREET } },
  billing_address: { first_name: FIRST, last_name: LAST, address1: STREET, phone: PHONE },
  line_items: [{ title: "Oat latte", quantity: 1 }],
};

let lines: string[] = [];
let restore: () => void = () => {};
let level: LogLevel;

beforeEach(() => {
  lines = [];
  restore = captureLogs(
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  level = log.level as LogLevel;
  setLogLevel("trace");
});

afterEach(() => {
  setLogLevel(level);
  restore();
});

function output(): string {
  return lines.join("");
}

function expectNoPersonalData(text: string): void {
  for (const secret of SECRETS) expect(text, `log output contains ${secret}`).not.toContain(secret);
  expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
}

function fakeJob(name: string, data: unknown, overrides: Partial<Job> = {}): Job {
  const job = {
    id: "job-7f3a",
    name,
    queueName: "webhooks",
    data,
    timestamp: 1_000,
    processedOn: 1_250,
    attemptsMade: 0,
    attemptsStarted: 1,
    opts: { attempts: 5 },
    ...overrides,
  };
  return job as unknown as Job;
}

describe("log lines carry no personal data", () => {
  it("a webhook drain error with the delivery's payload", async () => {
    const failure = Object.assign(new Error(`duplicate key value violates unique constraint; customer ${EMAIL} (${PHONE})`), {
      detail: `Key (shop, email)=(${SHOP}, ${EMAIL}) already exists.`,
      payload: orderPayload,
    });
    const job = fakeJob("drain-webhooks", { shop: SHOP });
    await expect(observeJob("webhooks", job, () => Promise.reject(failure))).rejects.toBe(failure);
    shopLog(SHOP).error({ err: failure, eventId: "evt-1", delivery: { topic: "orders/create", payload: orderPayload } }, "webhook delivery could not be applied");

    const text = output();
    expectNoPersonalData(text);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ level: 40, shop: SHOP, jobId: "job-7f3a", queue: "webhooks", job: "drain-webhooks", attempt: 1, msg: "regulars: job attempt failed; it will be retried" });
    expect(records[1]).toMatchObject({ level: 50, shop: SHOP, eventId: "evt-1", delivery: { topic: "orders/create", payload: REDACTED } });
    expect((records[0]?.err as Record<string, unknown>).detail).toBe(REDACTED);
  });

  it("a push send failure naming the subscription's endpoint", () => {
    const job = fakeJob("push-send", { shop: SHOP, purpose: "send" }, { queueName: "push" });
    const failure = new Error(`request to ${ENDPOINT} failed, reason: connect ECONNREFUSED`);
    jobLog(job).warn({ err: failure, endpoint: ENDPOINT, subscription: { endpoint: ENDPOINT, keys: { p256dh: P256DH, auth: AUTH } } }, "push delivery failed");
    log.warn(`push to ${ENDPOINT} answered 410`);

    const text = output();
    expectNoPersonalData(text);
    expect(text).toContain("https://fcm.googleapis.com/[redacted]");
    const record = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(record).toMatchObject({ shop: SHOP, jobId: "job-7f3a", queue: "push", endpoint: REDACTED, subscription: { endpoint: REDACTED, keys: REDACTED } });
  });

  it("a job that fails for good with credentials in its error", async () => {
    const job = fakeJob("membership-sync", { shop: SHOP, customerId: "115310627314723950", email: EMAIL }, { queueName: "maintenance", attemptsMade: 4 });
    const failure = new UnrecoverableError(`Shopify answered 401 to Authorization: Bearer ${BEARER} with X-Shopify-Access-Token ${ACCESS_TOKEN} for ${EMAIL}`);
    await expect(observeJob("maintenance", job, () => Promise.reject(failure))).rejects.toBe(failure);
    log.error({ req: { headers: { authorization: `Bearer ${BEARER}`, cookie: "session=abc" } } }, "request failed");

    const text = output();
    expectNoPersonalData(text);
    const record = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    // The job's data is never logged beyond its shop.
    expect(record).toMatchObject({ level: 50, shop: SHOP, job: "membership-sync", attempt: 5, msg: "regulars: job failed" });
    expect(record).not.toHaveProperty("customerId");
    expect((record.err as Record<string, unknown>).message).toContain("Bearer [redacted]");
  });

  it("a job's data cannot put a non-shop string in the shop field", () => {
    jobLog(fakeJob("heartbeat", { shop: EMAIL })).error("job failed");
    const record = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(record).not.toHaveProperty("shop");
    expectNoPersonalData(output());
  });

  it("completed jobs log at debug, and nothing below the configured level is written", async () => {
    setLogLevel("info");
    await observeJob("maintenance", fakeJob("heartbeat", { shop: SHOP }), () => Promise.resolve("ok"));
    expect(lines).toEqual([]);
    setLogLevel("debug");
    await observeJob("maintenance", fakeJob("heartbeat", { shop: SHOP }), () => Promise.resolve("ok"));
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 20, msg: "regulars: job completed", shop: SHOP });
  });
});

describe("scrubLine", () => {
  it.each([
    ["an email in a message", `no customer ${EMAIL} here`, `no customer ${REDACTED} here`],
    ["an international phone number", `call ${PHONE} now`, `call ${REDACTED} now`],
    ["a push endpoint", `POST ${ENDPOINT} failed`, `POST https://fcm.googleapis.com/${REDACTED} failed`],
    ["a bearer credential", `Authorization: Bearer abc.def-ghi`, `Authorization: Bearer ${REDACTED}`],
    ["a Shopify access token", `token ${ACCESS_TOKEN}`, `token ${REDACTED}`],
  ])("blanks %s", (_what, line, expected) => {
    expect(scrubLine(line)).toBe(expected);
  });

  it.each([
    ["a timestamp", `{"level":30,"time":1764325035123,"msg":"x"}`],
    ["a local URL without tokens", "serving http://127.0.0.1:3000/app"],
    ["a shop domain", `shop ${SHOP}`],
    ["an Admin API URL", `https://${SHOP}/admin/api/2025-07/graphql.json`],
  ])("keeps %s", (_what, line) => {
    expect(scrubLine(line)).toBe(line);
  });
});
