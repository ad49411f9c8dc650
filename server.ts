/**
 * Regulars' process entry: web server, job workers, or both (ROLE).
 * `npm start` / `npm run dev` / `npm run demo` / `npm run worker` all come here.
 */
import { ConfigError, getConfig } from "./app/config.server";
import { bootstrap } from "./app/server/bootstrap.server";
import { log } from "./app/lib/log.server";

try {
  await bootstrap(getConfig());
} catch (error) {
  if (error instanceof ConfigError || (error instanceof Error && error.name !== "Error")) {
    // A problem the person starting the process must fix, said in one plain line:
    // the configuration that would shape a log line (LOG_LEVEL) may be what is wrong.
    process.stderr.write(`regulars: ${error.message}\n`);
  } else {
    log.fatal({ err: error }, "could not start");
  }
  process.exit(1);
}
