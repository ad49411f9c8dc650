/**
 * The local Web Push receiver (tests/support/push-receiver.ts) in a process of
 * its own, so the benchmark's sender CPU does not include it. Subscriptions
 * named s<n> resolve to the key pair seeded "k<n mod POOL>" and must be signed
 * with the shop key given; every push's VAPID JWT is checked and, when
 * VERIFY_EVERY=1, every payload decrypted (else one in VERIFY_EVERY).
 * Talks to its parent over IPC: { ready, origin } then answers "stats".
 */
import { startPushReceiver } from "../../tests/support/push-receiver";

const pool = Number(process.env.POOL ?? "100");
const applicationServerKey = process.env.SHOP_PUBLIC_KEY ?? "";
const receiver = await startPushReceiver({
  resolveUnknown: (id) => {
    const match = /^s(\d+)$/.exec(id);
    return match?.[1] ? { keySeed: `k${Number(match[1]) % pool}`, applicationServerKey } : null;
  },
});

process.on("message", (message: unknown) => {
  if (message === "stats") {
    const sample = receiver.received.slice(-1)[0];
    process.send?.({ type: "stats", received: receiver.received.length, rejected: receiver.rejected.length, requests: receiver.totalRequests(), firstRejection: receiver.rejected[0] ?? null, sample: sample?.text ?? null });
  } else if (message === "stop") {
    void receiver.close().then(() => process.exit(0));
  }
});
process.send?.({ type: "ready", origin: receiver.origin });
