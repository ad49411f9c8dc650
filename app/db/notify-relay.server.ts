import { createConnection, createServer, type Socket } from "node:net";

/**
 * Delivers LISTEN/NOTIFY across connections to the embedded database.
 *
 * pglite-socket multiplexes every client onto PGlite's one session, so a
 * notification raised by connection B comes back in B's own reply stream, not
 * to connection A that ran `LISTEN` (BullMQ's workers would then sleep until
 * their next timer instead of waking when a job is added). This relay sits in
 * front of the socket server, speaks just enough of the PostgreSQL wire
 * protocol (https://www.postgresql.org/docs/current/protocol-message-formats.html)
 * to find message boundaries, takes every NotificationResponse out of the
 * stream it arrived in and hands it to the connections that listen on its
 * channel. It only ever writes whole messages, so an injected notification
 * lands between two messages, where the protocol allows one at any time.
 *
 * Limitation: `UNLISTEN` from one connection unlistens the shared session for
 * all; nothing in the app issues it.
 */
export interface NotifyRelay {
  port: number;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const NOTIFICATION_RESPONSE = 0x41; // 'A'
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'

export async function startNotifyRelay(options: {
  upstreamHost: string;
  upstreamPort: number;
  host: string;
  port: number;
}): Promise<NotifyRelay> {
  const connections = new Set<RelayConnection>();
  const broadcast = (channel: string, payload: string, pid: number) => {
    const message = notificationMessage(pid, channel, payload);
    for (const connection of connections) {
      if (connection.listensTo(channel)) connection.deliver(message);
    }
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: options.upstreamHost, port: options.upstreamPort });
    const connection = new RelayConnection(client, upstream, broadcast);
    connections.add(connection);
    connection.onClose(() => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("notify relay has no address");
  return {
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.destroy();
        server.close(() => resolve());
      }),
  };
}

class RelayConnection {
  private readonly channels = new Set<string>();
  private fromClient = Buffer.alloc(0);
  private fromServer = Buffer.alloc(0);
  private clientStarted = false;
  /** Replies to SSL and GSS encryption requests are one bare byte, not a message. */
  private pendingSingleBytes = 0;
  private closed = false;
  private closeListeners: Array<() => void> = [];

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly broadcast: (channel: string, payload: string, pid: number) => void,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      this.readClient(chunk);
    });
    upstream.on("data", (chunk: Buffer) => this.readServer(chunk));
    for (const socket of [client, upstream]) {
      socket.on("error", () => this.destroy());
      socket.on("close", () => this.destroy());
    }
  }

  listensTo(channel: string): boolean {
    return this.channels.has(channel);
  }

  deliver(message: Buffer): void {
    if (!this.closed && this.client.writable) this.client.write(message);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
    for (const listener of this.closeListeners) listener();
  }

  /** Watches what the client sends for LISTEN/UNLISTEN; the bytes themselves pass through untouched. */
  private readClient(chunk: Buffer): void {
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    for (;;) {
      if (!this.clientStarted) {
        // Start-up packets have no type byte: length, then a request code.
        if (this.fromClient.length < 8) return;
        const length = this.fromClient.readInt32BE(0);
        if (this.fromClient.length < length) return;
        const code = this.fromClient.readInt32BE(4);
        this.fromClient = this.fromClient.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.pendingSingleBytes += 1;
        else if (code !== CANCEL_REQUEST) this.clientStarted = true;
        continue;
      }
      if (this.fromClient.length < 5) return;
      const length = this.fromClient.readInt32BE(1);
      if (this.fromClient.length < 1 + length) return;
      const type = this.fromClient[0];
      const body = this.fromClient.subarray(5, 1 + length);
      this.fromClient = this.fromClient.subarray(1 + length);
      if (type === QUERY) this.noteListens(readCString(body, 0).value);
      else if (type === PARSE) this.noteListens(readCString(body, readCString(body, 0).next).value);
    }
  }

  /** Forwards whole server messages, taking notifications out for the relay to route. */
  private readServer(chunk: Buffer): void {
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    const forward: Buffer[] = [];
    while (this.pendingSingleBytes > 0 && this.fromServer.length > 0) {
      forward.push(this.fromServer.subarray(0, 1));
      this.fromServer = this.fromServer.subarray(1);
      this.pendingSingleBytes -= 1;
    }
    const notifications: Array<{ channel: string; payload: string; pid: number }> = [];
    while (this.pendingSingleBytes === 0 && this.fromServer.length >= 5) {
      const length = this.fromServer.readInt32BE(1);
      if (this.fromServer.length < 1 + length) break;
      const message = this.fromServer.subarray(0, 1 + length);
      this.fromServer = this.fromServer.subarray(1 + length);
      if (message[0] === NOTIFICATION_RESPONSE) notifications.push(parseNotification(message));
      else forward.push(message);
    }
    if (forward.length > 0 && this.client.writable) this.client.write(Buffer.concat(forward));
    for (const n of notifications) this.broadcast(n.channel, n.payload, n.pid);
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
