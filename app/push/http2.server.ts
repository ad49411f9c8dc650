import type net from "node:net";
import type tls from "node:tls";
import { HpackDecoder, HpackEncoder, HpackError, checkEncodableValue, encodeHeaderBlock } from "./hpack.server";
import { HttpProtocolError, SocketReader, checkHeaderName, checkHeaderValue, openSocket, type Http1Answer, type Http1Callback, type Http1Options } from "./http1.server";

/**
 * An HTTP/2 client (RFC 9113) for one push-service origin: requests as
 * streams on as few connections as the service's stream limit allows, the
 * frames of every request prepared in one turn of the event loop written in
 * one system call. That is the point of it: over HTTP/1.1 every push costs a
 * write (and a read) of its own, the largest cost of a push after its
 * encryption (docs/decisions/0031-push-http2.md).
 *
 * Only what Web Push needs: a request is HEADERS and DATA; an answer is read
 * for its status, Retry-After and, on a refusal, the start of its text.
 * Flow control both ways, SETTINGS, PING, GOAWAY (requests the service did
 * not process go out again on another connection) and RST_STREAM are
 * handled; server push is switched off. Over TLS the protocol is agreed by
 * ALPN; a service that picks HTTP/1.1 fails the requests waiting with
 * `NotHttp2Error`, and the caller sends them over HTTP/1.1 instead. Over
 * plain HTTP (test receivers only) it speaks h2c with prior knowledge.
 */

/**
 * As for the HTTP/1.1 client, except that `maxConnections` counts
 * connections that each carry up to the service's
 * SETTINGS_MAX_CONCURRENT_STREAMS requests.
 */
export type Http2Options = Http1Options;

/** The service does not speak HTTP/2 (ALPN chose another protocol, or a plain-HTTP server answered in HTTP/1.x); nothing was sent. */
export class NotHttp2Error extends Error {
  readonly code = "EPUSHNOTH2";
  constructor(message: string) {
    super(message);
    this.name = "NotHttp2Error";
  }
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_HEADER_BYTES = 9;
const ACK = 0x1;
const enum Frame {
  Data = 0,
  Headers = 1,
  Priority = 2,
  RstStream = 3,
  Settings = 4,
  PushPromise = 5,
  Ping = 6,
  GoAway = 7,
  WindowUpdate = 8,
  Continuation = 9,
}
/** Frame flags (ACK, on SETTINGS and PING, is the same bit as END_STREAM). */
const enum Flag {
  EndStream = 0x1,
  EndHeaders = 0x4,
  Padded = 0x8,
  Priority = 0x20,
}
const enum ErrorCode {
  NoError = 0x0,
  ProtocolError = 0x1,
  FlowControlError = 0x3,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
}
const ERROR_NAMES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"];
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
const DEFAULT_MAX_FRAME = 16_384;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** Requests held per connection until the service's first SETTINGS say how many streams it takes (RFC 9113 §6.5.2 recommends at least 100). */
const INITIAL_STREAM_LIMIT = 100;
/** The connection-level window this side opens at once, so a service's answers never wait for a WINDOW_UPDATE. */
const RECEIVE_WINDOW = 16 * 1024 * 1024;
/** Our SETTINGS: no server push; frames up to the default 16 KB. */
const CLIENT_SETTINGS = settingsFrame([[0x2, 0]]);
/** Bytes read per system call: many answers at once. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A header block (with its CONTINUATIONs) longer than this is not a push service's answer. */
const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

interface Stream {
  id: number;
  /** The request's header block but for the fields a connection's encoder indexes (`indexed`), which it adds when the stream opens. */
  block: Buffer;
  indexed: Array<[string, string]> | null;
  body: Buffer | null;
  /** Bytes of the body written so far. */
  sent: number;
  sendWindow: number;
  callback: Http1Callback;
  connection: Connection | null;
  done: boolean;
  statusCode: number;
  retryAfter: string | undefined;
  kept: Buffer[] | null;
  keptBytes: number;
  /** Received DATA not yet given back with a WINDOW_UPDATE. */
  unacknowledged: number;
  /** Times the service turned it away unprocessed (REFUSED_STREAM, GOAWAY). */
  turnedAway: number;
}

/**
 * Header fields sent indexed (RFC 7541 §6.2.1): the VAPID Authorization is the same on every push
 * to a service for as long as its JWT is valid, and is most of a push's header block.
 */
const INDEXED_HEADERS = new Set(["authorization"]);

/** A request the service turns away unprocessed this many times fails (the drain retries it later, with backoff). */
const MAX_TURNED_AWAY = 3;

export class Http2Origin {
  private readonly url: URL;
  private readonly authority: string;
  private readonly scheme: string;
  private readonly queue: Stream[] = [];
  private readonly live: Connection[] = [];
  private closed = false;
  /** Set once the service has shown it does not speak HTTP/2: every request fails with it from then on. */
  private notHttp2: NotHttp2Error | null = null;
  private readonly names = new Set<string>();

