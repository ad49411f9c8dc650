import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

/**
 * A local SMTP server that takes every message and keeps it instead of
 * delivering it: what the demo mails reports to (and the tests), so a report
 * can be read without a mail provider. Loopback only, no authentication; each
 * message is kept in memory and, with `folder`, written there as an .eml file
 * any mail client opens.
 */

export interface CapturedMail {
  from: string | null;
  to: string[];
  raw: Buffer;
  receivedAt: Date;
  file: string | null;
}

export interface MailCapture {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  messages: CapturedMail[];
  close(): Promise<void>;
}

export async function startMailCapture(options: { port?: number; folder?: string } = {}): Promise<MailCapture> {
  const messages: CapturedMail[] = [];
  if (options.folder) await mkdir(options.folder, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    banner: "Regulars mail capture (nothing is delivered)",
    logger: false,
    size: 25 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", callback);
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        const receivedAt = new Date();
        const file = options.folder ? join(options.folder, `${receivedAt.toISOString().replace(/[:.]/g, "-")}-${messages.length + 1}.eml`) : null;
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          receivedAt,
          file,
        });
        if (file) writeFile(file, raw).then(() => callback(), callback);
        else callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
