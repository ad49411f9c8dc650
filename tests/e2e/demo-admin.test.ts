import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnApp, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";

describe("the demo admin in Chromium", () => {
  let app: AppProcess;
  let origin: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const dataDir = mkdtempSync(join(tmpdir(), "regulars-e2e-"));

  beforeAll(async () => {
    // `npm run demo` exactly as the README gives it: build, migrate, serve.
    app = spawnApp({ DATA_DIR: dataDir, NODE_ENV: "development" }, { npmScript: "demo" });
    origin = await app.ready;
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await app?.stop("SIGINT");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("renders the Polaris admin shell with the demo shop and no console errors", async () => {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));

    const response = await page.goto(`${origin}/app`, { waitUntil: "networkidle" });
    expect(response?.status()).toBe(200);

    await expect(page.getByRole("heading", { name: "Home" })).toBeTruthy();
    await page.getByText("Demo mode").waitFor();
    await page.getByRole("heading", { name: "Demo Cafe" }).waitFor();
    await page.getByText("Background work").waitFor();
    // Polaris' stylesheet is applied: the frame lays out with its navigation.
    const navigationWidth = await page.locator(".Polaris-Frame__Navigation").evaluate((el) => el.getBoundingClientRect().width);
    expect(navigationWidth).toBeGreaterThan(150);
    // Hydrated: client-side navigation through the sidebar works without a reload.
    await page.getByRole("link", { name: "Home" }).first().click();
    await page.getByText("Demo mode").waitFor();

    await page.screenshot({ path: join(tmpdir(), "regulars-demo-admin.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
