import { resolve } from "node:path";
import type { Config } from "../config.server";
import { startEmbeddedDatabase, JOB_QUEUE_SCHEMA } from "./embedded.server";

/** Where the app's PostgreSQL lives for this process. */
export interface OpenDatabase {
  kind: "embedded" | "postgres";
  url: string;
  /** The embedded database's folder, for messages. */
  dataDir?: string;
  /** Stops the embedded database; a no-op for a server the process does not own. */
  close(): Promise<void>;
}

export { JOB_QUEUE_SCHEMA };

/** Opens the configured database: the server at DATABASE_URL, or the embedded one under DATA_DIR. */
export async function openDatabase(database: Config["database"]): Promise<OpenDatabase> {
  switch (database.kind) {
    case "postgres":
      return { kind: "postgres", url: database.url, close: async () => {} };
    case "embedded": {
      const dataDir = resolve(database.dataDir);
      const embedded = await startEmbeddedDatabase({ dataDir, port: database.port });
      return { kind: "embedded", url: embedded.url, dataDir, close: () => embedded.stop() };
    }
  }
}
