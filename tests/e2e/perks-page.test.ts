import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoInBrowser, watchPageProblems, type DemoInBrowser } from "../support/demo-browser";

/** The Perks page in the demo, in Chromium: reached from the nav, a wrong field shown next to it, a program created, edited and paused. */
describe("the admin's perks page (Chromium)", () => {
  let demo: DemoInBrowser;

  beforeAll(async () => {
    demo = await startDemoInBrowser("regulars-e2e-perks-");
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it("creates a program after refusing a wrong field, then edits and pauses it", async () => {
    const page = await demo.browser.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${demo.origin}/app`, { waitUntil: "networkidle" });
    await page.getByRole("link", { name: "Perks" }).first().click();
    await page.getByText("No perk programs yet.").waitFor();

    await page.getByLabel("Name").fill("Eighth visit");
    await page.getByLabel("Reward").fill("a drink on us");
    await page.getByLabel("One perk every … visits").fill("1");
    await page.getByRole("button", { name: "Create program" }).click();
    await page.getByText("every how many visits must be a whole number from 2 to 100").waitFor();
    await page.getByText("Nothing was saved").waitFor();

    await page.getByLabel("One perk every … visits").fill("8");
    await page.getByRole("button", { name: "Create program" }).click();
    await page.getByText('"Eighth visit" created.').waitFor();
    await page.getByText("Eighth visit: a drink on us", { exact: true }).waitFor();

    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Reward").fill("any drink on us");
    await page.getByRole("button", { name: "Save program" }).click();
    await page.getByText('"Eighth visit" saved.').waitFor();
    await page.getByText("Eighth visit: any drink on us", { exact: true }).waitFor();

    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByText('"Eighth visit" is paused.').waitFor();
    await page.getByText("paused", { exact: true }).waitFor();
    // The refused form is answered 400 (the browser logs it); nothing else went wrong.
    expect(problems).toEqual(["console: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  }, 240_000);
});
