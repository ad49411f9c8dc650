import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CSV_HEADER } from "../../app/simulate/csv";
import { signWebhookBody } from "../../standin/webhooks/send";
import { runCli, type CliResult } from "../support/cli";

/** `regulars simulate` run as a person would, with its files read back. */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "regulars-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = ["simulate", "--shop", "cli-cafe.myshopify.com", "--months", "1", "--members", "150", "--until", "2025-04-01T00:00:00+01:00", "--no-progress"];

const truthFile = z.object({
  window: z.object({ days: z.number() }),
  summary: z.object({ customers: z.number(), orders: z.number(), cancelledOrders: z.number(), guestOrders: z.number() }),
  customers: z.array(
    z.object({
      id: z.string(),
      pattern: z.string().regex(/^(weekday|weekend)-(morning|midday|afternoon|evening)$/),
      returnWithin: z.object({ "7": z.number(), "12": z.number(), "30": z.number() }),
      orders: z.number(),
      spend: z.string().regex(/^\d+\.\d\d$/),
    }),
  ),
  duplicates: z.object({ pairs: z.array(z.object({ firstId: z.string(), secondId: z.string() })) }),
});

/** Like runCli, but without blocking this process, so a receiver here can answer the CLI's requests. */
function runCliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/regulars.js", ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("regulars simulate", () => {
  it("explains itself", () => {
    const help = runCli(["simulate", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--seed", "--months", "--shop", "--members", "--guests-share", "--locations", "--timezone", "--csv", "--ground-truth", "--webhooks", "--api-secret", "--duplicate-rate", "--reorder-rate", "--concurrency"]) {
      expect(help.stdout).toContain(flag);
    }
  });

  it.each([
    [["--timezone", "Mars/Olympus", "--csv", "x.csv"], "--timezone must be an IANA time zone"],
    [["--guests-share", "2", "--csv", "x.csv"], "--guests-share"],
    [["--months", "zero", "--csv", "x.csv"], "--months"],
    [["--until", "someday", "--csv", "x.csv"], "--until must be an ISO 8601"],
    [[], "nothing to write"],
    [["--webhooks", "http://127.0.0.1:9"], "--webhooks needs --api-secret"],
    [["--webhooks", "ftp://example.com", "--api-secret", "s"], "--webhooks must be an http"],
  ])("refuses bad flags %j with a message naming the flag", (extra, message) => {
    const result = runCli([...BASE, ...extra]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it("writes the importer's CSV and the ground truth, the same for the same seed and not for another", () => {
    const paths = (name: string) => ({ csv: join(dir, `${name}.csv`), truth: join(dir, `${name}.json`) });
    const run = (name: string, seed: string) => {
      const { csv, truth } = paths(name);
      const result = runCli([...BASE, "--seed", seed, "--csv", csv, "--ground-truth", truth]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return { csv: readFileSync(csv, "utf8"), truth: readFileSync(truth, "utf8"), stdout: result.stdout };
    };
    const first = run("a", "7");
    const again = run("b", "7");
    const other = run("c", "8");
    expect(again.csv).toBe(first.csv);
    expect(again.truth).toBe(first.truth);
    expect(other.csv).not.toBe(first.csv);

    const truth = truthFile.parse(JSON.parse(first.truth));
    const lines = first.csv.trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(1 + truth.summary.orders - truth.summary.cancelledOrders);
    expect(truth.window.days).toBe(31);
    // 150 people; a few planted duplicates keep a second customer record (app/simulate/duplicates.ts).
    expect(truth.customers).toHaveLength(150 + truth.duplicates.pairs.length);
    expect(first.stdout).toContain(`${truth.summary.orders.toLocaleString("en-GB")} orders`);
    // Per customer, the CSV's rows add up to the truth's orders and spend.
    const spend = new Map<string, { orders: number; cents: number }>();
    for (const line of lines.slice(1)) {
      const [, customerId, , total] = line.split(",");
      if (!customerId) continue;
      const tally = spend.get(customerId) ?? { orders: 0, cents: 0 };
      spend.set(customerId, { orders: tally.orders + 1, cents: tally.cents + Math.round(Number(total) * 100) });
    }
    for (const customer of truth.customers) {
      expect(spend.get(customer.id) ?? { orders: 0, cents: 0 }).toEqual({ orders: customer.orders, cents: Math.round(Number(customer.spend) * 100) });
    }
  });

  it("sends signed webhooks to a running app and says how it went", async () => {
    const secret = "cli-secret";
    let valid = 0;
    let invalid = 0;
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const ok = request.headers["x-shopify-hmac-sha256"] === signWebhookBody(Buffer.concat(chunks).toString("utf8"), secret);
        if (ok) valid++;
        else invalid++;
        response.writeHead(ok ? 200 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("not listening");
    try {
      const result = await runCliAsync([...BASE, "--members", "40", "--webhooks", `http://127.0.0.1:${address.port}/`, "--api-secret", secret, "--duplicate-rate", "0.1"]);
      expect(result.code).toBe(0);
      const sent = /sent ([\d,]+) of ([\d,]+) webhooks for ([\d,]+) events \((\d+) duplicated/.exec(result.stdout);
      expect(sent).not.toBeNull();
      expect(Number(sent?.[1]?.replaceAll(",", ""))).toBe(valid);
      expect(Number(sent?.[3]?.replaceAll(",", "")) + Number(sent?.[4])).toBe(valid);
      expect(invalid).toBe(0);
      expect(valid).toBeGreaterThan(100);

      const refused = await runCliAsync([...BASE, "--members", "40", "--webhooks", `http://127.0.0.1:${address.port}`, "--api-secret", "wrong"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/webhook\(s\) failed; gave up/);
      expect(refused.stderr).toContain("401");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
