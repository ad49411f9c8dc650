import { relative } from "node:path";
import { createMigration, InvalidMigrationNameError, MigrationError } from "../app/db/migrations.server";

/**
 * `npm run db:migration:new NAME`: writes the next folder under
 * prisma/migrations/ from the changes in prisma/schema.prisma. Needs no
 * database server; apply it with the app's migrate step or `prisma migrate deploy`.
 */

const USAGE = "Usage: npm run db:migration:new NAME   (NAME: lowercase letters, digits, underscores, e.g. add_member_tiers)";

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const [name, ...extra] = args;
  if (name === undefined || extra.length > 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const result = await createMigration(name);
    if (result.directory === null) {
      console.log("No changes: prisma/schema.prisma matches the existing migrations, so no migration was created.");
    } else {
      console.log(`Created ${relative(process.cwd(), result.directory)}/migration.sql`);
    }
    return 0;
  } catch (error) {
    if (error instanceof InvalidMigrationNameError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof MigrationError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