  constructor(
    origin: string,
    private readonly options: Http2Options,
  ) {
    this.url = new URL(origin);
    if (this.url.protocol !== "https:" && this.url.protocol !== "http:") throw new TypeError(`not an http(s) origin: ${origin}`);
    this.authority = this.url.host;
    this.scheme = this.url.protocol.slice(0, -1);
  }

  /**
   * Sends one request; `callback` is called exactly once, with the answer or
   * the error. The returned function aborts it (the callback then gets the reason).
   */
  request(method: string, path: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer | null, callback: Http1Callback): (reason: Error) => void {
    const stream: Stream = { id: 0, block: EMPTY, indexed: null, body, sent: 0, sendWindow: 0, callback, connection: null, done: false, statusCode: 0, retryAfter: undefined, kept: null, keptBytes: 0, unacknowledged: 0, turnedAway: 0 };
    try {
      this.headerBlock(stream, method, path, headers, body?.length ?? 0);
    } catch (error) {
      queueMicrotask(() => finish(stream, toError(error), null));
      return () => {};
    }
    if (this.closed || this.notHttp2) {
      const reason = this.notHttp2 ?? new Error("the push transport is closed");
      queueMicrotask(() => finish(stream, reason, null));
      return () => {};
    }
    this.queue.push(stream);
    this.pump();
    return (reason) => this.abort(stream, reason);
  }

  close(): void {
    this.closed = true;
    for (const stream of this.queue.splice(0)) finish(stream, new Error("the push transport is closed"), null);
    for (const connection of this.live.slice()) connection.shutDown(new Error("the push transport is closed"));
  }

  /** Connections open or opening (for tests and metrics). */
  get connections(): number {
    return this.live.length;
  }

  private headerBlock(stream: Stream, method: string, path: string, headers: ReadonlyArray<readonly [string, string]>, bodyLength: number): void {
    if (!/^[A-Z]+$/.test(method)) throw new TypeError(`not an HTTP method: ${JSON.stringify(method)}`);
    if (!path.startsWith("/") || /[\s\0]/.test(path)) throw new TypeError(`not a request path: ${JSON.stringify(path.slice(0, 80))}`);
    const fields: Array<[string, string]> = [
      [":method", method],
      [":scheme", this.scheme],
      [":authority", this.authority],
      [":path", path],
    ];
    for (const [name, value] of headers) {
      // Names repeat from push to push: each is checked once.
      if (!this.names.has(name)) {
        checkHeaderName(name);
        this.names.add(name);
      }
      checkHeaderValue(name, value);
      const lower = name.toLowerCase();
      // Connection-specific headers do not exist in HTTP/2 (RFC 9113 §8.2.2); the length is the DATA's.
      if (lower === "host" || lower === "content-length" || lower === "transfer-encoding" || lower === "connection" || lower === "keep-alive" || lower === "upgrade") continue;
      if (INDEXED_HEADERS.has(lower)) {
        // Encoded only when the stream opens on a connection: checked now, so a request that cannot be sent fails before it is queued.
        checkEncodableValue(lower, value);
        (stream.indexed ??= []).push([lower, value]);
      } else {
        fields.push([lower, value]);
      }
    }
    fields.push(["content-length", String(bodyLength)]);
    stream.block = encodeHeaderBlock(fields);
  }

  private abort(stream: Stream, reason: Error): void {
    if (stream.done) return;
    const queued = this.queue.indexOf(stream);
    if (queued !== -1) this.queue.splice(queued, 1);
    if (stream.connection) stream.connection.cancel(stream, reason);
    else finish(stream, reason, null);
  }

