/**
 * Coalesces requests for a shop's drain job so that intake does not call the
 * queue once per webhook. Per shop, at most one request is on its way to the
 * queue and at most one more waits behind it, shared by every caller that
 * arrived meanwhile; it leaves `followUpDelayMs` after the previous one
 * settled, so that under sustained traffic the queue sees one request per
 * interval per shop rather than one per statement.
 *
 * The guarantee callers rely on: the promise `request(shop)` returns settles
 * only after a call to `send(shop)` that *began after* `request` was called
 * has settled, with that call's outcome. A delivery recorded before
 * `request` is therefore always followed by a drain request issued after it
 * was recorded; the queue's own deduplication (one drain running per shop,
 * one more queued behind it, docs/decisions/0007-*) then ensures a drain
 * starts after the delivery was recorded and applies it.
 */
export class DrainRequests {
  private readonly shops = new Map<string, ShopRequests>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly send: (shop: string) => Promise<void>,
    private readonly options: { followUpDelayMs: number } = { followUpDelayMs: 0 },
  ) {}

  request(shop: string): Promise<void> {
    const state = this.shops.get(shop);
    if (!state) {
      const fresh: ShopRequests = { next: null };
      this.shops.set(shop, fresh);
      return this.start(shop, fresh);
    }
    // A request is on its way, but it may have been sent before this caller's
    // delivery was recorded: join (or open) the one that will go after it.
    state.next ??= deferred();
    return state.next.promise;
  }

  /** Shops with a request on its way or waiting (for tests and diagnostics). */
  get inFlight(): number {
    return this.shops.size;
  }

  /** Resolves once no request is on its way or waiting (shutdown waits for it). */
  idle(): Promise<void> {
    if (this.shops.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(shop: string, state: ShopRequests): Promise<void> {
    return Promise.resolve()
      .then(() => this.send(shop))
      .finally(() => this.after(shop, state));
  }

  /**
   * After a request settles, the next one waits for `followUpDelayMs` (when
   * set): whoever asks meanwhile is served by it, so a shop's drain is
   * requested at most once per that interval however fast deliveries come.
   */
  private after(shop: string, state: ShopRequests): void {
    const next = () => {
      const waiting = state.next;
      if (!waiting) {
        this.shops.delete(shop);
        if (this.shops.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        return;
      }
      // Everyone who arrived until now is served by this request.
      state.next = null;
      this.start(shop, state).then(waiting.resolve, waiting.reject);
    };
    if (this.options.followUpDelayMs > 0) setTimeout(next, this.options.followUpDelayMs);
    else next();
  }
}

interface ShopRequests {
  /** Callers that arrived while a request was on its way; served by the next one. */
  next: Deferred | null;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
