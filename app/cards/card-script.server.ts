import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import cardClientSource from "./card-client.js?raw";

/**
 * The card page's script: qrcode-generator's browser build (MIT, it defines
 * the global `qrcode`) followed by app/cards/card-client.js. One file, so
 * the service worker has one thing to keep besides the page. The library is
 * read from node_modules (its package exports no subpath for `?raw`), once.
 */

let source: string | null = null;

export function cardScriptSource(): string {
  if (source === null) {
    const library = readFileSync(createRequire(import.meta.url).resolve("qrcode-generator"), "utf8");
    source = `${library}\n;\n${cardClientSource}`;
  }
  return source;
}