  /** Hands queued requests to connections with room, opening connections as needed. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let connection: Connection | null = null;
      for (const candidate of this.live) {
        if (candidate.hasRoom()) {
          connection = candidate;
          break;
        }
      }
      if (!connection) {
        // A connection still opening takes requests up to the initial limit; open another only when all are full.
        if (this.live.length >= this.options.maxConnections) return;
        connection = this.connect();
      }
      while (this.queue.length > 0 && connection.hasRoom()) {
        const stream = this.queue.shift();
        if (stream) connection.start(stream);
      }
    }
  }

  private connect(): Connection {
    const reader = new SocketReader(READ_BUFFER_BYTES);
    const socket = openSocket(this.url, this.options, ["h2", "http/1.1"], reader);
    const connection = new Connection(socket, reader, this.url.protocol === "https:", this.options, {
      room: () => this.pump(),
      requeue: (streams) => {
        this.queue.unshift(...streams);
        queueMicrotask(() => this.pump());
      },
      notHttp2: (error, streams) => {
        this.notHttp2 = error;
        for (const stream of [...streams, ...this.queue.splice(0)]) finish(stream, error, null);
      },
      gone: (gone) => {
        const index = this.live.indexOf(gone);
        if (index !== -1) this.live.splice(index, 1);
        queueMicrotask(() => this.pump());
      },
    });
    this.live.push(connection);
    return connection;
  }
}

/**
 * Connections with frames waiting to be written, written at the end of the
 * event loop's turn: the requests prepared in one turn leave in one write.
 */
const UNWRITTEN = new Set<Connection>();

function flushWrites(): void {
  for (const connection of UNWRITTEN) connection.flush();
  UNWRITTEN.clear();
}

interface Owner {
  /** A stream ended or the service raised its limit: queued requests may go out. */
  room(): void;
  /** Requests the service did not process (GOAWAY, REFUSED_STREAM, a connection that closed first): send them again. */
  requeue(streams: Stream[]): void;
  notHttp2(error: NotHttp2Error, streams: Stream[]): void;
  gone(connection: Connection): void;
}

class Connection {
  private readonly streams = new Map<number, Stream>();
  /** Requests waiting for the service's SETTINGS (its stream limit) before they go out. */
  private readonly pending: Stream[] = [];
  /** Streams whose body waits for send window (WINDOW_UPDATE). */
  private readonly blocked: Stream[] = [];
  private readonly out: Buffer[] = [];
  private readonly decoder = new HpackDecoder();
  private nextId = 1;
  private connected = false;
  /** The service's first frame (its SETTINGS) has arrived. */
  private agreed = false;
  private ended = false;
  /** No new streams: the service sent GOAWAY, or the stream ids ran out. */
  private draining = false;
  private streamLimit = INITIAL_STREAM_LIMIT;
  private initialWindow = DEFAULT_WINDOW;
  private sendWindow = DEFAULT_WINDOW;
  private maxFrame = DEFAULT_MAX_FRAME;
  private received = 0;
  /** This side's HPACK encoder: its dynamic table mirrors the service's decoder's, so header blocks are encoded in the order they are written. */
  private readonly encoder = new HpackEncoder();
  private buffered: Buffer | null = null;
  /** A header block in progress (HEADERS without END_HEADERS): its stream and fragments. */
  private continuing: { id: number; parts: Buffer[]; bytes: number; endStream: boolean } | null = null;
  private connectTimer: NodeJS.Timeout | null;
  private idleTimer: NodeJS.Timeout | null = null;
  private idleSince: number | null = null;

  constructor(
    private readonly socket: net.Socket,
    reader: SocketReader,
    private readonly secure: boolean,
    private readonly options: Http2Options,
    private readonly owner: Owner,
  ) {
    socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => this.fail(Object.assign(new Error(`could not connect within ${options.connectTimeoutMs} ms`), { code: "ETIMEDOUT" })), options.connectTimeoutMs);
    this.connectTimer.unref();
    socket.once(secure ? "secureConnect" : "connect", () => this.onConnect());
    reader.connection = this;
    socket.on("end", () => this.fail(null));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(null));
  }

