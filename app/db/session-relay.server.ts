import { createConnection, createServer, type Socket } from "node:net";

/**
 * Sits between clients and pglite-socket and makes PGlite's one shared
 * session behave like separate connections for what the app needs. It speaks
 * just enough of the PostgreSQL wire protocol
 * (https://www.postgresql.org/docs/current/protocol-flow.html) to find message
 * boundaries, and does two things:
 *
 * 1. Turn-taking. pglite-socket interleaves clients message by message, so one
 *    client's Parse can replace another's unnamed statement between its Parse
 *    and Bind ("bind message supplies 9 parameters, but prepared statement
 *    requires 4"). Here a client holds the session from its first message
 *    until the server is idle again — every ReadyForQuery it is owed has
 *    arrived with status idle — so request groups and whole transactions
 *    never interleave. Others' messages wait, in arrival order.
 * 2. LISTEN/NOTIFY. A notification raised by client B comes back in B's own
 *    reply stream; it is taken out and delivered to the clients that ran
 *    LISTEN on its channel (BullMQ's workers wake on it). Only whole messages
 *    are ever written, so an injected notification lands between two
 *    messages, where the protocol allows one at any time.
 *
 * Limitation: `UNLISTEN` from one client unlistens the shared session for
 * all; nothing in the app issues it.
 */
