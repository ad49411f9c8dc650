import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type Database = PrismaClient;

/** A Prisma client on PostgreSQL through the `pg` driver adapter (Prisma 7 has no built-in driver). */
export function createPrismaClient(databaseUrl: string, options: { maxConnections?: number } = {}): Database {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
