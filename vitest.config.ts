import { defineConfig } from "vitest/config";

/**
 * Tests that mostly wait (a minute of orders while PostgreSQL or Redis
 * restarts, a killed worker's jobs coming back) rather than compute. CI runs
 * them in a process of their own beside `npm test`, which then leaves them
 * out (REGULARS_TESTS_APART=waiting); everywhere else `npm test` runs them too.
 */
export const WAITING_TESTS = ["tests/integration/faults-*.test.ts", "tests/integration/campaign-worker-kill.test.ts"];

// Unit and integration tests. Integration tests start real databases and
// queues, so files run one at a time on this 2-core machine's budget.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...(process.env.REGULARS_TESTS_APART === "waiting" ? WAITING_TESTS : [])],
    setupFiles: ["tests/setup/fail-on-console-error.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: "forks",
  },
});
