import net from "node:net";
import tls from "node:tls";

/**
 * A keep-alive HTTP/1.1 client for one push-service origin: connections
 * opened as needed up to a limit, one request at a time on each (no
 * pipelining: a push is a POST), reused while the service keeps them open.
 *
 * Only what Web Push needs, which is what makes it cheap per request: the
 * request is written as one buffer in one system call (with the others of
 * the same turn of the event loop, `flushWrites`), and the answer is
 * read for its status, Retry-After, the connection's fate and, on a
 * refusal, the start of its text. Bodies may come with Content-Length,
 * chunked, or until the connection closes; 1xx answers are skipped. Anything
 * else that does not parse as HTTP/1.1 fails the request and closes the
 * connection. (docs/decisions/0028-push-http-client.md)
 */

export interface Http1Answer {
  statusCode: number;
  /** The Retry-After header as sent, if any. */
  retryAfter: string | undefined;
  /** The first bytes of the body (up to `keepBodyBytes`), only for a status outside 2xx. */
  body: Buffer;
}

export type Http1Callback = (error: Error | null, answer: Http1Answer | null) => void;

export interface Http1Options {
  /** Connections open (or opening) at most; further requests wait for one to be free. */
  maxConnections: number;
  /** Resolves the host for every new connection (the endpoint policy's guarded lookup). */
  lookup: net.LookupFunction;
  /** An idle connection is closed after this long, or sooner when the service's Keep-Alive says so. */
  keepAliveMs: number;
  /** A connection not established within this long fails its request. */
  connectTimeoutMs: number;
  /** Bytes of a refusal's body kept for its error message. */
  keepBodyBytes: number;
  /** Certificate authorities trusted for HTTPS instead of the system's (tests only). */
  ca?: string;
}

/** The largest status line and headers read; a longer head is not a push service's answer. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line longer than this is malformed. */
const MAX_CHUNK_LINE_BYTES = 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

export class HttpProtocolError extends Error {
  readonly code = "EPUSHPROTOCOL";
  constructor(message: string) {
    super(message);
    this.name = "HttpProtocolError";
  }
}

interface Pending {
  head: string;
  body: Buffer | null;
  callback: Http1Callback;
  connection: Connection | null;
  done: boolean;
}

export class Http1Origin {
  private readonly url: URL;
  private readonly idle: Connection[] = [];
  private readonly queue: Pending[] = [];
  private open = 0;
  private closed = false;
  private readonly hostHeader: string;

  constructor(
    origin: string,
    private readonly options: Http1Options,
  ) {
    this.url = new URL(origin);
    if (this.url.protocol !== "https:" && this.url.protocol !== "http:") throw new TypeError(`not an http(s) origin: ${origin}`);
    this.hostHeader = this.url.host;
  }

  /**
   * Sends one request; `callback` is called exactly once, with the answer or
   * the error. The returned function aborts it (the callback then gets the reason).
   */
  request(method: string, path: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer | null, callback: Http1Callback): (reason: Error) => void {
    const pending: Pending = { head: "", body, callback, connection: null, done: false };
    try {
      pending.head = requestHead(method, path, this.hostHeader, headers, body?.length ?? 0);
    } catch (error) {
      queueMicrotask(() => finish(pending, toError(error), null));
      return () => {};
    }
    if (this.closed) {
      queueMicrotask(() => finish(pending, new Error("the push transport is closed"), null));
      return () => {};
    }
    this.queue.push(pending);
    this.pump();
    return (reason) => this.abort(pending, reason);
  }

