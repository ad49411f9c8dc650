/**
 * The local Web Push receiver (tests/support/push-receiver.ts) in a process of
 * its own, so the benchmark's sender CPU does not include it. Subscriptions
 * named s<n> resolve to the key pair seeded "k<n mod POOL>" and must be signed
 * with the shop key given. Like a push service, it checks every push's
 * headers, VAPID claims and aes128gcm framing, and verifies the JWT's
 * signature once per connection; like a browser, it decrypts a random one in
 * DECRYPT_ONE_IN pushes (1: every push), so the CPU it shares with the sender
 * stays near what a push service spends.
 * Talks to its parent over IPC: { ready, origin } then answers "stats".
 */
import { readFileSync } from "node:fs";
import { startPushReceiver } from "../../tests/support/push-receiver";

const pool = Number(process.env.POOL ?? "100");
const decryptOneIn = Number(process.env.DECRYPT_ONE_IN ?? "1");
const applicationServerKey = process.env.SHOP_PUBLIC_KEY ?? "";
if (!Number.isInteger(pool) || pool <= 0) throw new Error(`POOL must be a positive integer (got ${JSON.stringify(process.env.POOL)})`);
if (!Number.isInteger(decryptOneIn) || decryptOneIn <= 0) throw new Error(`DECRYPT_ONE_IN must be a positive integer (got ${JSON.stringify(process.env.DECRYPT_ONE_IN)})`);
const tlsFile = (name: string) => readFileSync(new URL(`../../tests/support/tls/${name}`, import.meta.url), "utf8");
const receiver = await startPushReceiver({
  decryptOneIn,
  // RECEIVER_TLS=1: HTTPS with the test certificate, h2 or http/1.1 by ALPN.
  ...(process.env.RECEIVER_TLS === "1" ? { tls: { key: tlsFile("localhost.key"), cert: tlsFile("localhost.pem") } } : {}),
  resolveUnknown: (id) => {
    const match = /^s(\d+)$/.exec(id);
    return match?.[1] ? { keySeed: `k${Number(match[1]) % pool}`, applicationServerKey } : null;
  },
});

process.on("message", (message: unknown) => {
  if (message === "stats") {
    const sample = receiver.received.findLast((push) => push.decrypted);
    process.send?.({
      type: "stats",
      received: receiver.received.length,
      decrypted: receiver.decryptedCount(),
      rejected: receiver.rejected.length,
      requests: receiver.totalRequests(),
      byProtocol: receiver.requestsByProtocol(),
      firstRejection: receiver.rejected[0] ?? null,
      sample: sample?.text ?? null,
      cpuMicros: ((usage) => usage.user + usage.system)(process.cpuUsage()),
    });
  } else if (message === "stop") {
    void receiver.close().then(() => process.exit(0));
  }
});
process.send?.({ type: "ready", origin: receiver.origin });
