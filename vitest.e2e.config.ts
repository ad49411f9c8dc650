import { defineConfig } from "vitest/config";

// Browser tests: real Chromium (Debian's, /usr/bin/chromium) driven by playwright-core.
export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    setupFiles: ["tests/setup/fail-on-console-error.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: "forks",
  },
});
