import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoInBrowser, watchPageProblems, type DemoInBrowser } from "../support/demo-browser";

describe("the demo admin in Chromium", () => {
  let demo: DemoInBrowser;
  let origin: string;

  beforeAll(async () => {
    // `npm run demo` exactly as the README gives it: build, migrate, serve.
    demo = await startDemoInBrowser("regulars-e2e-");
    origin = demo.origin;
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it("renders the Polaris admin shell with the demo shop and no console errors", async () => {
    const page = await demo.browser.newPage();
    const problems = watchPageProblems(page);
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
