import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importHistoryInAdmin, startDemoInBrowser, watchPageProblems, type DemoInBrowser } from "../support/demo-browser";

/** Home, Cohorts, Segments (the builder's live count) and Settings (a saved change in the audit log) in the demo, in Chromium. */
describe("the admin's home, cohorts, segments and settings pages (Chromium)", () => {
  let demo: DemoInBrowser;
  let origin: string;

  beforeAll(async () => {
    demo = await startDemoInBrowser("regulars-e2e-admin-pages-");
    origin = demo.origin;
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it("shows computed pages, counts a segment live, and audits a settings change", async () => {
    const page = await demo.browser.newPage();
    const problems = watchPageProblems(page);
    const shot = (name: string) => page.screenshot({ path: join(tmpdir(), `regulars-${name}.png`), fullPage: true });

    // History for two regulars (weekday mornings, four visits each), so the analytics have something to say.
    const rows = ["order_id,customer_id,ordered_at,total"];
    for (const [index, day] of ["2026-10-05", "2026-10-13", "2026-10-21", "2026-10-29"].entries()) {
      rows.push(`A-${index}-1,501,${day}T08:15:00,4.50`, `A-${index}-2,502,${day}T08:40:00,3.80`);
    }
    await importHistoryInAdmin(page, origin, rows);

    // Segments: the recompute the import asked for installs the built-in segments.
    await page.goto(`${origin}/app/segments`, { waitUntil: "networkidle" });
    const dueToReturn = page.getByRole("link", { name: "Due to return" });
    for (let attempt = 0; attempt < 60 && !(await dueToReturn.isVisible()); attempt++) {
      await page.waitForTimeout(1_000);
      await page.reload({ waitUntil: "networkidle" });
    }
    await dueToReturn.waitFor();
    await shot("segments");

    // Home: the week at a glance and the KPI form.
    await page.getByRole("link", { name: "Home" }).first().click();
    await page.getByText(/The week at a glance: \d{4}-W\d{2}/).waitFor();
    await page.getByText("Your KPIs and targets").waitFor();
    await shot("home");

    // Cohorts: ranked by N-day return; N changed through the field.
    await page.getByRole("link", { name: "Cohorts" }).first().click();
    await page.getByText("Visit patterns ranked by 12-day return").waitFor();
    await page.getByLabel("Return within N days").fill("7");
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByText("Visit patterns ranked by 7-day return").waitFor();
    await page.getByText("Retention by week of first visit").waitFor();
    await page.getByTestId("return-curves").locator("svg").first().waitFor({ timeout: 15_000 });
    await shot("cohorts");

    // The builder's count follows the definition.
    await page.goto(`${origin}/app/segments/new`, { waitUntil: "networkidle" });
    const count = page.locator("#segment-live-count");
    const shown = async () => ((await count.isVisible()) ? (await count.innerText()).trim() : null);
    await expect.poll(shown, { timeout: 15_000 }).toMatch(/^\d[\d,]*$/);
    const regulars = await shown();
    expect(Number(regulars?.replace(/,/g, ""))).toBeGreaterThanOrEqual(2);
    await page.getByLabel("Value").first().fill("1000");
    await expect.poll(shown, { timeout: 15_000 }).toBe("0");
    await page.getByLabel("Value").first().fill("oops");
    await page.getByText("Not a valid segment yet").waitFor();
    await page.getByLabel("Value").first().fill("3");
    await expect.poll(shown, { timeout: 15_000 }).toBe(regulars);
    await shot("segment-builder");

    // Settings: a change is saved and appears in the audit log.
    await page.getByRole("link", { name: "Settings", exact: true }).first().click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    await page.getByLabel("Recipients").fill("owner@demo-cafe.example, barista@demo-cafe.example");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved: report recipients.").waitFor();
    await page.getByRole("cell", { name: "settings.update" }).first().waitFor();
    await page.getByText('reportRecipients → ["owner@demo-cafe.example","barista@demo-cafe.example"]').waitFor();
    await shot("settings");

    expect(problems).toEqual([]);
    await page.close();
  });
});
