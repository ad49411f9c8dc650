import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_LIMIT_BYTES } from "../../app/imports/limits";
import { startDemoInBrowser, watchPageProblems, type DemoInBrowser } from "../support/demo-browser";

describe("the admin import page in Chromium (demo)", () => {
  let demo: DemoInBrowser;
  let origin: string;

  beforeAll(async () => {
    demo = await startDemoInBrowser("regulars-e2e-import-");
    origin = demo.origin;
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it("uploads a file, shows progress to completion, lists a bad file's rows by line, and refuses an oversized file", async () => {
    const page = await demo.browser.newPage();
    const problems = watchPageProblems(page);

    await page.goto(`${origin}/app`, { waitUntil: "networkidle" });
    await page.getByRole("link", { name: "Import" }).first().click();
    await page.getByRole("heading", { name: "Upload a CSV file" }).waitFor();
    await page.getByText("None yet.").waitFor();

    const input = page.locator('input[type="file"]');
    const csv = "order_id,customer_id,ordered_at,total,items\nE-1,501,2026-03-02T08:15:00,4.50,LATTE-OAT:1\nE-2,,2026-03-02T08:20:00,3.00,\n";
    await input.setInputFiles({ name: "history.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByText("history.csv ·").waitFor();
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Imported 2 rows").waitFor({ timeout: 30_000 });
    await page.getByText("2 new orders, 0 updated").waitFor();

    const bad = "customer_id,ordered_at,total\n501,2026-03-02T08:15:00Z,4.50\n502,2026-03-02T08:15:00Z,four\n503,2026-03-02,4.50\n";
    await input.setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Nothing was imported: 2 problems in the file").waitFor({ timeout: 30_000 });
    const rows = await page.locator(".Polaris-DataTable tbody tr").allInnerTexts();
    expect(rows.map((row) => row.replace(/\s+/g, " ").trim())).toEqual([
      '3 total total must be a number like 4.50 (got "four")',
      "4 ordered_at ordered_at needs a time of day, e.g. 2026-03-02T08:15:00",
    ]);
    await page.screenshot({ path: join(tmpdir(), "regulars-import-page.png"), fullPage: true });

    await input.setInputFiles({ name: "huge.csv", mimeType: "text/csv", buffer: Buffer.alloc(UPLOAD_LIMIT_BYTES + 1, 0x41) });
    await page.getByText("This file cannot be uploaded").waitFor();
    expect(await page.getByRole("button", { name: "Import" }).isDisabled()).toBe(true);

    expect(problems).toEqual([]);
    await page.close();
  });
});
