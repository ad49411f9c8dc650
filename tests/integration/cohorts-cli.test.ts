import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCliAsync as runCli } from "../support/cli";

/** `regulars cohorts`: its flags are checked before anything runs, and an empty or unknown shop gets a plain answer. */

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const SHOP = "quiet-cafe.myshopify.com";

describe("regulars cohorts", () => {
  it("prints help naming every flag", async () => {
    const { code, stdout } = await runCli(["cohorts", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars cohorts/);
    for (const flag of ["--shop <domain>", "--return-days <n>", "--by <kind>", "--period <period>", "--until <date>", "--json"]) expect(stdout).toContain(flag);
  });

  it.each([
    [["--shop", "quiet-cafe.example.com", "--return-days", "12"], /^regulars: --shop .*myshopify\.com.* \(got "quiet-cafe\.example\.com"\)$/],
    [["--shop", SHOP, "--return-days", "0"], /^regulars: --return-days must be a whole number of days from 1 to 60 \(got "0"\)$/],
    [["--shop", SHOP, "--return-days", "61"], /^regulars: --return-days must be a whole number of days from 1 to 60 \(got "61"\)$/],
    [["--shop", SHOP, "--return-days", "7.5"], /^regulars: --return-days must be a whole number of days from 1 to 60 \(got "7\.5"\)$/],
    [["--shop", SHOP, "--return-days", "twelve"], /^regulars: --return-days must be a whole number of days from 1 to 60 \(got "twelve"\)$/],
    [["--shop", SHOP, "--return-days", "12", "--until", "2025-02-30"], /^regulars: --until must be a calendar date written YYYY-MM-DD .* \(got "2025-02-30"\)$/],
    [["--shop", SHOP, "--return-days", "12", "--until", "yesterday"], /^regulars: --until must be a calendar date written YYYY-MM-DD .* \(got "yesterday"\)$/],
    [["--shop", SHOP, "--return-days", "12", "--by", "persona"], /^regulars: --by must be pattern or acquisition \(got "persona"\)$/],
    [["--shop", SHOP, "--return-days", "12", "--by", "acquisition", "--period", "day"], /^regulars: --period must be week or month \(got "day"\)$/],
    [["--shop", SHOP, "--return-days", "12", "--period", "month"], /^regulars: --period applies to --by acquisition only$/],
  ])("rejects %j with a message naming the flag", async (args, message) => {
    const { code, stderr, stdout } = await runCli(["cohorts", ...args]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toMatch(message);
  });

  it("requires --shop and --return-days", async () => {
    expect((await runCli(["cohorts", "--return-days", "12"])).stderr).toMatch(/required option '--shop <domain>' not specified/);
    expect((await runCli(["cohorts", "--shop", SHOP])).stderr).toMatch(/required option '--return-days <n>' not specified/);
  });

  it("names an unknown shop, and answers plainly for a shop without visits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "regulars-cohorts-cli-"));
    folders.push(dir);
    const env = { DATA_DIR: join(dir, "data") };
    expect((await runCli(["db", "migrate"], env)).code).toBe(0);

    const unknown = await runCli(["cohorts", "--shop", SHOP, "--return-days", "12"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      `regulars: Shop ${SHOP} is not known to Regulars. Install the app on it, or register it with: regulars shop create ${SHOP} --timezone Area/City --currency XXX`,
    );

    expect((await runCli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP"], env)).code).toBe(0);
    const empty = await runCli(["cohorts", "--shop", SHOP, "--return-days", "12"], env);
    expect([empty.code, empty.stdout.trim(), empty.stderr]).toEqual([0, `${SHOP} has no visits yet: nothing to put in cohorts.`, ""]);
    const json = await runCli(["cohorts", "--shop", SHOP, "--return-days", "30", "--by", "acquisition", "--until", "2025-10-31", "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ status: "no-visits", shop: SHOP, until: "2025-10-31", message: `${SHOP} has no visits on or before 2025-10-31 yet: nothing to put in cohorts.` });
  });
});
