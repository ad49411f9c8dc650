import type { Command } from "commander";
import type { Config } from "../config.server";
import { openDatabase } from "../db/database.server";
import { applyMigrations, migrationStatus } from "../db/migrations.server";

export function registerDbCommands(program: Command, loadConfig: () => Config): void {
  const db = program.command("db").description("database maintenance");

  db.command("migrate")
    .description("apply pending migrations from prisma/migrations (offline, no Prisma engine download)")
    .action(async () => {
      const database = await openDatabase(loadConfig().database);
      try {
        const { applied } = await applyMigrations(database.url);
        console.log(applied.length === 0 ? "Database is up to date; nothing to apply." : `Applied ${applied.length} migration(s):`);
        for (const name of applied) console.log(`  ${name}`);
      } finally {
        await database.close();
      }
    });

  db.command("status")
    .description("list applied and pending migrations; exits 1 when the database is behind")
    .action(async () => {
      const database = await openDatabase(loadConfig().database);
      try {
        const status = await migrationStatus(database.url);
        for (const name of status.local) {
          const state = status.failed.includes(name) ? "failed" : status.pending.includes(name) ? "pending" : "applied";
          console.log(`${state.padEnd(8)} ${name}`);
        }
        console.log(status.upToDate ? "Database is up to date." : "Database is behind: run `npm run db:migrate`.");
        if (!status.upToDate) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