  hasRoom(): boolean {
    return !this.ended && !this.draining && this.streams.size + this.pending.length < this.streamLimit;
  }

  start(stream: Stream): void {
    this.idleSince = null;
    this.socket.ref();
    stream.connection = this;
    if (!this.agreed) this.pending.push(stream);
    else this.open(stream);
  }

  /** Aborts one request: reset on the wire if it went out, then failed with `reason`. */
  cancel(stream: Stream, reason: Error): void {
    const pendingAt = this.pending.indexOf(stream);
    if (pendingAt !== -1) this.pending.splice(pendingAt, 1);
    const blockedAt = this.blocked.indexOf(stream);
    if (blockedAt !== -1) this.blocked.splice(blockedAt, 1);
    if (stream.id !== 0 && this.streams.delete(stream.id)) this.queueFrame(frame(Frame.RstStream, 0, stream.id, u32(ErrorCode.Cancel)));
    finish(stream, reason, null);
    this.afterStream();
  }

  /** Closes the connection politely (GOAWAY), failing what is on it with `reason`. */
  shutDown(reason: Error): void {
    if (this.ended) return;
    if (this.connected) this.queueFrame(goAway(ErrorCode.NoError));
    this.flush();
    this.fail(reason);
  }

  flush(): void {
    if (this.out.length === 0 || this.ended) return;
    const bytes = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
    this.out.length = 0;
    if (bytes) this.socket.write(bytes);
  }

  private onConnect(): void {
    if (this.ended) return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (this.secure && (this.socket as tls.TLSSocket).alpnProtocol !== "h2") {
      const chosen = (this.socket as tls.TLSSocket).alpnProtocol;
      this.notHttp2(`the push service chose ${chosen ? JSON.stringify(chosen) : "no protocol"} over HTTP/2 (ALPN)`);
      return;
    }
    this.connected = true;
    // Requests follow once the service's SETTINGS say how many streams it takes (one round trip, once per connection).
    this.out.push(PREFACE, CLIENT_SETTINGS, frame(Frame.WindowUpdate, 0, 0, u32(RECEIVE_WINDOW - DEFAULT_WINDOW)));
    this.schedule();
  }

  private open(stream: Stream): void {
    if (this.nextId > MAX_STREAM_ID) {
      // Stream ids used up: this connection takes no more; the request goes to another.
      this.draining = true;
      this.requeue([stream], false);
      this.afterStream();
      return;
    }
    stream.id = this.nextId;
    this.nextId += 2;
    stream.sendWindow = this.initialWindow;
    this.streams.set(stream.id, stream);
    const noBody = stream.body === null || stream.body.length === 0;
    this.writeHeaders(stream, noBody);
    if (!noBody) this.sendData(stream);
  }

  private writeHeaders(stream: Stream, endStream: boolean): void {
    const id = stream.id;
    const end = endStream ? Flag.EndStream : 0;
    // Encoded now, as it is written: a table size update the service's SETTINGS asked for, the request's fields, then the indexed ones.
    const updates = this.encoder.sizeUpdates();
    const parts = updates.length === 0 ? [stream.block] : [updates, stream.block];
    if (stream.indexed) for (const [name, value] of stream.indexed) parts.push(this.encoder.field(name, value));
    const block = parts.length === 1 ? stream.block : Buffer.concat(parts);
    if (block.length <= this.maxFrame) {
      this.queueFrame(frame(Frame.Headers, Flag.EndHeaders | end, id, block));
      return;
    }
    this.queueFrame(frame(Frame.Headers, end, id, block.subarray(0, this.maxFrame)));
    for (let offset = this.maxFrame; offset < block.length; offset += this.maxFrame) {
      const last = offset + this.maxFrame >= block.length;
      this.queueFrame(frame(Frame.Continuation, last ? Flag.EndHeaders : 0, id, block.subarray(offset, offset + this.maxFrame)));
    }
  }

  /** Writes as much of the body as the windows allow; the rest waits for WINDOW_UPDATE. */
  private sendData(stream: Stream): void {
    const body = stream.body;
    if (!body) return;
    while (stream.sent < body.length) {
      const size = Math.min(body.length - stream.sent, this.maxFrame, stream.sendWindow, this.sendWindow);
      if (size <= 0) {
        if (!this.blocked.includes(stream)) this.blocked.push(stream);
        return;
      }
      const last = stream.sent + size === body.length;
      this.queueFrame(frame(Frame.Data, last ? Flag.EndStream : 0, stream.id, body.subarray(stream.sent, stream.sent + size)));
      stream.sent += size;
      stream.sendWindow -= size;
      this.sendWindow -= size;
    }
  }

