import { describe, expect, it } from "vitest";
import { createProgress, progressLine } from "../../app/simulate/progress";

describe("the progress bar", () => {
  it("shows the share done, the counts and the rate", () => {
    expect(progressLine("webhooks", 500, 2000, 2000, 8)).toBe("webhooks [##------] 500/2,000 25% 250/s");
    expect(progressLine("webhooks", 0, 0, 0, 4)).toBe("webhooks [####] 0/0 100% 0/s");
  });

  it("prints a line when it starts and at every tenth when stderr is not a terminal, and redraws in place on one", () => {
    let clock = 0;
    const lines: string[] = [];
    const log = createProgress("x", 100, { isTTY: false, write: (text: string) => lines.push(text) }, () => clock);
    for (let i = 0; i < 100; i++) {
      clock += 10;
      log.advance();
    }
    log.finish();
    // The first step (so a long job shows it started), then each tenth.
    expect(lines).toHaveLength(11);
    expect(lines[0]).toContain("1/100 1%");
    expect(lines.every((line) => line.endsWith("\n"))).toBe(true);
    expect(lines.at(-1)).toContain("100/100 100%");

    const drawn: string[] = [];
    const terminal = createProgress("x", 3, { isTTY: true, write: (text: string) => drawn.push(text) }, () => (clock += 200));
    terminal.advance();
    terminal.advance();
    terminal.advance();
    terminal.finish();
    expect(drawn.every((text) => text.startsWith("\r"))).toBe(true);
    expect(drawn.at(-1)).toMatch(/3\/3 100% .*\n$/);
  });
});
