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
