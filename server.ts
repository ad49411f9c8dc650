/**
 * Regulars' process entry: web server, job workers, or both (ROLE).
 * `npm start` / `npm run dev` / `npm run demo` / `npm run worker` all come here.
 */
import { ConfigError, getConfig } from "./app/config.server";
import { bootstrap } from "./app/server/bootstrap.server";

try {
  await bootstrap(getConfig());
} catch (error) {
  if (error instanceof ConfigError || (error instanceof Error && error.name !== "Error")) {
    console.error(`regulars: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
