import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setRuntime } from "../../app/runtime.server";
import { DEMO_SHOP, ensureDemoShop } from "../../app/shops/demo.server";
import { UPLOAD_LIMIT_BYTES } from "../../app/imports/limits";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import type { JobWorker } from "../../jobs/backend.server";
import { waitFor } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

// The route reads its configuration (through shopify.server) when first imported: the demo's.
process.env.DEMO = "1";
const route = await import("../../app/routes/app.import");

type ActionResult = Awaited<ReturnType<typeof route.action>>;

/** An action's outcome as the HTTP layer would send it: status and body. */
function outcome(result: ActionResult): { status: number; body: { ok: boolean; runId?: string; message?: string } } {
  return "init" in result && result.init ? { status: result.init.status ?? 200, body: result.data } : { status: 200, body: "data" in result ? result.data : result };
}

function upload(content: string | Uint8Array<ArrayBuffer> | null, fileName = "orders.csv"): Promise<ActionResult> {
  const form = new FormData();
  if (content !== null) form.append("file", new File([content], fileName, { type: "text/csv" }));
  const request = new Request("http://localhost/app/import", { method: "POST", body: form });
  return route.action({ request, params: {}, context: {} });
}

async function overview(runId: string) {
  return route.loader({ request: new Request(`http://localhost/app/import?run=${runId}`), params: {}, context: {} });
}

async function finished(runId: string) {
  return waitFor(`import run ${runId}`, async () => {
    const { run } = await overview(runId);
    return run && !["queued", "validating", "importing"].includes(run.status) ? run : undefined;
  });
}

describe.each(stackKinds())("admin import page (demo) on $name", (kind) => {
  let stack: TestStack;
  let workers: JobWorker[] = [];

  beforeAll(async () => {
    stack = await startTestStack(kind);
    setRuntime(stack.runtime);
    await ensureDemoShop(stack.runtime);
    workers = startWorkers({ runtime: stack.runtime, db: stack.runtime.db, jobs: stack.runtime.jobs, concurrency: 2 });
  });
  afterAll(async () => {
    await stopWorkers(workers, 5_000);
    setRuntime(undefined);
    await stack?.stop();
  });

  it("an upload is queued, imported by the worker, and polled to completion", async () => {
    const csv = "order_id,customer_id,ordered_at,total,items\nW-1,501,2026-03-02T08:15:00,4.50,LATTE-OAT:1\nW-2,,2026-03-02T08:20:00,3.00,\n";
    const { status, body } = outcome(await upload(csv));
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, runId: expect.any(String) });
    const runId = body.runId ?? "";

    const run = await finished(runId);
    expect(run).toMatchObject({ status: "completed", fileName: "orders.csv", rows: 2, ordersNew: 2, customersNew: 1, errorCount: 0 });
    const orders = await stack.runtime.db.order.findMany({ where: { shop: DEMO_SHOP }, orderBy: { id: "asc" } });
    expect(orders.map((o) => [o.id, o.customerId, o.processedAt.toISOString()])).toEqual([
      ["import:W-1", "501", "2026-03-02T08:15:00.000Z"],
      ["import:W-2", null, "2026-03-02T08:20:00.000Z"],
    ]);
    expect(await stack.runtime.db.importUpload.count()).toBe(0);
    const { recent } = await overview(runId);
    expect(recent[0]).toMatchObject({ id: runId, status: "completed" });
  });

  it("a file with bad rows imports nothing and the page lists each bad row by line", async () => {
    const before = await stack.runtime.db.order.count();
    const csv = "customer_id,ordered_at,total\n501,2026-03-02T08:15:00Z,4.50\n502,2026-03-02T08:15:00Z,4,50\n503,tomorrow,4.50\n";
    const { body } = outcome(await upload(csv, "bad.csv"));
    const run = await finished(body.runId ?? "");
    expect(run.status).toBe("rejected");
    expect(run.errors).toEqual([
      { line: 3, column: null, message: expect.stringContaining("has 4 values but the header has 3 columns") },
      { line: 4, column: "ordered_at", message: expect.stringContaining("ordered_at must be ISO 8601") },
    ]);
    expect(await stack.runtime.db.order.count()).toBe(before);
  });

  it.each([
    ["no file", null, 400, "Choose a CSV file to import."],
    ["an empty file", "", 400, "The file is empty."],
  ])("refuses %s with a message", async (_what, content, status, message) => {
    expect(outcome(await upload(content))).toEqual({ status, body: { ok: false, message } });
  });

  it("refuses a file over the upload limit with a message saying what to do, storing nothing", async () => {
    const runs = await stack.runtime.db.importRun.count();
    const { status, body } = outcome(await upload(new Uint8Array(UPLOAD_LIMIT_BYTES + 1).fill(0x41)));
    expect(status).toBe(413);
    expect(body.message).toContain("larger than the 20.0 MB an upload can be");
    expect(body.message).toContain("regulars import orders FILE.csv --shop DOMAIN");
    expect(await stack.runtime.db.importRun.count()).toBe(runs);
  });
});
