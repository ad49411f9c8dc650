import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { spawnApp, type AppProcess } from "./app-process";
import { launchChromium } from "./browser";

/** `npm run demo` as the README gives it (own data folder), and a Chromium to drive it. */
export interface DemoInBrowser {
  app: AppProcess;
  origin: string;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startDemoInBrowser(folderPrefix: string): Promise<DemoInBrowser> {
  const dataDir = mkdtempSync(join(tmpdir(), folderPrefix));
  const app = spawnApp({ DATA_DIR: dataDir, NODE_ENV: "development" }, { npmScript: "demo" });
  const origin = await app.ready;
  const chromium = await launchChromium();
  return {
    app,
    origin,
    browser: chromium.browser,
    async stop() {
      await chromium.close();
      await app.stop("SIGINT");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects console errors and page errors; a test ends by expecting the list empty. */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
  return problems;
}

/**
 * Imports an order history through the admin's import page and waits for its
 * confirmation. Until the page has hydrated, a chosen file goes unseen: it is
 * chosen again until the page shows it.
 */
export async function importHistoryInAdmin(page: Page, origin: string, rows: readonly string[]): Promise<void> {
  await page.goto(`${origin}/app/import`, { waitUntil: "networkidle" });
  const chosen = page.getByText("history.csv ·");
  for (let attempt = 0; attempt < 20 && !(await chosen.isVisible()); attempt++) {
    await page.locator('input[type="file"]').setInputFiles({ name: "history.csv", mimeType: "text/csv", buffer: Buffer.from(`${rows.join("\n")}\n`) });
    await page.waitForTimeout(500);
  }
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByText(`Imported ${rows.length - 1} rows`).waitFor({ timeout: 30_000 });
}
