import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, DataTable, InlineStack, Layout, Page, Spinner, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { listMerges, type MergeRow, type MergeSide } from "../merges/list.server";
import { submitMergeAction } from "../merges/page.server";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return listMerges(getRuntime().db, shop);
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const outcome = await submitMergeAction(getRuntime().db, shop, actor, await request.formData());
  return outcome.ok ? outcome : data(outcome, { status: outcome.status });
}

function person(side: MergeSide): string {
  return `${side.name ?? "No name"} · ${side.visits} visit${side.visits === 1 ? "" : "s"} · #${side.customerId}`;
}

function evidence(row: MergeRow): string {
  return row.evidence.map((item) => `${item.kind}: ${item.detail}`).join("; ") || "—";
}

const STATUS_TONE = { confirmed: "success", rejected: undefined, undone: "attention", proposed: "info" } as const;

export default function MergesPage() {
  const { proposed, history } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<typeof action>();
  const busy = fetcher.state !== "idle";
  const intent = fetcher.formData?.get("intent");
  const decide = (mergeId: string, decision: "confirm" | "reject" | "undo") => fetcher.submit({ intent: decision, mergeId }, { method: "post" });
  const result = fetcher.data;

  return (
    <Page
      title="Duplicate customers"
      subtitle="One person as several Shopify customers: merge them so their visits count as one member's"
      primaryAction={{ content: "Look for duplicates now", loading: busy && intent === "propose", disabled: busy, onAction: () => fetcher.submit({ intent: "propose" }, { method: "post" }) }}
    >
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {busy ? (
              <Banner tone="info">
                <InlineStack gap="200" blockAlign="center">
                  <Spinner size="small" accessibilityLabel="Working" />
                  <Text as="span">{intent === "propose" ? "Comparing emails, phone numbers and card scans…" : "Recomputing visits, member details and segments…"}</Text>
                </InlineStack>
              </Banner>
            ) : result ? (
              <Banner tone={result.ok ? "success" : "critical"}>
                <p>{result.message}</p>
              </Banner>
            ) : null}
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Proposed merges
                </Text>
                {proposed.length === 0 ? (
                  <Text as="p" tone="subdued">
                    Nothing to decide. Proposals come from the same email or phone number (written differently) or a member card scanned on another customer&apos;s sale — never from a name alone. The nightly recompute looks for new ones.
                  </Text>
                ) : (
                  <DataTable
                    columnContentTypes={["text", "text", "text", "text"]}
                    headings={["Keeps", "Merges into it", "Evidence", ""]}
                    rows={proposed.map((row) => [
                      person(row.survivor),
                      person(row.merged),
                      evidence(row),
                      <InlineStack key={row.id} gap="200">
                        <Button variant="primary" disabled={busy} onClick={() => decide(row.id, "confirm")}>
                          Confirm
                        </Button>
                        <Button disabled={busy} onClick={() => decide(row.id, "reject")}>
                          Not the same person
                        </Button>
                      </InlineStack>,
                    ])}
                  />
                )}
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  History
                </Text>
                {history.length === 0 ? (
                  <Text as="p" tone="subdued">
                    No merge decided yet.
                  </Text>
                ) : (
                  <DataTable
                    columnContentTypes={["text", "text", "text", "text", "text"]}
                    headings={["Status", "Kept", "Merged", "Decided", ""]}
                    rows={history.map((row) => [
                      <Badge key="status" tone={STATUS_TONE[row.status]}>
                        {row.status}
                      </Badge>,
                      person(row.survivor),
                      person(row.merged),
                      (row.undoneAt ?? row.decidedAt ?? row.proposedAt).slice(0, 16).replace("T", " "),
                      row.status === "confirmed" ? (
                        <Button key={row.id} disabled={busy} onClick={() => decide(row.id, "undo")}>
                          Undo
                        </Button>
                      ) : (
                        ""
                      ),
                    ])}
                  />
                )}
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
