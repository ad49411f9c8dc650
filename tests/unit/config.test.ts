import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, redactUrl } from "../../app/config.server";

const shopifyEnv = {
  SHOPIFY_API_KEY: "key",
  SHOPIFY_API_SECRET: "secret",
  SHOPIFY_APP_URL: "https://regulars.example.com",
};

function configError(env: Record<string, string>, options?: Parameters<typeof parseConfig>[1]): string {
  try {
    parseConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("defaults to the embedded database and the PostgreSQL queue backend", () => {
    const config = parseConfig({ DEMO: "1" });
    expect(config.database).toEqual({ kind: "embedded", dataDir: ".data", port: 0 });
    expect(config.queue).toEqual({ kind: "postgres" });
    expect(config.port).toBe(3000);
    expect(config.role).toBe("all");
    expect(config.shopify.appUrl).toBe("http://127.0.0.1:3000");
    expect(config.jobStalledIntervalMs).toBe(30_000);
  });

  it("reads the stalled-job check interval", () => {
    expect(parseConfig({ DEMO: "1", JOB_STALLED_INTERVAL_MS: "2000" }).jobStalledIntervalMs).toBe(2_000);
  });

  it("uses DATABASE_URL and REDIS_URL when set", () => {
    const config = parseConfig({
      ...shopifyEnv,
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/test",
      REDIS_URL: "redis://127.0.0.1:6379",
    });
    expect(config.database).toEqual({ kind: "postgres", url: "postgresql://postgres@127.0.0.1:5432/test" });
    expect(config.queue).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379" });
  });

  it("treats empty variables as unset", () => {
    const config = parseConfig({ DEMO: "1", DATABASE_URL: "", REDIS_URL: "" });
    expect(config.database.kind).toBe("embedded");
    expect(config.queue.kind).toBe("postgres");
  });

  it.each([
    [{ DATABASE_URL: "not-a-url" }, /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL \(got "not-a-url"\)$/],
    [{ DATABASE_URL: "mysql://localhost/db" }, /DATABASE_URL must be a postgres/],
    [{ REDIS_URL: "localhost:6379" }, /REDIS_URL must be a redis:\/\//],
    [{ PORT: "eighty" }, /^Invalid configuration: PORT /],
    [{ PORT: "70000" }, /PORT/],
    [{ ROLE: "cron" }, /ROLE/],
    [{ DEMO: "maybe" }, /DEMO/],
    [{ WORKER_CONCURRENCY: "0" }, /WORKER_CONCURRENCY/],
    [{ JOB_STALLED_INTERVAL_MS: "0" }, /JOB_STALLED_INTERVAL_MS/],
    [{ JOB_STALLED_INTERVAL_MS: "soon" }, /JOB_STALLED_INTERVAL_MS/],
  ])("names the variable when %o is malformed", (env, message) => {
    const text = configError({ ...shopifyEnv, ...env });
    expect(text).toMatch(message);
    expect(text.split("\n")).toHaveLength(1);
  });

  it("requires Shopify credentials outside the demo", () => {
    expect(configError({})).toMatch(/SHOPIFY_API_KEY is required/);
    expect(configError({ SHOPIFY_API_KEY: "k", SHOPIFY_API_SECRET: "s" })).toMatch(/SHOPIFY_APP_URL is required/);
  });

  it("lets maintenance commands run without Shopify credentials", () => {
    expect(parseConfig({}, { requireShopifyCredentials: false }).database.kind).toBe("embedded");
  });

  it("refuses the demo and the Shopify stand-in in production", () => {
    expect(configError({ ...shopifyEnv, NODE_ENV: "production", DEMO: "1" })).toMatch(/DEMO cannot be enabled/);
    expect(
      configError({ ...shopifyEnv, NODE_ENV: "production", SHOPIFY_API_ORIGIN_OVERRIDE: "http://127.0.0.1:4100" }),
    ).toMatch(/SHOPIFY_API_ORIGIN_OVERRIDE/);
  });

  it("splits scopes", () => {
    expect(parseConfig({ DEMO: "1", SCOPES: "read_orders, read_customers," }).shopify.scopes).toEqual([
      "read_orders",
      "read_customers",
    ]);
  });
});

describe("redactUrl", () => {
  it("hides passwords", () => {
    expect(redactUrl("postgresql://app:hunter2@db.internal:5432/regulars")).toBe(
      "postgresql://app:***@db.internal:5432/regulars",
    );
  });
});
