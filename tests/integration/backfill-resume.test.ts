import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestBackfill } from "../../app/sync/backfill/request.server";
import { findRun } from "../../app/sync/backfill/runs.server";
import { randomUUID } from "node:crypto";
import { importBulkFile, ResumeMismatchError, type ImportTotals } from "../../app/sync/backfill/import.server";
import { stackKinds } from "../support/stacks";
import { driveRun, expectedOrders, seedShop, startBackfillWorld, storedOrders, type BackfillWorld } from "./backfill-support";

const SHOP = "resume-cafe.myshopify.com";
const BATCH = 20;

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("backfill resume on $name", (kind) => {
  let world: BackfillWorld;
  beforeAll(async () => {
    world = await startBackfillWorld(kind);
    await seedShop(world, SHOP, { customers: 40, days: 30, seed: "backfill-resume" });
  });
  afterAll(async () => world?.stop());

  it("stops mid-import, keeps exactly the committed batches, and resumes from there to exact counts", async () => {
    const expected = expectedOrders(world.standin.store, SHOP);
    expect(expected.length).toBeGreaterThan(BATCH * 5);
    const [requested] = await requestBackfill(world.runtime, SHOP, ["orders"]);
    if (!requested) throw new Error("no run");
    const runId = requested.run.id;

    // The crash: abort once three batches have committed (a fourth may be in flight on a second connection).
    const crash = new AbortController();
    const firstAttempt: ImportTotals[] = [];
    await expect(
      driveRun(world.runtime, SHOP, runId, {
        batchSize: BATCH,
        signal: crash.signal,
        onProgress: (_run, totals) => {
          firstAttempt.push(totals);
          if (totals.batches === 3) crash.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);

    const stopped = await findRun(world.runtime.db, SHOP, runId);
    expect(stopped?.status).toBe("importing");
    expect(firstAttempt).toHaveLength(3);
    expect(stopped?.linesDone).toBe(firstAttempt[2]?.linesDone);
    expect(stopped?.bytesDone).toBe(firstAttempt[2]?.bytesDone);
    // Exactly the three committed batches are in the database, the one in flight was rolled back.
    expect(await world.runtime.db.order.count({ where: { shop: SHOP } })).toBe(3 * BATCH);
    const partial = await storedOrders(world.runtime.db, SHOP);
    expect(partial).toEqual(expected.filter((order) => partial.some((stored) => stored.id === order.id)));

    // The restart skips the lines already written: it writes only the rest.
    const secondAttempt: ImportTotals[] = [];
    const finished = await driveRun(world.runtime, SHOP, runId, { batchSize: BATCH, onProgress: (_run, totals) => secondAttempt.push(totals) });
    expect(finished.status).toBe("completed");
    expect(finished.linesDone).toBe(finished.objectCount);
    const last = secondAttempt[secondAttempt.length - 1];
    expect(last?.records).toBe(expected.length - 3 * BATCH);
    expect(last?.created).toBe(expected.length - 3 * BATCH);
    expect(last?.stale).toBe(0);
    expect(await storedOrders(world.runtime.db, SHOP)).toEqual(expected);
    expect(await world.runtime.db.lineItem.count({ where: { shop: SHOP } })).toBe(expected.reduce((n, o) => n + o.lineItems.length, 0));
    expect(await world.runtime.db.refund.count({ where: { shop: SHOP } })).toBe(
      [...world.standin.store.shop(SHOP).orders.values()].reduce((n, o) => n + o.refunds.length, 0),
    );
  });

  it("resumes from a byte offset when the file server honours Range, and refuses a file that changed", async () => {
    const shop = "ranged-cafe.myshopify.com";
    const customer = (n: number) =>
      JSON.stringify({ id: `gid://shopify/Customer/${n}`, firstName: `C${n}`, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-02T00:00:00Z" });
    const lines = [1, 2, 3, 4, 5].map((n) => `${customer(n)}\n`);
    const runId = randomUUID();
    await world.runtime.db.backfillRun.create({ data: { shop, id: runId, resource: "customers", status: "importing" } });
    const options = { databaseUrl: world.runtime.database.url, mode: kind.database === "embedded" ? ("insert" as const) : ("copy" as const), batchSize: 2 };
    const target = { shop, runId, resource: "customers" as const };
    const bytes = (text: string) => Buffer.byteLength(text);
    async function* body(text: string) {
      yield Buffer.from(text);
    }

    // The first attempt saw only the first two lines (the connection dropped after them).
    const first = await importBulkFile(body(lines.slice(0, 2).join("")), target, options);
    expect(first).toMatchObject({ linesDone: 2, bytesDone: bytes(lines.slice(0, 2).join("")), created: 2 });
    // The second gets the rest of the file from that byte on, as a 206 answer.
    const second = await importBulkFile(body(lines.slice(2).join("")), target, { ...options, resumeFrom: first, sourceStartsAtResume: true });
    expect(second).toMatchObject({ linesDone: 5, bytesDone: bytes(lines.join("")), created: 3, stale: 0 });
    expect(await world.runtime.db.customer.count({ where: { shop } })).toBe(5);
    // A whole file whose first two lines are not the ones recorded is another file.
    const other = [`${customer(1000)}\n`, ...lines.slice(1)].join("");
    await expect(importBulkFile(body(other), target, { ...options, resumeFrom: first })).rejects.toThrow(ResumeMismatchError);
  });
});
