import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { runCli } from "../support/cli";
import { insertMembers, population } from "../support/model-fixtures";

const SHOP = "north-cafe.myshopify.com";
const THIN = "tiny-cafe.myshopify.com";

describe("regulars model fit", () => {
  const folder = mkdtempSync(join(tmpdir(), "regulars-model-cli-"));
  const env = { DATA_DIR: join(folder, "data") };

  beforeAll(async () => {
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    for (const shop of [SHOP, THIN]) {
      expect(runCli(["shop", "create", shop, "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);
    }
    const embedded = await startEmbeddedDatabase({ dataDir: env.DATA_DIR });
    const db = createPrismaClient(embedded.url, { maxConnections: 1 });
    try {
      await insertMembers(db, SHOP, population("model-cli-north", 300, 200));
      await insertMembers(db, THIN, population("model-cli-tiny", 20, 60, 10));
    } finally {
      await db.$disconnect();
      await embedded.stop();
    }
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("prints help", () => {
    const { code, stdout } = runCli(["model", "fit", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars model fit/);
    expect(stdout).toContain("--unit <unit>");
  });

  it("fits and prints r, alpha, a, b with their intervals and the log-likelihood", () => {
    const { code, stdout, stderr } = runCli(["model", "fit", "--shop", SHOP, "--until", "2026-07-03", "--unit", "week"], env);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain(`BG/NBD visit model for ${SHOP}, visits up to 2026-07-03, time unit: week`);
    expect(stdout).toMatch(/300 customers, \d+ with two or more visit days; \d+ days of history/);
    expect(stdout).toMatch(/parameter +estimate +std\. error +95 % interval/);
    for (const name of ["r", "alpha", "a", "b"]) expect(stdout).toMatch(new RegExp(`\\n  ${name} +\\d+\\.\\d+ +\\d+\\.\\d+ +\\d+\\.\\d+ – \\d+\\.\\d+`));
    expect(stdout).toMatch(/log-likelihood -\d+\.\d\d \(converged after \d+ iterations\)/);
  });

  it("prints the fit as JSON", () => {
    const { code, stdout } = runCli(["model", "fit", "--shop", SHOP, "--until", "2026-07-03", "--unit", "day", "--json"], env);
    expect(code).toBe(0);
    const fit: unknown = JSON.parse(stdout);
    expect(fit).toMatchObject({
      status: "fitted",
      shop: SHOP,
      unit: "day",
      until: "2026-07-03",
      customers: 300,
      historyDays: expect.any(Number),
      converged: true,
      params: { r: expect.any(Number), alpha: expect.any(Number), a: expect.any(Number), b: expect.any(Number) },
      intervals: { r: [expect.any(Number), expect.any(Number)] },
      logLikelihood: expect.any(Number),
    });
  });

  it("says why predictions are withheld, as a valid outcome (exit 0)", () => {
    const { code, stdout } = runCli(["model", "fit", "--shop", THIN, "--until", "2026-03-01", "--unit", "week"], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Predictions withheld: Predictions need at least 50 members with two or more visits; this shop has \d+\./);
    const json = runCli(["model", "fit", "--shop", THIN, "--until", "2026-03-01", "--unit", "week", "--json"], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "withheld", reason: expect.stringContaining("at least 50 members") });
  });

  it("names an unknown shop", () => {
    const { code, stderr } = runCli(["model", "fit", "--shop", "corner-cafe.myshopify.com", "--until", "2026-03-01", "--unit", "week"], env);
    expect(code).toBe(1);
    expect(stderr).toContain("regulars: Shop corner-cafe.myshopify.com is not known to Regulars.");
  });

  it.each([
    [["--shop", "north-cafe", "--until", "2026-03-01", "--unit", "week"], /error: --shop must be the shop's \*\.myshopify\.com domain/],
    [["--shop", SHOP, "--until", "2026-02-30", "--unit", "week"], /error: --until must be a calendar date written YYYY-MM-DD .*\(got "2026-02-30"\)/],
    [["--shop", SHOP, "--until", "03/01/2026", "--unit", "week"], /error: --until must be a calendar date written YYYY-MM-DD/],
    [["--shop", SHOP, "--until", "2026-03-01", "--unit", "month"], /error: option '--unit <unit>' argument 'month' is invalid\. Allowed choices are day, week\./],
    [["--shop", SHOP, "--unit", "week"], /error: required option '--until <date>' not specified/],
    [["--shop", SHOP, "--until", "2026-03-01"], /error: required option '--unit <unit>' not specified/],
  ])("exits 2 on bad flags: %j", (flags, message) => {
    const { code, stderr } = runCli(["model", "fit", ...flags], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
