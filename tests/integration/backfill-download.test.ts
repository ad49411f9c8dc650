import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BulkDownloadError, openBulkFile } from "../../app/sync/backfill/download.server";

/** A file server like the storage Shopify's bulk files live on: Range requests answered with 206. */
const FILE = Buffer.from('{"id":"gid://shopify/Customer/1"}\n{"id":"gid://shopify/Customer/2"}\n');

let server: Server;
let origin: string;

async function read(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts).toString();
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    if (request.url === "/ranged.jsonl" && range) {
      const start = Number(range[1]);
      if (start >= FILE.length) {
        response.writeHead(416).end();
        return;
      }
      response.writeHead(206, { "Content-Range": `bytes ${start}-${FILE.length - 1}/${FILE.length}` }).end(FILE.subarray(start));
      return;
    }
    if (request.url === "/ranged.jsonl" || request.url === "/plain.jsonl") {
      response.writeHead(200).end(FILE);
      return;
    }
    response.writeHead(403).end("expired");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  origin = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("openBulkFile", () => {
  it("streams the whole file from the start", async () => {
    const file = await openBulkFile(`${origin}/ranged.jsonl`, 0);
    expect(file.startsAtOffset).toBe(false);
    expect(await read(file.body)).toBe(FILE.toString());
  });

  it("asks only for the rest when resuming", async () => {
    const offset = FILE.indexOf("\n") + 1;
    const file = await openBulkFile(`${origin}/ranged.jsonl`, offset);
    expect(file.startsAtOffset).toBe(true);
    expect(await read(file.body)).toBe('{"id":"gid://shopify/Customer/2"}\n');
  });

  it("takes the whole file from a server that ignores Range (the importer then skips what it wrote)", async () => {
    const file = await openBulkFile(`${origin}/plain.jsonl`, 10);
    expect(file.startsAtOffset).toBe(false);
    expect(await read(file.body)).toBe(FILE.toString());
  });

  it("has nothing more to read past the end", async () => {
    const file = await openBulkFile(`${origin}/ranged.jsonl`, FILE.length);
    expect(file.startsAtOffset).toBe(true);
    expect(await read(file.body)).toBe("");
  });

  it("fails with the HTTP status when the file is gone", async () => {
    await expect(openBulkFile(`${origin}/expired.jsonl`, 0)).rejects.toThrow(BulkDownloadError);
    await expect(openBulkFile(`${origin}/expired.jsonl`, 0)).rejects.toThrow(/HTTP 403/);
  });
});
