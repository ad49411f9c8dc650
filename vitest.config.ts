import { defineConfig } from "vitest/config";

// Unit and integration tests. Integration tests start real databases and
// queues, so files run one at a time on this 2-core machine's budget.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    setupFiles: ["tests/setup/fail-on-console-error.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: "forks",
  },
});
