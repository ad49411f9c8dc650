/**
 * Lets pending I/O callbacks run. The drain's batches take tens of
 * milliseconds of parsing and encoding; with ROLE=all the web server shares
 * the event loop, and webhook requests should not wait behind a whole batch.
 */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deliveries or records handled between two yields. */
export const YIELD_EVERY = 100;