export interface SessionRelay {
  port: number;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const NOTIFICATION_RESPONSE = 0x41; // 'A'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
const SYNC = 0x53; // 'S'
const FUNCTION_CALL = 0x46; // 'F'

export async function startSessionRelay(options: {
  upstreamHost: string;
  upstreamPort: number;
  host: string;
  port: number;
}): Promise<SessionRelay> {
  const relay = new Relay();
  const server = createServer((client) => {
    const upstream = createConnection({ host: options.upstreamHost, port: options.upstreamPort });
    relay.add(new RelayConnection(relay, client, upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("session relay has no address");
  return {
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        relay.destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** The session's one turn, and who listens to what. */
class Relay {
  private readonly connections = new Set<RelayConnection>();
  private owner: RelayConnection | null = null;
  private readonly waiting: RelayConnection[] = [];

  add(connection: RelayConnection): void {
    this.connections.add(connection);
  }

  remove(connection: RelayConnection): void {
    this.connections.delete(connection);
    const index = this.waiting.indexOf(connection);
    if (index !== -1) this.waiting.splice(index, 1);
    if (this.owner === connection) this.release(connection);
  }

  /** A connection has messages to send: it gets the session now, or waits its turn. */
  request(connection: RelayConnection): void {
    if (this.owner === connection) {
      connection.flush();
    } else if (this.owner === null) {
      this.owner = connection;
      connection.flush();
    } else if (!this.waiting.includes(connection)) {
      this.waiting.push(connection);
    }
  }

  release(connection: RelayConnection): void {
    if (this.owner !== connection) return;
    this.owner = null;
    const next = this.waiting.shift();
    if (next) this.request(next);
    // A client that pipelined more while it held the session queues again behind the others.
    if (connection.hasPending()) this.request(connection);
  }

  broadcast(channel: string, payload: string, pid: number): void {
    const message = notificationMessage(pid, channel, payload);
    for (const connection of this.connections) {
      if (connection.listensTo(channel)) connection.deliver(message);
    }
  }

  destroyAll(): void {
    for (const connection of [...this.connections]) connection.destroy();
  }
}

class RelayConnection {
  private readonly channels = new Set<string>();
  private fromClient = Buffer.alloc(0);
  private fromServer = Buffer.alloc(0);
  private clientStarted = false;
  /** Replies to SSL and GSS encryption requests are one bare byte, not a message. */
  private pendingSingleBytes = 0;
  /** Whole client messages waiting for this connection's turn. */
  private pending: Buffer[] = [];
  /** ReadyForQuery messages the server still owes for what was forwarded. */
  private owedReady = 0;
  private closed = false;

  constructor(
    private readonly relay: Relay,
    private readonly client: Socket,
    private readonly upstream: Socket,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk: Buffer) => this.readClient(chunk));
    upstream.on("data", (chunk: Buffer) => this.readServer(chunk));
    for (const socket of [client, upstream]) {
      socket.on("error", () => this.destroy());
      socket.on("close", () => this.destroy());
    }
  }

  listensTo(channel: string): boolean {
    return this.channels.has(channel);
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  deliver(message: Buffer): void {
    if (!this.closed && this.client.writable) this.client.write(message);
  }

  /** Called while this connection holds the session. */
  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    this.upstream.write(batch);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
    this.relay.remove(this);
  }

  private readClient(chunk: Buffer): void {
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    let queued = false;
    for (;;) {
      if (!this.clientStarted) {
        // Start-up packets have no type byte: length, then a request code.
        if (this.fromClient.length < 8) break;
        const length = this.fromClient.readInt32BE(0);
        if (this.fromClient.length < length) break;
        const code = this.fromClient.readInt32BE(4);
        const packet = this.fromClient.subarray(0, length);
        this.fromClient = this.fromClient.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST || code === CANCEL_REQUEST) {
          // Answered with a single byte (or nothing), outside any turn.
          if (code !== CANCEL_REQUEST) this.pendingSingleBytes += 1;
          this.upstream.write(packet);
          continue;
        }
        this.clientStarted = true;
        this.owedReady += 1; // authentication ends with ReadyForQuery
        this.pending.push(packet);
        queued = true;
        continue;
      }
      if (this.fromClient.length < 5) break;
      const length = this.fromClient.readInt32BE(1);
      if (this.fromClient.length < 1 + length) break;
      const message = this.fromClient.subarray(0, 1 + length);
      this.fromClient = this.fromClient.subarray(1 + length);
      const type = message[0];
      const body = message.subarray(5);
      if (type === QUERY) this.noteListens(readCString(body, 0).value);
      else if (type === PARSE) this.noteListens(readCString(body, readCString(body, 0).next).value);
      if (type === QUERY || type === SYNC || type === FUNCTION_CALL) this.owedReady += 1;
      this.pending.push(message);
      queued = true;
    }
    if (queued) this.relay.request(this);
  }

  /** Forwards whole server messages, routing notifications and ending the turn when the session is idle. */
  private readServer(chunk: Buffer): void {
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    const forward: Buffer[] = [];
    while (this.pendingSingleBytes > 0 && this.fromServer.length > 0) {
      forward.push(this.fromServer.subarray(0, 1));
      this.fromServer = this.fromServer.subarray(1);
      this.pendingSingleBytes -= 1;
    }
    const notifications: Array<{ channel: string; payload: string; pid: number }> = [];
    let idle = false;
    while (this.pendingSingleBytes === 0 && this.fromServer.length >= 5) {
      const length = this.fromServer.readInt32BE(1);
      if (this.fromServer.length < 1 + length) break;
      const message = this.fromServer.subarray(0, 1 + length);
      this.fromServer = this.fromServer.subarray(1 + length);
      if (message[0] === NOTIFICATION_RESPONSE) {
        notifications.push(parseNotification(message));
        continue;
      }
      if (message[0] === READY_FOR_QUERY) {
        this.owedReady = Math.max(0, this.owedReady - 1);
        idle = this.owedReady === 0 && message[5] === IDLE;
      }
      forward.push(message);
    }
    if (forward.length > 0 && this.client.writable) this.client.write(Buffer.concat(forward));
    for (const n of notifications) this.relay.broadcast(n.channel, n.payload, n.pid);
    if (idle) this.relay.release(this);
  }

  private noteListens(sql: string): void {
    const text = sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
    for (const match of text.matchAll(/\b(UN)?LISTEN\s+(\*|"(?:[^"]|"")+"|[A-Za-z_][\w$]*)/gi)) {
      const channel = normaliseIdentifier(match[2] ?? "");
      if (match[1]) {
        if (channel === "*") this.channels.clear();
        else this.channels.delete(channel);
      } else {
        this.channels.add(channel);
      }
    }
  }
}

function normaliseIdentifier(identifier: string): string {
  if (identifier.startsWith('"')) return identifier.slice(1, -1).replace(/""/g, '"');
  return identifier.toLowerCase();
}

function readCString(buffer: Buffer, start: number): { value: string; next: number } {
  const end = buffer.indexOf(0, start);
  const stop = end === -1 ? buffer.length : end;
  return { value: buffer.toString("utf8", start, stop), next: stop + 1 };
}

function parseNotification(message: Buffer): { channel: string; payload: string; pid: number } {
  const pid = message.readInt32BE(5);
  const channel = readCString(message, 9);
  const payload = readCString(message, channel.next);
  return { channel: channel.value, payload: payload.value, pid };
}

function notificationMessage(pid: number, channel: string, payload: string): Buffer {
  const channelBytes = Buffer.from(`${channel}\0`, "utf8");
  const payloadBytes = Buffer.from(`${payload}\0`, "utf8");
  const header = Buffer.alloc(9);
  header[0] = NOTIFICATION_RESPONSE;
  header.writeInt32BE(4 + 4 + channelBytes.length + payloadBytes.length, 1);
  header.writeInt32BE(pid, 5);
  return Buffer.concat([header, channelBytes, payloadBytes]);
}
