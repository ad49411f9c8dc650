/**
 * The comparison for bench:ingest: the least a webhook endpoint can do — a bare
 * node:http handler that checks the HMAC and inserts the order in one
 * statement before answering. No framework, no queue, no validation.
 *   tsx bench/support/raw-webhook-server.ts DATABASE_URL SECRET
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

const [databaseUrl, secret] = process.argv.slice(2);
if (!databaseUrl || !secret) {
  console.error("usage: raw-webhook-server DATABASE_URL SECRET");
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
await pool.query(`CREATE TABLE IF NOT EXISTS raw_order (shop text NOT NULL, id text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (shop, id))`);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const given = Buffer.from(String(req.headers["x-shopify-hmac-sha256"] ?? ""), "base64");
    const expected = createHmac("sha256", secret).update(body).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401).end();
      return;
    }
    const text = body.toString("utf8");
    const id = /"id":(\d+)/.exec(text)?.[1] ?? "";
    pool
      .query("INSERT INTO raw_order (shop, id, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
        String(req.headers["x-shopify-shop-domain"]),
        id,
        text,
      ])
      .then(
        () => res.writeHead(200).end("ok"),
        () => res.writeHead(500).end(),
      );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (typeof address === "object" && address) console.log(`serving http://127.0.0.1:${address.port}`);
});
process.on("SIGINT", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
