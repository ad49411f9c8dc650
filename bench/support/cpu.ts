/**
 * CPU seconds spent by processes during a benchmark phase, read from Linux's
 * /proc (user + system time). Elsewhere every figure is null. Used to say
 * where a run's time went; a backend process that exits during the phase is
 * not counted.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";

const TICKS_PER_SECOND = 100;

export const cpuAccounting = existsSync("/proc/self/stat");

/** User + system CPU seconds of one process, or 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A process and everything it started (npm → node, for instance). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // Exited while listing.
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** Measures named groups of processes between `start()` and `stop()`. */
export class CpuMeter {
  private started = new Map<number, number>();

  constructor(private readonly groups: () => Promise<Record<string, number[]>>) {}

  async start(): Promise<void> {
    this.started = new Map();
    if (!cpuAccounting) return;
    for (const pids of Object.values(await this.groups())) for (const pid of pids) this.started.set(pid, cpuSeconds(pid));
  }

  /** CPU seconds per group since `start()`; a process first seen now counts from zero. */
  async stop(): Promise<Record<string, number | null>> {
    const result: Record<string, number | null> = {};
    const groups = cpuAccounting ? await this.groups() : {};
    for (const [name, pids] of Object.entries(groups)) {
      if (!cpuAccounting) {
        result[name] = null;
        continue;
      }
      let total = 0;
      for (const pid of pids) total += cpuSeconds(pid) - (this.started.get(pid) ?? 0);
      result[name] = Math.round(total * 100) / 100;
    }
    return result;
  }
}