  /** Bodies waiting for window, after a WINDOW_UPDATE or SETTINGS. */
  private resumeData(): void {
    for (const stream of this.blocked.splice(0)) {
      if (!stream.done && this.streams.get(stream.id) === stream) this.sendData(stream);
    }
  }

  private queueFrame(bytes: Buffer): void {
    this.out.push(bytes);
    this.schedule();
  }

  private schedule(): void {
    if (UNWRITTEN.size === 0) setImmediate(flushWrites);
    UNWRITTEN.add(this);
  }

  /** Bytes that arrived; `chunk` is the socket's read buffer, overwritten by the next read. */
  read(chunk: Buffer): void {
    if (this.ended) return;
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = null;
    let offset = 0;
    try {
      if (!this.agreed) {
        // A plain-HTTP server answering in HTTP/1 has not agreed to HTTP/2 (that the first frame is SETTINGS, onFrame checks).
        if (data.length >= 5 && data.toString("latin1", 0, 5) === "HTTP/") {
          this.notHttp2("the push service answered in HTTP/1.x, not HTTP/2");
          return;
        }
      }
      while (data.length - offset >= FRAME_HEADER_BYTES && !this.ended) {
        const length = data.readUIntBE(offset, 3);
        if (length > DEFAULT_MAX_FRAME) throw new Http2Error(ErrorCode.FrameSizeError, `a frame of ${length} bytes exceeds the ${DEFAULT_MAX_FRAME} this side allows`);
        if (data.length - offset < FRAME_HEADER_BYTES + length) break;
        const type = data[offset + 3] ?? 0;
        const flags = data[offset + 4] ?? 0;
        const id = data.readUInt32BE(offset + 5) & MAX_STREAM_ID;
        const payload = data.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
        offset += FRAME_HEADER_BYTES + length;
        this.onFrame(type, flags, id, payload);
      }
    } catch (error) {
      const code = error instanceof Http2Error ? error.errorCode : error instanceof HpackError ? ErrorCode.CompressionError : ErrorCode.ProtocolError;
      this.queueFrame(goAway(code));
      this.flush();
      this.fail(error instanceof HpackError ? new HttpProtocolError(`the push service's headers do not decode: ${error.message}`) : toError(error));
      return;
    }
    if (this.ended) return;
    // Copied: the read buffer is reused by the next read.
    if (offset < data.length) this.buffered = Buffer.from(data.subarray(offset));
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.continuing && type !== Frame.Continuation) throw new Http2Error(ErrorCode.ProtocolError, "a header block was interrupted by another frame");
    if (!this.agreed && type !== Frame.Settings) throw new Http2Error(ErrorCode.ProtocolError, "the push service's first frame is not SETTINGS");
    switch (type) {
      case Frame.Data:
        return this.onData(flags, id, payload);
      case Frame.Headers: {
        if (id === 0) throw new Http2Error(ErrorCode.ProtocolError, "HEADERS on stream 0");
        let fragment = unpad(flags, payload);
        if (flags & Flag.Priority) {
          if (fragment.length < 5) throw new Http2Error(ErrorCode.FrameSizeError, "a HEADERS frame is too short for its priority");
          fragment = fragment.subarray(5);
        }
        const endStream = (flags & Flag.EndStream) !== 0;
        if (flags & Flag.EndHeaders) return this.onHeaderBlock(id, fragment, endStream);
        this.continuing = { id, parts: [Buffer.from(fragment)], bytes: fragment.length, endStream };
        return;
      }
      case Frame.Continuation: {
        const continuing = this.continuing;
        if (!continuing || continuing.id !== id) throw new Http2Error(ErrorCode.ProtocolError, "a CONTINUATION frame without its HEADERS");
        continuing.parts.push(Buffer.from(payload));
        continuing.bytes += payload.length;
        if (continuing.bytes > MAX_HEADER_BLOCK_BYTES) throw new Http2Error(ErrorCode.ProtocolError, "a header block is too long");
        if (flags & Flag.EndHeaders) {
          this.continuing = null;
          this.onHeaderBlock(id, Buffer.concat(continuing.parts), continuing.endStream);
        }
        return;
      }
      case Frame.Priority:
        if (payload.length !== 5) throw new Http2Error(ErrorCode.FrameSizeError, "a PRIORITY frame is not 5 bytes");
        return;
      case Frame.RstStream:
        if (id === 0 || payload.length !== 4) throw new Http2Error(ErrorCode.ProtocolError, "a malformed RST_STREAM");
        return this.onReset(id, payload.readUInt32BE(0));
      case Frame.Settings:
        return this.onSettings(flags, id, payload);
      case Frame.PushPromise:
        throw new Http2Error(ErrorCode.ProtocolError, "the push service sent PUSH_PROMISE, which this side switched off");
      case Frame.Ping:
        if (id !== 0 || payload.length !== 8) throw new Http2Error(ErrorCode.ProtocolError, "a malformed PING");
        if (!(flags & ACK)) this.queueFrame(frame(Frame.Ping, ACK, 0, payload));
        return;
      case Frame.GoAway:
        if (id !== 0 || payload.length < 8) throw new Http2Error(ErrorCode.ProtocolError, "a malformed GOAWAY");
        return this.onGoAway(payload.readUInt32BE(0) & MAX_STREAM_ID, payload.readUInt32BE(4), payload.subarray(8));
      case Frame.WindowUpdate: {
        if (payload.length !== 4) throw new Http2Error(ErrorCode.FrameSizeError, "a WINDOW_UPDATE is not 4 bytes");
        const increment = payload.readUInt32BE(0) & MAX_WINDOW;
        if (increment === 0) throw new Http2Error(ErrorCode.ProtocolError, "a WINDOW_UPDATE of 0");
        if (id === 0) {
          this.sendWindow += increment;
          if (this.sendWindow > MAX_WINDOW) throw new Http2Error(ErrorCode.FlowControlError, "the connection's window grew past 2^31-1");
        } else {
          const stream = this.streams.get(id);
          if (!stream) return;
          stream.sendWindow += increment;
          if (stream.sendWindow > MAX_WINDOW) throw new Http2Error(ErrorCode.FlowControlError, "a stream's window grew past 2^31-1");
        }
        return this.resumeData();
      }
      default:
        return; // unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new Http2Error(ErrorCode.ProtocolError, "SETTINGS on a stream");
    if (flags & ACK) {
      if (payload.length !== 0) throw new Http2Error(ErrorCode.FrameSizeError, "a SETTINGS acknowledgement with a payload");
      return;
    }
    if (payload.length % 6 !== 0) throw new Http2Error(ErrorCode.FrameSizeError, "a SETTINGS frame is not whole settings");
    // A service that names no stream limit in its first SETTINGS has none (RFC 9113 §6.5.2).
    if (!this.agreed) this.streamLimit = MAX_STREAM_ID;
    for (let at = 0; at < payload.length; at += 6) {
      const key = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (key === 0x3) {
        this.streamLimit = value;
      } else if (key === 0x4) {
        if (value > MAX_WINDOW) throw new Http2Error(ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
        const delta = value - this.initialWindow;
        this.initialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW) throw new Http2Error(ErrorCode.FlowControlError, "a stream's window grew past 2^31-1");
        }
      } else if (key === 0x5) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new Http2Error(ErrorCode.ProtocolError, "SETTINGS_MAX_FRAME_SIZE out of range");
        this.maxFrame = value;
      } else if (key === 0x2 && value > 1) {
        throw new Http2Error(ErrorCode.ProtocolError, "SETTINGS_ENABLE_PUSH is neither 0 nor 1");
      } else if (key === 0x1) {
        this.encoder.setLimit(value);
      }
      // MAX_HEADER_LIST_SIZE: push requests are small.
    }
    this.queueFrame(SETTINGS_ACK);
    if (!this.agreed) {
      this.agreed = true;
      // The requests held for the service's stream limit go out now; those past it go back to the origin.
      const held = this.pending.splice(0);
      const over = held.splice(Math.max(0, this.streamLimit));
      for (const stream of held) this.open(stream);
      this.requeue(over, false);
    }
    this.resumeData();
    this.owner.room();
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new Http2Error(ErrorCode.ProtocolError, "DATA on stream 0");
    // Flow control counts the whole frame, padding included.
    this.received += payload.length;
    if (this.received >= RECEIVE_WINDOW / 2) {
      this.queueFrame(frame(Frame.WindowUpdate, 0, 0, u32(this.received)));
      this.received = 0;
    }
    const stream = this.streams.get(id);
    if (!stream) return; // a stream this side reset or already settled
    if (stream.statusCode === 0) throw new Http2Error(ErrorCode.ProtocolError, "DATA before the answer's headers");
    const data = unpad(flags, payload);
    if (stream.kept !== null && stream.keptBytes < this.options.keepBodyBytes && data.length > 0) {
      const slice = data.subarray(0, this.options.keepBodyBytes - stream.keptBytes);
      stream.kept.push(Buffer.from(slice));
      stream.keptBytes += slice.length;
    }
    if (flags & Flag.EndStream) return this.complete(stream);
    stream.unacknowledged += payload.length;
    if (stream.unacknowledged >= DEFAULT_WINDOW / 2) {
      this.queueFrame(frame(Frame.WindowUpdate, 0, id, u32(stream.unacknowledged)));
      stream.unacknowledged = 0;
    }
  }

  private onHeaderBlock(id: number, block: Buffer, endStream: boolean): void {
    // Decoded whatever the stream: the decoder's table must follow every block the service sends.
    const fields = this.decoder.decode(block);
    const stream = this.streams.get(id);
    if (!stream) return;
    if (stream.statusCode !== 0) {
      // Trailers: they end the answer.
      if (!endStream) throw new Http2Error(ErrorCode.ProtocolError, "trailers without END_STREAM");
      return this.complete(stream);
    }
    let status = "";
    let retryAfter: string | undefined;
    for (const [name, value] of fields) {
      if (name === ":status") status = value;
      else if (name === "retry-after") retryAfter = value;
    }
    if (!/^[1-9]\d\d$/.test(status)) return this.resetStream(stream, new HttpProtocolError(`the push service's answer has no valid :status (${JSON.stringify(status.slice(0, 20))})`));
    const code = Number(status);
    if (code < 200) {
      if (endStream) return this.resetStream(stream, new HttpProtocolError("an interim answer ended the stream"));
      return; // 100 Continue, 103 Early Hints: the answer follows
    }
    stream.statusCode = code;
    stream.retryAfter = retryAfter;
    stream.kept = code >= 200 && code < 300 ? null : [];
    if (endStream) this.complete(stream);
  }

  private onReset(id: number, errorCode: number): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    if (errorCode === ErrorCode.RefusedStream) {
      // Not processed (RFC 9113 §8.7): it may go out again.
      this.requeue([stream], true);
    } else {
      finish(stream, Object.assign(new Error(`the push service reset the request (${errorName(errorCode)})`), { code: "ECONNRESET" }), null);
    }
    this.afterStream();
  }

  private onGoAway(lastStreamId: number, errorCode: number, debug: Buffer): void {
    this.draining = true;
    const unprocessed: Stream[] = [];
    for (const [id, stream] of this.streams) {
      if (id <= lastStreamId) continue;
      this.streams.delete(id);
      unprocessed.push(stream);
    }
    this.blocked.length = 0;
    for (const stream of this.streams.values()) if (stream.sent < (stream.body?.length ?? 0)) this.blocked.push(stream);
    this.requeue(unprocessed, true);
    if (errorCode !== ErrorCode.NoError) {
      const said = debug.length > 0 ? `: ${debug.toString("utf8", 0, Math.min(debug.length, 200))}` : "";
      this.fail(Object.assign(new Error(`the push service closed the connection (${errorName(errorCode)}${said})`), { code: "ECONNRESET" }));
      return;
    }
    this.afterStream();
  }

  /** Requests that did not go out here, or that the service did not process: to another connection, unless turned away too often. */
  private requeue(streams: Stream[], turnedAway: boolean): void {
    const again: Stream[] = [];
    for (const stream of streams) {
      stream.connection = null;
      stream.id = 0;
      stream.sent = 0;
      if (turnedAway) stream.turnedAway += 1;
      if (stream.turnedAway < MAX_TURNED_AWAY) again.push(stream);
      else finish(stream, Object.assign(new Error(`the push service turned the request away unprocessed ${stream.turnedAway} times`), { code: "ECONNRESET" }), null);
    }
    if (again.length > 0) this.owner.requeue(again);
  }

  private resetStream(stream: Stream, reason: Error): void {
    this.streams.delete(stream.id);
    this.queueFrame(frame(Frame.RstStream, 0, stream.id, u32(ErrorCode.ProtocolError)));
    finish(stream, reason, null);
    this.afterStream();
  }

  private complete(stream: Stream): void {
    this.streams.delete(stream.id);
    const answer: Http1Answer = {
      statusCode: stream.statusCode,
      retryAfter: stream.retryAfter,
      body: stream.kept === null || stream.kept.length === 0 ? EMPTY : Buffer.concat(stream.kept),
    };
    stream.connection = null;
    finish(stream, null, answer);
    this.afterStream();
  }

  /** A stream ended: room for queued requests, or, when nothing is on the connection, idle (or closed if draining). */
  private afterStream(): void {
    if (this.ended) return;
    if (this.streams.size === 0 && this.pending.length === 0) {
      if (this.draining) return this.shutDown(new Error("closed"));
      this.goIdle();
    }
    this.owner.room();
  }

  private goIdle(): void {
    this.socket.unref();
    this.idleSince = performance.now();
    if (this.idleTimer === null) this.armIdleTimer(this.options.keepAliveMs);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.ended || this.idleSince === null) return; // busy: armed again when it is next idle
      const left = this.idleSince + this.options.keepAliveMs - performance.now();
      if (left <= 0) this.shutDown(new Error("idle"));
      else this.armIdleTimer(left);
    }, ms);
    this.idleTimer.unref();
  }

  private notHttp2(message: string): void {
    if (this.ended) return;
    const error = new NotHttp2Error(message);
    const streams = [...this.pending.splice(0), ...this.streams.values()];
    this.streams.clear();
    this.end();
    this.owner.notHttp2(error, streams);
  }

  /** The connection is gone: what is on it fails with `reason` (or "closed before answering"). */
  private fail(reason: Error | null): void {
    if (this.ended) return;
    const streams = [...this.pending.splice(0), ...this.streams.values()];
    this.streams.clear();
    this.blocked.length = 0;
    this.end();
    for (const stream of streams) finish(stream, reason ?? closedEarly(), null);
  }

  private end(): void {
    this.ended = true;
    UNWRITTEN.delete(this);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.connectTimer = null;
    this.idleTimer = null;
    this.socket.destroy();
    this.owner.gone(this);
  }

}

