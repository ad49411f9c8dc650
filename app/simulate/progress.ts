/**
 * A one-line progress bar for long CLI jobs, on stderr so stdout stays
 * parseable. On a terminal it redraws in place; elsewhere (CI logs, tests) it
 * prints a line at every tenth of the way.
 */

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  advance(by?: number): void;
  finish(): void;
}

export function progressLine(label: string, done: number, total: number, elapsedMs: number, width = 30): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  const rate = elapsedMs > 0 ? Math.round((done / elapsedMs) * 1000) : 0;
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done.toLocaleString("en-GB")}/${total.toLocaleString("en-GB")} ${Math.floor(share * 100)}% ${rate.toLocaleString("en-GB")}/s`;
}

export function createProgress(label: string, total: number, sink: ProgressSink, now: () => number = () => performance.now()): Progress {
  const started = now();
  let done = 0;
  let lastDraw = 0;
  let lastTenth = -1;
  const draw = (final: boolean) => {
    const line = progressLine(label, done, total, now() - started);
    if (sink.isTTY) {
      sink.write(`\r${line}${final ? "\n" : ""}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth > lastTenth || final) {
      lastTenth = tenth;
      sink.write(`${line}\n`);
    }
  };
  return {
    advance(by = 1) {
      done += by;
      const at = now();
      if (at - lastDraw >= 100 || !sink.isTTY) {
        lastDraw = at;
        draw(false);
      }
    },
    finish() {
      if (sink.isTTY || lastTenth < 10) draw(true);
    },
  };
}
