import { ID_BASES, type ResourceType } from "../../standin/ids";

/**
 * Shopify-like numeric ids (13–14 digits, as real ones are), handed out in
 * order per resource type, so a simulation names the same order the same way
 * in its CSV, its webhooks and its ground truth.
 */
export interface IdAllocator {
  next(type: ResourceType): number;
}

export function createIdAllocator(): IdAllocator {
  const counters = new Map<ResourceType, number>();
  return {
    next(type) {
      const next = (counters.get(type) ?? ID_BASES[type]) + 1;
      counters.set(type, next);
      return next;
    },
  };
}
