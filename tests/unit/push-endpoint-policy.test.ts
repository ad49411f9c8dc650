import { describe, expect, it } from "vitest";
import { DEFAULT_PUSH_SERVICE_HOSTS } from "../../app/config.server";
import { checkEndpointShape, checkPushEndpoint, guardedLookup, hostAllowed, isPublicAddress, type EndpointPolicy } from "../../app/push/endpoint-policy.server";

const production: EndpointPolicy = { serviceHosts: [...DEFAULT_PUSH_SERVICE_HOSTS], allowLocalReceivers: false };
const testing: EndpointPolicy = { ...production, allowLocalReceivers: true };

/** A resolver with fixed answers, so no test depends on the network. */
const dns: Record<string, string[]> = {
  "fcm.googleapis.com": ["142.250.74.42", "2a00:1450:4009:81f::200a"],
  "updates.push.services.mozilla.com": ["34.117.65.55"],
  "web.push.apple.com": ["17.188.143.34"],
  "wns2-par02p.notify.windows.com": ["20.199.120.182"],
  "rebind.push.apple.com": ["17.188.143.34", "10.0.0.7"],
  "metadata.notify.windows.com": ["169.254.169.254"],
  "mapped.push.apple.com": ["::ffff:127.0.0.1"],
  "localhost": ["127.0.0.1"],
};
const resolve = async (host: string) => {
  const answer = dns[host];
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return answer;
};

describe("push endpoint policy", () => {
  it.each([
    // endpoint, policy, verdict
    ["https://fcm.googleapis.com/fcm/send/abc:APA91b", production, "ok"],
    ["https://updates.push.services.mozilla.com/wpush/v2/gAAAAA", production, "ok"],
    ["https://web.push.apple.com/QGuQyavXutnMH", production, "ok"],
    ["https://wns2-par02p.notify.windows.com/w/?token=BQYAAA", production, "ok"],
    ["http://fcm.googleapis.com/fcm/send/abc", production, "not-https"],
    ["https://evil.example.com/push", production, "not-allowed-host"],
    ["https://fcm.googleapis.com.evil.example.com/x", production, "not-allowed-host"],
    ["https://push.apple.com/x", production, "not-allowed-host"],
    ["https://notify.windows.com/x", production, "not-allowed-host"],
    ["https://142.250.74.42/fcm/send/abc", production, "not-allowed-host"],
    ["https://[::1]/push", production, "not-allowed-host"],
    ["https://user:pw@fcm.googleapis.com/fcm/send/abc", production, "malformed"],
    ["not a url", production, "malformed"],
    [`https://fcm.googleapis.com/${"a".repeat(2100)}`, production, "malformed"],
    ["javascript:alert(1)", production, "not-https"],
    ["file:///etc/passwd", production, "not-https"],
    ["https://rebind.push.apple.com/x", production, "private-address"],
    ["https://metadata.notify.windows.com/x", production, "private-address"],
    ["https://mapped.push.apple.com/x", production, "private-address"],
    ["https://unknown.push.apple.com/x", production, "unresolvable"],
    ["http://127.0.0.1:4321/push/abc", production, "not-https"],
    ["http://localhost:4321/push/abc", production, "not-https"],
    // The test-only flag admits a loopback receiver over plain HTTP, and nothing else.
    ["http://127.0.0.1:4321/push/abc", testing, "ok"],
    ["http://localhost:4321/push/abc", testing, "ok"],
    ["http://[::1]:4321/push/abc", testing, "ok"],
    ["http://10.0.0.7:4321/push/abc", testing, "not-https"],
    ["http://192.168.1.10/push", testing, "not-https"],
    ["https://10.0.0.7/push", testing, "not-allowed-host"],
    ["https://metadata.notify.windows.com/x", testing, "private-address"],
  ] as const)("%s (%#)", async (endpoint, policy, verdict) => {
    const check = await checkPushEndpoint(endpoint, policy, resolve);
    expect(check.ok ? "ok" : check.reason).toBe(verdict);
    if (!check.ok) expect(check.message.length).toBeGreaterThan(10);
  });

  it("checks the shape without the network first", () => {
    expect(checkEndpointShape("https://evil.example.com/", production)).toMatchObject({ ok: false, message: "evil.example.com is not a push service this app sends to" });
  });

  it.each([
    ["8.8.8.8", true],
    ["142.250.74.42", true],
    ["2a00:1450:4009:81f::200a", true],
    ["127.0.0.1", false],
    ["127.8.9.10", false],
    ["10.1.2.3", false],
    ["172.16.0.1", false],
    ["172.31.255.255", false],
    ["172.32.0.1", true],
    ["192.168.0.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["224.0.0.1", false],
    ["255.255.255.255", false],
    ["::1", false],
    ["::", false],
    ["fe80::1", false],
    ["fd00::1", false],
    ["::ffff:10.0.0.1", false],
    ["::ffff:8.8.8.8", true],
    ["::ffff:7f00:1", false],
    ["64:ff9b::127.0.0.1", false],
    ["not-an-ip", false],
  ])("isPublicAddress(%s) = %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("matches wildcard hosts only below the domain", () => {
    expect(hostAllowed("web.push.apple.com", ["*.push.apple.com"])).toBe(true);
    expect(hostAllowed("WEB.PUSH.APPLE.COM.", ["*.push.apple.com"])).toBe(true);
    expect(hostAllowed("push.apple.com", ["*.push.apple.com"])).toBe(false);
    expect(hostAllowed("evilpush.apple.com", ["*.push.apple.com"])).toBe(false);
    expect(hostAllowed("fcm.googleapis.com", ["fcm.googleapis.com"])).toBe(true);
    expect(hostAllowed("x.fcm.googleapis.com", ["fcm.googleapis.com"])).toBe(false);
  });

  it("refuses a private address again at connect time (a name that changed its answer)", async () => {
    const lookup = guardedLookup({ allowLocalReceivers: false });
    const outcome = await new Promise<{ error: NodeJS.ErrnoException | null }>((resolveLookup) =>
      lookup("localhost", {}, (error) => resolveLookup({ error })),
    );
    expect(outcome.error?.code).toBe("EPUSHADDRESS");
    const allowed = await new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolveLookup) =>
      guardedLookup({ allowLocalReceivers: true })("localhost", {}, (error, address) => resolveLookup({ error, address })),
    );
    expect(allowed.error).toBeNull();
  });
});