  close(): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) finish(pending, new Error("the push transport is closed"), null);
    for (const connection of this.idle.splice(0)) connection.destroy(null);
  }

  /** Connections open or opening (for tests and metrics). */
  get connections(): number {
    return this.open;
  }

  private abort(pending: Pending, reason: Error): void {
    if (pending.done) return;
    const queued = this.queue.indexOf(pending);
    if (queued !== -1) this.queue.splice(queued, 1);
    // A request on the wire cannot be taken back: its connection's next bytes belong to it, so the connection goes.
    if (pending.connection) pending.connection.destroy(reason);
    else finish(pending, reason, null);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let connection = this.idle.pop();
      if (!connection) {
        if (this.open >= this.options.maxConnections) return;
        connection = this.connect();
      }
      const pending = this.queue.shift();
      if (pending) connection.start(pending);
    }
  }

  private connect(): Connection {
    this.open += 1;
    const reader = new SocketReader(READ_BUFFER_BYTES);
    const socket = openSocket(this.url, this.options, ["http/1.1"], reader);
    return new Connection(socket, reader, this.url.protocol === "https:", this.options, {
      idle: (connection) => {
        if (this.closed) return connection.destroy(null);
        this.idle.push(connection);
        this.pump();
      },
      gone: (connection) => {
        this.open -= 1;
        const index = this.idle.indexOf(connection);
        if (index !== -1) this.idle.splice(index, 1);
        this.pump();
      },
    });
  }
}

/**
 * Requests held back until the end of the event loop's turn, then written
 * back to back: a sender that prepares (encrypts) several requests in one
 * turn writes them in one burst instead of one between each encryption, so
 * a service that went idle is woken once per burst rather than once per
 * request (on one machine, that wake-up is the largest part of a write's
 * cost). The delay is one turn; a connection that goes in between is not
 * written to.
 */
const UNWRITTEN: Array<[Connection, Buffer]> = [];

function flushWrites(): void {
  for (const [connection, request] of UNWRITTEN.splice(0)) connection.flush(request);
}

type State = "head" | "length" | "chunk-size" | "chunk-data" | "chunk-end" | "trailers" | "until-close";

/** Bytes read per system call; a push service's answer is a few hundred. */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * A socket's read buffer and callback (net's `onread`): the socket reads
 * into `buffer`, and the bytes are valid only during the callback, so the
 * connection copies what it keeps.
 */
export class SocketReader {
  readonly buffer: Buffer;
  connection: { read(chunk: Buffer): void } | null = null;
  readonly callback = (bytes: number, buffer: Buffer): boolean => {
    this.connection?.read(buffer.subarray(0, bytes));
    return true;
  };

  constructor(bytes: number) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }
}

/**
 * A connection to the origin: TLS with SNI, the ALPN protocols offered and
 * the system's certificate authorities (or `ca`), else plain TCP; the host
 * resolved by `lookup` (the endpoint policy's guarded lookup). Answers are
 * read into `reader`'s buffer (`onread`), without the stream machinery's
 * per-read objects and ticks.
 */
