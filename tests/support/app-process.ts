import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The real server (`server.ts`) in a child process, as `npm run demo`/`npm start` run it. */
export interface AppProcess {
  child: ChildProcess;
  /** The printed `serving …` URL (origin only). */
  ready: Promise<string>;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `server.ts` directly (or another TypeScript entry with `script`/`args`),
 * or an npm script (`{ npmScript: "demo" }`) as a person would.
 */
export function spawnApp(
  env: Record<string, string>,
  options: { npmScript?: string; script?: string; args?: string[] } = {},
): AppProcess {
  const [command, args] = options.npmScript
    ? ["npm", ["run", "--silent", options.npmScript]]
    : [process.execPath, ["--import", "tsx", options.script ?? "server.ts", ...(options.args ?? [])]];
  const child = spawn(command, args, {
    cwd: ROOT,
    // LOG_LEVEL=info: the start-up lines (`serving …`, `role worker`) are what tests wait for.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a stop reaches npm, the shell and node alike, as Ctrl-C does.
    detached: true,
  });
  let text = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      // The line is JSON (app/lib/log.server.ts): the URL ends at a quote.
      const match = /serving (http:\/\/[^\s/"]+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(({ code }) => reject(new Error(`app exited (${code}) before serving:\n${text}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    output: () => text,
    exited,
    async stop(signal = "SIGINT") {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      }
      return exited;
    },
  };
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
