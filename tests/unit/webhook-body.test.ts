import { describe, expect, it } from "vitest";
import { webhookBodyError } from "../../app/webhooks/parse";

const customer = (email: string) => JSON.stringify({ id: 7, email, updated_at: "2026-11-20T10:00:00Z" });

describe("webhook bodies intake refuses before recording", () => {
  it("refuses an escaped NUL anywhere, which PostgreSQL text cannot hold", () => {
    expect(webhookBodyError("customers/update", customer("a\u0000@example.com"))).toBe("body holds a NUL character (\\u0000), which cannot be stored");
    expect(webhookBodyError("customers/update", JSON.stringify({ id: 7, email: "a@example.com", note: "x\\\u0000" }))).not.toBeNull();
  });

  it("accepts the text \\u0000 when its backslash is itself escaped", () => {
    expect(webhookBodyError("customers/update", JSON.stringify({ id: 7, email: "a@example.com", note: "\\u0000", updated_at: "2026-11-20T10:00:00Z" }))).toBeNull();
    expect(webhookBodyError("customers/update", customer("a@example.com"))).toBeNull();
  });

  it("refuses a body that is not JSON", () => {
    expect(webhookBodyError("customers/update", '{"id": 7,')).toBe("body is not JSON");
  });
});
