/** Ends an exhaustive switch: adding a case to the union without handling it fails to compile. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
