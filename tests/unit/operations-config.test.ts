import { describe, expect, it } from "vitest";
import { ConfigError, logLevelFromEnv, parseConfig } from "../../app/config.server";

function configError(env: Record<string, string>): string {
  try {
    parseConfig({ DEMO: "1", ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("LOG_LEVEL", () => {
  it("defaults to info, and to silent under NODE_ENV=test", () => {
    expect(parseConfig({ DEMO: "1" }).logLevel).toBe("info");
    expect(parseConfig({ DEMO: "1", NODE_ENV: "test" }).logLevel).toBe("silent");
    expect(parseConfig({ DEMO: "1", NODE_ENV: "test", LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(parseConfig({ DEMO: "1", LOG_LEVEL: "" }).logLevel).toBe("info");
  });

  it("stops with a message naming the variable and the levels", () => {
    expect(configError({ LOG_LEVEL: "verbose" })).toBe(
      'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    );
  });

  it("is read alone (for the logger, before the rest of the configuration) with the same rules", () => {
    expect(logLevelFromEnv({})).toBe("info");
    expect(logLevelFromEnv({ NODE_ENV: "test" })).toBe("silent");
    expect(logLevelFromEnv({ LOG_LEVEL: "silent" })).toBe("silent");
    expect(() => logLevelFromEnv({ LOG_LEVEL: "INFO" })).toThrow(/LOG_LEVEL must be one of fatal, error/);
  });
});

describe("METRICS_TOKEN", () => {
  const token = "0123456789abcdef0123456789abcdef";

  it("is off (null) unless set", () => {
    expect(parseConfig({ DEMO: "1" }).metricsToken).toBeNull();
    expect(parseConfig({ DEMO: "1", METRICS_TOKEN: "" }).metricsToken).toBeNull();
    expect(parseConfig({ DEMO: "1", METRICS_TOKEN: token }).metricsToken).toBe(token);
  });

  it("refuses a short or spaced token without repeating it", () => {
    const short = configError({ METRICS_TOKEN: "hunter2" });
    expect(short).toBe("Invalid configuration: METRICS_TOKEN must be at least 32 characters (generate one with: openssl rand -hex 32)");
    const spaced = configError({ METRICS_TOKEN: `${token} ${token}` });
    expect(spaced).toMatch(/^Invalid configuration: METRICS_TOKEN must be printable ASCII without spaces/);
    expect(spaced).not.toContain(token);
  });
});
