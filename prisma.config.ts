import { defineConfig } from "prisma/config";

// The datasource URL is only needed by Prisma's own CLI (e.g. `prisma migrate
// deploy` where the native engine exists); the app connects through
// @prisma/adapter-pg with the URL resolved at start-up (app/config.server.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/regulars" },
});
