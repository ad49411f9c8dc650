import { customerAssembler, orderAssembler, type Assembler, type PreparedBatch } from "./assemble";
import { jsonlChunks } from "./jsonl";
import type { StageMode } from "./stage-rows";
import type { BackfillResource, ImportProgress } from "./types";

/**
 * The bulk file as batches ready for the database: bytes → lines → records →
 * batches, skipping what an earlier attempt already wrote. It holds no
 * connection: the importer writes what it yields.
 */
export interface ReadOptions {
  resource: BackfillResource;
  shop: string;
  mode: StageMode;
  batchSize: number;
  /** What earlier attempts already wrote: those lines are skipped. */
  resumeFrom: ImportProgress;
  /** The source begins at `resumeFrom.bytesDone` (the server honoured a Range request), not at the file's start. */
  sourceStartsAtResume: boolean;
}

/** A resumed import found a different file than the one it started (the byte offsets disagree). */
export class ResumeMismatchError extends Error {
  constructor(
    readonly expected: ImportProgress,
    readonly found: number,
  ) {
    super(`cannot resume at line ${expected.linesDone}: the file has ${found} bytes before it, the run recorded ${expected.bytesDone}`);
    this.name = "ResumeMismatchError";
  }
}

export function assemblerFor(options: ReadOptions): Assembler {
  return options.resource === "orders" ? orderAssembler(options.batchSize, options.mode, options.shop) : customerAssembler(options.batchSize, options.mode);
}

export async function* readBatches(source: AsyncIterable<Uint8Array>, options: ReadOptions): AsyncGenerator<PreparedBatch> {
  const { resumeFrom } = options;
  const assembler = assemblerFor(options);
  const position: ImportProgress = options.sourceStartsAtResume ? { ...resumeFrom } : { linesDone: 0, bytesDone: 0 };
  for await (const chunk of jsonlChunks(source)) {
    const ready: PreparedBatch[] = [];
    for (let i = 0; i < chunk.lines.length; i++) {
      const line = chunk.lines[i] ?? "";
      const bytes = chunk.bytes[i] ?? 0;
      if (position.linesDone < resumeFrom.linesDone) {
        position.linesDone += 1;
        position.bytesDone += bytes;
        if (position.linesDone === resumeFrom.linesDone && position.bytesDone !== resumeFrom.bytesDone) {
          throw new ResumeMismatchError(resumeFrom, position.bytesDone);
        }
        continue;
      }
      const before = { linesDone: position.linesDone, bytesDone: position.bytesDone };
      position.linesDone += 1;
      position.bytesDone += bytes;
      if (line.length === 0) continue;
      const batch = assembler.push(line, before);
      if (batch) ready.push(batch);
    }
    for (const batch of ready) yield batch;
  }
  if (position.linesDone < resumeFrom.linesDone) throw new ResumeMismatchError(resumeFrom, position.bytesDone);
  yield* assembler.finish({ ...position });
}
