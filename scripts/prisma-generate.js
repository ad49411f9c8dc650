// Generates the Prisma client after install. `prisma generate` needs no schema
// engine, but Prisma's CLI looks for one and would try to download it, which an
// offline machine cannot do: pointing PRISMA_SCHEMA_ENGINE_BINARY at any
// existing file skips that (see docs/decisions/0002-offline-migrations.md).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
const result = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
