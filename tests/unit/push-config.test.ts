import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_PUSH_SERVICE_HOSTS, parseConfig, requireEncryptionKey } from "../../app/config.server";

const production = { NODE_ENV: "production", SHOPIFY_API_KEY: "key", SHOPIFY_API_SECRET: "secret", SHOPIFY_APP_URL: "https://regulars.example.com" };
const KEY_HEX = "7f".repeat(32);
const KEY_BASE64 = Buffer.alloc(32, 7).toString("base64");

function configError(env: Record<string, string>, options?: Parameters<typeof parseConfig>[1]): string {
  try {
    parseConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("APP_ENCRYPTION_KEY", () => {
  it("gives the demo and tests a fixed development key", () => {
    const first = parseConfig({ DEMO: "1" }).encryptionKey;
    expect(first).toHaveLength(32);
    expect(parseConfig({ DEMO: "1", NODE_ENV: "test" }).encryptionKey?.equals(first ?? Buffer.alloc(0))).toBe(true);
  });

  it("reads 64 hex digits or base64 (standard or url-safe)", () => {
    expect(parseConfig({ ...production, APP_ENCRYPTION_KEY: KEY_HEX }).encryptionKey?.toString("hex")).toBe(KEY_HEX);
    expect(parseConfig({ ...production, APP_ENCRYPTION_KEY: KEY_BASE64 }).encryptionKey?.equals(Buffer.alloc(32, 7))).toBe(true);
    const urlSafe = Buffer.alloc(32, 0xfb).toString("base64url");
    expect(parseConfig({ ...production, APP_ENCRYPTION_KEY: urlSafe }).encryptionKey?.equals(Buffer.alloc(32, 0xfb))).toBe(true);
  });

  it("is required in production, with how to make one", () => {
    expect(configError(production)).toMatch(/APP_ENCRYPTION_KEY is required when NODE_ENV=production: 32 random bytes .* openssl rand -base64 32/);
  });

  it("lets a maintenance command start without it, and fails what needs it", () => {
    expect(parseConfig({ NODE_ENV: "production" }, { requireShopifyCredentials: false }).encryptionKey).toBeNull();
    const config = parseConfig(production, { requireShopifyCredentials: false });
    expect(config.encryptionKey).toBeNull();
    expect(() => requireEncryptionKey(config)).toThrow(/APP_ENCRYPTION_KEY is required for this command/);
  });

  it.each([
    ["too-short", /neither hex nor base64|decodes to/],
    [Buffer.alloc(16).toString("base64"), /decodes to 16 bytes/],
    ["ab".repeat(33), /decodes to/],
    ["not base64 at all!", /neither hex nor base64/],
  ])("refuses %s without printing it", (value, message) => {
    const text = configError({ ...production, APP_ENCRYPTION_KEY: value });
    expect(text).toMatch(message);
    expect(text).not.toContain(value);
  });

  it("refuses the public development key in production", () => {
    const development = parseConfig({ DEMO: "1" }).encryptionKey?.toString("hex") ?? "";
    expect(configError({ ...production, APP_ENCRYPTION_KEY: development })).toMatch(/public development key/);
  });
});

describe("push settings", () => {
  it("default to the big push services, 50 pushes/s per shop, and the app URL as contact", () => {
    const config = parseConfig({ ...production, APP_ENCRYPTION_KEY: KEY_HEX });
    expect(config.push).toEqual({ serviceHosts: [...DEFAULT_PUSH_SERVICE_HOSTS], allowLocalReceivers: false, http: "auto", ratePerShop: 50, contact: "https://regulars.example.com" });
    expect(parseConfig({ DEMO: "1" }).push.contact).toBe("mailto:push@regulars.invalid");
  });

  it("read a custom allow-list and refuse a malformed entry", () => {
    expect(parseConfig({ DEMO: "1", PUSH_SERVICE_HOSTS: "FCM.googleapis.com, *.push.example.net" }).push.serviceHosts).toEqual(["fcm.googleapis.com", "*.push.example.net"]);
    expect(configError({ DEMO: "1", PUSH_SERVICE_HOSTS: "https://fcm.googleapis.com" })).toMatch(/PUSH_SERVICE_HOSTS entry "https:\/\/fcm.googleapis.com" is not a host name/);
    expect(configError({ DEMO: "1", PUSH_SERVICE_HOSTS: " , " })).toMatch(/PUSH_SERVICE_HOSTS names no host/);
  });

  it("refuse the local-receiver flag in production", () => {
    expect(configError({ ...production, APP_ENCRYPTION_KEY: KEY_HEX, PUSH_ALLOW_LOCAL_RECEIVERS: "1" })).toMatch(/PUSH_ALLOW_LOCAL_RECEIVERS .* cannot be set when NODE_ENV=production/);
    expect(parseConfig({ DEMO: "1", PUSH_ALLOW_LOCAL_RECEIVERS: "1" }).push.allowLocalReceivers).toBe(true);
  });

  it("check the contact and the rate", () => {
    expect(configError({ DEMO: "1", PUSH_CONTACT: "ops@example.com" })).toMatch(/PUSH_CONTACT must be a mailto: address or an https:\/\/ URL/);
    expect(parseConfig({ DEMO: "1", PUSH_CONTACT: "mailto:ops@example.com" }).push.contact).toBe("mailto:ops@example.com");
    expect(configError({ DEMO: "1", PUSH_RATE_PER_SHOP: "0" })).toMatch(/PUSH_RATE_PER_SHOP/);
  });

  it("read which HTTP the sender speaks, and refuse another", () => {
    expect(parseConfig({ DEMO: "1", PUSH_HTTP: "1.1" }).push.http).toBe("1.1");
    expect(parseConfig({ DEMO: "1", PUSH_HTTP: "2" }).push.http).toBe("2");
    expect(parseConfig({ DEMO: "1", PUSH_HTTP: "" }).push.http).toBe("auto");
    expect(configError({ DEMO: "1", PUSH_HTTP: "3" })).toMatch(/PUSH_HTTP/);
  });
});
