import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";

/** `regulars push keys` and `regulars push rotate-key` against the embedded database, as an operator runs them. */

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe("regulars push CLI", () => {
  it.each([[["push"]], [["push", "rotate-key"]], [["push", "keys"]]])("prints help for %j", (command) => {
    const { code, stdout } = runCli([...command, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars push/);
  });

  it("rotates a shop's key: a new active key, the old one retired", () => {
    const folder = mkdtempSync(join(tmpdir(), "regulars-push-cli-"));
    folders.push(folder);
    const env = { DATA_DIR: join(folder, "data") };
    expect(runCli(["db", "migrate"], env).code).toBe(0);
    expect(runCli(["shop", "create", "corner-cafe.myshopify.com", "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);

    expect(runCli(["push", "keys", "--shop", "corner-cafe.myshopify.com"], env).stdout).toContain("has no push key yet");
    const first = runCli(["push", "rotate-key", "--shop", "corner-cafe.myshopify.com"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("corner-cafe.myshopify.com: k1 is the active push key.");
    const second = runCli(["push", "rotate-key", "--shop", "corner-cafe.myshopify.com", "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    const outcome = JSON.parse(second.stdout) as { active: { id: string }; retired: Array<{ id: string }>; keys: Array<{ id: string; status: string; activeSubscriptions: number }> };
    expect(outcome.active.id).toBe("k2");
    expect(outcome.retired.map((key) => key.id)).toEqual(["k1"]);
    expect(outcome.keys.map((key) => [key.id, key.status, key.activeSubscriptions])).toEqual([["k1", "retired", 0], ["k2", "active", 0]]);
    expect(JSON.stringify(outcome)).not.toContain("privateKey");

    const unknown = runCli(["push", "rotate-key", "--shop", "nowhere-cafe.myshopify.com"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("nowhere-cafe.myshopify.com is not installed here");
    const bad = runCli(["push", "rotate-key", "--shop", "cafe.com"], env);
    expect(bad.stderr).toContain("--shop must be a *.myshopify.com domain");
  });

  it("refuses to rotate in production without APP_ENCRYPTION_KEY, saying how to set it", () => {
    const { code, stderr } = runCli(["push", "rotate-key", "--shop", "corner-cafe.myshopify.com"], { NODE_ENV: "production", DATA_DIR: join(tmpdir(), "regulars-push-cli-none") });
    expect(code).toBe(1);
    expect(stderr).toMatch(/APP_ENCRYPTION_KEY is required for this command: 32 random bytes/);
  });
});
