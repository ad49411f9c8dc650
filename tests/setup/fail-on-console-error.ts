import { afterEach, beforeEach, vi, expect } from "vitest";

// An unexpected console.error fails the test: errors must be asserted, not scrolled past.
let errors: unknown[][] = [];

beforeEach(() => {
  errors = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(args);
  });
});

afterEach(() => {
  vi.mocked(console.error).mockRestore();
  expect(errors, "unexpected console.error").toEqual([]);
});