class Http2Error extends Error {
  readonly code = "EPUSHPROTOCOL";
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = "Http2Error";
  }
}

const EMPTY = Buffer.alloc(0);
const SETTINGS_ACK = frame(Frame.Settings, ACK, 0, EMPTY);

function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  bytes.writeUIntBE(payload.length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(id, 5);
  payload.copy(bytes, FRAME_HEADER_BYTES);
  return bytes;
}

function settingsFrame(settings: Array<[number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([key, value], i) => {
    payload.writeUInt16BE(key, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(Frame.Settings, 0, 0, payload);
}

/** GOAWAY from this side: the last stream it processed is 0, as it accepts none from the service. */
function goAway(errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(0, 0);
  payload.writeUInt32BE(errorCode, 4);
  return frame(Frame.GoAway, 0, 0, payload);
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** The payload without its padding (PADDED flag: a length byte first, that many bytes at the end). */
function unpad(flags: number, payload: Buffer): Buffer {
  if (!(flags & Flag.Padded)) return payload;
  const padding = payload[0];
  if (padding === undefined || padding >= payload.length) throw new Http2Error(ErrorCode.ProtocolError, "padding longer than the frame");
  return payload.subarray(1, payload.length - padding);
}

function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `error 0x${code.toString(16)}`;
}

function closedEarly(): Error {
  return Object.assign(new Error("the push service closed the connection before answering"), { code: "ECONNRESET" });
}

function finish(stream: Stream, error: Error | null, answer: Http1Answer | null): void {
  if (stream.done) return;
  stream.done = true;
  stream.callback(error, answer);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
