import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue } from "./graphql/execute.ts";

/** What a route handler answers; the server writes it out as JSON. */
export interface HttpReply {
  status: number;
  body: JsonValue;
  headers?: Record<string, string>;
}

/** Request bodies are small (GraphQL documents, token requests); cap them all the same. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendReply(response: ServerResponse, reply: HttpReply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...reply.headers,
  });
  response.end(body);
}
