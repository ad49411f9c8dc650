/**
 * Opens a bulk operation's result file as a byte stream. The body is read as
 * it arrives (never buffered whole). A resumed import asks for the rest of the
 * file with a Range request; a server that ignores it sends the whole file,
 * and the importer skips the lines it already wrote.
 */
export class BulkDownloadError extends Error {
  constructor(readonly status: number, url: string) {
    super(`downloading the bulk operation's file failed with HTTP ${status} (${new URL(url).host})`);
    this.name = "BulkDownloadError";
  }
}

export interface BulkFile {
  body: AsyncIterable<Uint8Array>;
  /** True when the body starts at the requested offset rather than at the file's start. */
  startsAtOffset: boolean;
}

export async function openBulkFile(url: string, offset: number, signal?: AbortSignal): Promise<BulkFile> {
  const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  const response = await fetch(url, { headers, signal });
  // 416: nothing after the offset, the file was read to its end before.
  if (response.status === 416 && offset > 0) return { body: emptyBody(), startsAtOffset: true };
  if (response.status !== 200 && response.status !== 206) throw new BulkDownloadError(response.status, url);
  if (!response.body) return { body: emptyBody(), startsAtOffset: false };
  const startsAtOffset = response.status === 206 && rangeStart(response.headers.get("content-range")) === offset;
  if (response.status === 206 && !startsAtOffset) {
    await response.body.cancel();
    throw new BulkDownloadError(response.status, url);
  }
  return { body: chunks(response.body), startsAtOffset };
}

function rangeStart(contentRange: string | null): number | null {
  const match = /^bytes (\d+)-/.exec(contentRange ?? "");
  return match ? Number(match[1]) : null;
}

async function* chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Stopped early (an error, an abort): close the connection instead of draining a large file.
    if (!finished) await reader.cancel().catch(() => {});
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