export function openSocket(url: URL, options: Pick<Http1Options, "lookup" | "ca">, alpn: string[], reader: SocketReader): net.Socket {
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const onread: net.OnReadOpts = { buffer: reader.buffer, callback: reader.callback };
  if (url.protocol !== "https:") return net.connect({ host, port, lookup: options.lookup, onread });
  // tls.connect takes `onread` as net.connect does (Node's documentation); its type declarations leave it out.
  const secure: tls.ConnectionOptions & { onread: net.OnReadOpts } = {
    host,
    port,
    servername: net.isIP(host) === 0 ? host : undefined,
    ALPNProtocols: alpn,
    lookup: options.lookup,
    onread,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
  return tls.connect(secure);
}

class Connection {
  private pending: Pending | null = null;
  private connected = false;
  private ended = false;
  private buffered: Buffer | null = null;
  private state: State = "head";
  private remaining = 0;
  private statusCode = 0;
  private retryAfter: string | undefined;
  private reusable = true;
  /** An answer was read in this read and the connection is not yet handed back. */
  private answered = false;
  private idleMs: number;
  private kept: Buffer[] | null = null;
  private keptBytes = 0;
  /** Closes the connection once it has been idle for `idleMs`; armed once per idle spell, not per request (`checkIdle`). */
  private idleTimer: NodeJS.Timeout | null = null;
  /** When the connection last became idle (performance.now()), or null while a request is on it. */
  private idleSince: number | null = null;
  private idleTimerDue = 0;
  private connectTimer: NodeJS.Timeout | null;

  constructor(
    private readonly socket: net.Socket,
    reader: SocketReader,
    secure: boolean,
    private readonly options: Http1Options,
    private readonly pool: { idle(connection: Connection): void; gone(connection: Connection): void },
  ) {
    this.idleMs = options.keepAliveMs;
    socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => this.destroy(Object.assign(new Error(`could not connect within ${options.connectTimeoutMs} ms`), { code: "ETIMEDOUT" })), options.connectTimeoutMs);
    this.connectTimer.unref();
    socket.once(secure ? "secureConnect" : "connect", () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.connected = true;
      if (this.pending) this.write(this.pending);
    });
    reader.connection = this;
    socket.on("end", () => this.onEnd());
    socket.on("error", (error) => this.destroy(error));
    socket.on("close", () => this.destroy(null));
  }

  start(pending: Pending): void {
    this.idleSince = null;
    this.socket.ref();
    this.pending = pending;
    pending.connection = this;
    if (this.connected) this.write(pending);
  }

  /** Closes the connection; a request on it fails with `reason` (or with "closed" when none is given). */
  destroy(reason: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.socket.destroy();
    const pending = this.pending;
    this.pending = null;
    if (pending) finish(pending, reason ?? Object.assign(new Error("the push service closed the connection before answering"), { code: "ECONNRESET" }), null);
    this.pool.gone(this);
  }

  private write(pending: Pending): void {
    const headBytes = Buffer.byteLength(pending.head, "latin1");
    const bodyBytes = pending.body?.length ?? 0;
    const request = Buffer.allocUnsafe(headBytes + bodyBytes);
    request.write(pending.head, 0, "latin1");
    pending.body?.copy(request, headBytes);
    UNWRITTEN.push([this, request]);
    if (UNWRITTEN.length === 1) setImmediate(flushWrites);
  }

  /** Writes a request held back by `write`, unless the connection has gone since. */
  flush(request: Buffer): void {
    if (!this.ended) this.socket.write(request);
  }

  private onEnd(): void {
    // A body that runs until the connection closes has now ended; anything else was cut short.
    if (this.pending && this.state === "until-close") this.complete();
    this.destroy(null);
  }

  /** Bytes that arrived; `chunk` is the socket's read buffer, overwritten by the next read. */
  read(chunk: Buffer): void {
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = null;
    let offset = 0;
    try {
      while (offset < data.length && !this.ended) {
        if (!this.pending) throw new HttpProtocolError("the push service sent bytes no request asked for");
        if (this.state === "head") {
          const end = data.indexOf("\r\n\r\n", offset, "latin1");
          if (end === -1) {
            if (data.length - offset > MAX_HEAD_BYTES) throw new HttpProtocolError(`the answer's head is longer than ${MAX_HEAD_BYTES} bytes`);
            break;
          }
          const framing = this.parseHead(data.toString("latin1", offset, end));
          offset = end + 4;
          // "interim": a 1xx answer, the real one follows; "none": no body, or a Content-Length of 0.
          if (framing === "none") this.complete();
        } else if (this.state === "length" || this.state === "chunk-data" || this.state === "until-close") {
          const take = this.state === "until-close" ? data.length - offset : Math.min(this.remaining, data.length - offset);
          this.keep(data, offset, offset + take);
          offset += take;
          this.remaining -= take;
          if (this.state === "length" && this.remaining === 0) this.complete();
          else if (this.state === "chunk-data" && this.remaining === 0) this.state = "chunk-end";
        } else if (this.state === "chunk-size") {
          const end = data.indexOf("\r\n", offset, "latin1");
          if (end === -1) {
            if (data.length - offset > MAX_CHUNK_LINE_BYTES) throw new HttpProtocolError("a chunk size line is too long");
            break;
          }
          const line = data.toString("latin1", offset, end);
          const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
          if (!size?.[1]) throw new HttpProtocolError(`a chunk size is not hexadecimal: ${JSON.stringify(line.slice(0, 40))}`);
          offset = end + 2;
          this.remaining = parseInt(size[1], 16);
          this.state = this.remaining === 0 ? "trailers" : "chunk-data";
        } else if (this.state === "chunk-end") {
          if (data.length - offset < 2) break;
          if (data[offset] !== 13 || data[offset + 1] !== 10) throw new HttpProtocolError("a chunk does not end with CRLF");
          offset += 2;
          this.state = "chunk-size";
        } else {
          // Trailers: none (an empty line), or header lines up to an empty line; read and dropped.
          if (data.length - offset < 2) break;
          if (data[offset] === 13 && data[offset + 1] === 10) {
            offset += 2;
            this.complete();
            continue;
          }
          const end = data.indexOf("\r\n\r\n", offset, "latin1");
          if (end === -1) {
            if (data.length - offset > MAX_HEAD_BYTES) throw new HttpProtocolError("the answer's trailers are too long");
            break;
          }
          offset = end + 4;
          this.complete();
        }
      }
    } catch (error) {
      this.destroy(toError(error));
      return;
    }
    if (this.ended) return;
    // Copied: the read buffer is reused by the next read.
    if (offset < data.length) this.buffered = Buffer.from(data.subarray(offset));
    // Handed back only now, so bytes after an answer are never read as the next request's.
    if (this.answered) this.release();
  }

  /** Reads the status line and headers and sets how the body is framed: none, a body to read, or an interim (1xx) answer. */
  private parseHead(head: string): "none" | "body" | "interim" {
    const lines = head.split("\r\n");
    const status = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: .*)?$/.exec(lines[0] ?? "");
    if (!status?.[2]) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
    const code = Number(status[2]);
    if (code < 200) {
      if (code === 101) throw new HttpProtocolError("the push service switched protocols");
      return "interim"; // 100 Continue, 103 Early Hints: the answer follows
    }
    let length: number | null = null;
    let chunked = false;
    let connection = status[1] === "0" ? "close" : "keep-alive";
    let retryAfter: string | undefined;
    let keepAliveSeconds: number | null = null;
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] ?? "";
      const colon = line.indexOf(":");
      if (colon <= 0) throw new HttpProtocolError(`a header line is malformed: ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value) || (length !== null && length !== Number(value))) throw new HttpProtocolError(`Content-Length is not one number: ${JSON.stringify(value.slice(0, 40))}`);
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").pop()?.trim() === "chunked";
        if (!chunked) throw new HttpProtocolError(`unsupported Transfer-Encoding: ${JSON.stringify(value.slice(0, 40))}`);
      } else if (name === "connection") {
        const tokens = value.toLowerCase().split(",").map((token) => token.trim());
        if (tokens.includes("close")) connection = "close";
        else if (tokens.includes("keep-alive")) connection = "keep-alive";
      } else if (name === "keep-alive") {
        const timeout = /(?:^|,)\s*timeout=(\d+)/i.exec(value);
        if (timeout?.[1]) keepAliveSeconds = Number(timeout[1]);
      } else if (name === "retry-after") {
        retryAfter = value;
      }
    }
    this.statusCode = code;
    this.retryAfter = retryAfter;
    this.reusable = connection === "keep-alive";
    // Closed a second before the service would close it, so a request never goes out on a connection being closed.
    if (keepAliveSeconds !== null) this.idleMs = Math.min(this.options.keepAliveMs, Math.max(0, keepAliveSeconds * 1000 - 1000));
    this.kept = code >= 200 && code < 300 ? null : [];
    this.keptBytes = 0;
    if (code === 204 || code === 304 || (length === 0 && !chunked)) return "none";
    if (chunked) this.state = "chunk-size";
    else if (length !== null) {
      this.state = "length";
      this.remaining = length;
    } else {
      this.state = "until-close";
      this.reusable = false;
    }
    return "body";
  }

  private keep(data: Buffer, start: number, end: number): void {
    if (this.kept === null || this.keptBytes >= this.options.keepBodyBytes || end <= start) return;
    const slice = data.subarray(start, Math.min(end, start + this.options.keepBodyBytes - this.keptBytes));
    // Copied: the read buffer is not kept alive by a refusal's text.
    this.kept.push(Buffer.from(slice));
    this.keptBytes += slice.length;
  }

  private complete(): void {
    const pending = this.pending;
    if (!pending) return;
    const answer: Http1Answer = {
      statusCode: this.statusCode,
      retryAfter: this.retryAfter,
      body: this.kept === null || this.kept.length === 0 ? EMPTY : Buffer.concat(this.kept),
    };
    this.pending = null;
    this.state = "head";
    this.statusCode = 0;
    this.retryAfter = undefined;
    this.kept = null;
    pending.connection = null;
    this.answered = true;
    finish(pending, null, answer);
  }

  private release(): void {
    this.answered = false;
    if (!this.reusable || this.ended) {
      this.destroy(null);
      return;
    }
    // Idle: not holding the process open, closed after the keep-alive time.
    this.socket.unref();
    this.idleSince = performance.now();
    // The service's Keep-Alive hint can shorten the idle time after the timer was armed.
    if (this.idleTimer === null || this.idleTimerDue > this.idleSince + this.idleMs) this.armIdleTimer(this.idleMs);
    this.pool.idle(this);
  }

  private armIdleTimer(ms: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimerDue = performance.now() + ms;
    this.idleTimer = setTimeout(() => this.checkIdle(), ms);
    this.idleTimer.unref();
  }

  /** The idle timer fired: close the connection if it has been idle long enough, else look again when it would have been. */
  private checkIdle(): void {
    this.idleTimer = null;
    if (this.ended || this.idleSince === null) return; // busy: armed again when it is next idle
    const left = this.idleSince + this.idleMs - performance.now();
    if (left <= 0) this.destroy(null);
    else this.armIdleTimer(left);
  }
}

const EMPTY = Buffer.alloc(0);

function finish(pending: Pending, error: Error | null, answer: Http1Answer | null): void {
  if (pending.done) return;
  pending.done = true;
  pending.callback(error, answer);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The request line and headers (with Host and Content-Length); refuses names and values that would break the framing. */
export function requestHead(method: string, path: string, host: string, headers: ReadonlyArray<readonly [string, string]>, bodyLength: number): string {
  if (!TOKEN.test(method)) throw new TypeError(`not an HTTP method: ${JSON.stringify(method)}`);
  if (!path.startsWith("/") || /[\s\0]/.test(path)) throw new TypeError(`not a request path: ${JSON.stringify(path.slice(0, 80))}`);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of headers) {
    checkHeaderName(name);
    checkHeaderValue(name, value);
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "content-length" || lower === "transfer-encoding" || lower === "connection") continue;
    head += `${name}: ${value}\r\n`;
  }
  return `${head}Content-Length: ${bodyLength}\r\n\r\n`;
}

/** A header name must be a token (RFC 9110 §5.1). */
export function checkHeaderName(name: string): void {
  if (!TOKEN.test(name)) throw new TypeError(`not a header name: ${JSON.stringify(name)}`);
}

/** A header value may not hold what would end the header (CR, LF) or NUL. */
export function checkHeaderValue(name: string, value: string): void {
  if (UNSAFE_VALUE.test(value)) throw new TypeError(`the ${name} header contains a line break or NUL`);
}
