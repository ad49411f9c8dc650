import { z } from "zod";
import type { AdminApi } from "../../shopify/admin-api.server";

/**
 * The Admin API calls a backfill makes: start a bulk query, read an
 * operation's status (the fallback when the bulk_operations/finish webhook is
 * late or lost), and find the shop's current operation.
 * https://shopify.dev/docs/api/usage/bulk-operations/queries
 */

const START = `#graphql
  mutation RegularsBackfillStart($query: String!) {
    bulkOperationRunQuery(query: $query, groupObjects: true) {
      bulkOperation { id status }
      userErrors { field message code }
    }
  }`;

const STATUS = `#graphql
  query RegularsBackfillStatus($id: ID!) {
    node(id: $id) {
      ... on BulkOperation { id status errorCode objectCount url }
    }
  }`;

const CURRENT = `#graphql
  query RegularsBackfillCurrent {
    currentBulkOperation { id status query }
  }`;

export const BULK_STATUSES = ["CREATED", "RUNNING", "COMPLETED", "FAILED", "CANCELING", "CANCELED", "EXPIRED"] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/** Statuses after which the operation will not change again. */
export const FINAL_BULK_STATUSES: readonly BulkStatus[] = ["COMPLETED", "FAILED", "CANCELED", "EXPIRED"];

const operationId = z.string().startsWith("gid://shopify/BulkOperation/");

const startResponse = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: z.object({ id: operationId, status: z.enum(BULK_STATUSES) }).nullable(),
    userErrors: z.array(z.object({ message: z.string(), code: z.string().nullish() })),
  }),
});

const statusResponse = z.object({
  node: z
    .object({
      id: operationId,
      status: z.enum(BULK_STATUSES),
      errorCode: z.string().nullish(),
      // UnsignedInt64 travels as a string.
      objectCount: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(Number),
      url: z.string().nullish(),
    })
    .nullable(),
});

const currentResponse = z.object({
  currentBulkOperation: z.object({ id: operationId, status: z.enum(BULK_STATUSES), query: z.string() }).nullable(),
});

export type StartOutcome =
  | { kind: "started"; operationId: string }
  /** Shopify runs one bulk query per shop and app at a time. */
  | { kind: "busy"; message: string }
  | { kind: "refused"; message: string };

export async function startBulkQuery(api: AdminApi, query: string): Promise<StartOutcome> {
  const data = startResponse.parse(await api.graphql(START, { query }));
  const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
  if (bulkOperation) return { kind: "started", operationId: bulkOperation.id };
  const busy = userErrors.find((error) => error.code === "OPERATION_IN_PROGRESS");
  if (busy) return { kind: "busy", message: busy.message };
  return { kind: "refused", message: userErrors.map((error) => error.message).join("; ") || "no operation and no error" };
}

export interface BulkOperationState {
  id: string;
  status: BulkStatus;
  errorCode: string | null;
  objectCount: number;
  /** The result file; null until completed, and null for a query that matched nothing. */
  url: string | null;
}

/** The operation's current state, or null if Shopify no longer knows it. */
export async function bulkOperationState(api: AdminApi, id: string): Promise<BulkOperationState | null> {
  const data = statusResponse.parse(await api.graphql(STATUS, { id }));
  if (!data.node) return null;
  return { ...data.node, errorCode: data.node.errorCode ?? null, url: data.node.url ?? null };
}

export async function currentBulkOperation(api: AdminApi): Promise<{ id: string; status: BulkStatus; query: string } | null> {
  return currentResponse.parse(await api.graphql(CURRENT)).currentBulkOperation;
}

/** Two bulk queries are the same when they differ only in white space. */
export function sameQuery(a: string, b: string): boolean {
  const squash = (text: string) => text.replace(/\s+/g, " ").trim();
  return squash(a) === squash(b);
}
