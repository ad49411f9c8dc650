import { z } from "zod";

/** A customer id as orders carry it: Shopify's numeric id, or a redaction pseudonym. */
export const customerIdSchema = z
  .string({ error: "customer id must be a string" })
  .min(1, "customer id must not be empty")
  .max(100, "customer id must be at most 100 characters");

/** Which customers a rebuild covers: the whole shop, a list, or (an empty list) nobody. */
export type CustomerScope = { kind: "all" } | { kind: "some"; ids: string[] } | { kind: "none" };

/** Validates and de-duplicates a customer list; absent means the whole shop. */
export function customerScope(customerIds: readonly string[] | undefined): CustomerScope {
  if (customerIds === undefined) return { kind: "all" };
  const parsed = z.array(customerIdSchema).safeParse(customerIds);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`customerIds[${String(issue?.path[0] ?? "?")}]: ${issue?.message ?? "invalid"}`);
  }
  const ids = [...new Set(parsed.data)];
  return ids.length === 0 ? { kind: "none" } : { kind: "some", ids };
}
