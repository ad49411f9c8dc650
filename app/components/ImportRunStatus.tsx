import { Badge, Banner, BlockStack, Card, DataTable, InlineStack, ProgressBar, Text } from "@shopify/polaris";
import { formatBytes } from "../imports/limits";

/** What the admin shows of an import run (app/imports/runs.server.ts ImportRunSummary, as the loader sends it). */
export interface ImportRunView {
  id: string;
  fileName: string;
  status: "queued" | "validating" | "importing" | "completed" | "rejected" | "failed";
  bytes: number;
  bytesDone: number;
  rows: number;
  ordersNew: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  customersNew: number;
  errors?: Array<{ line: number; column: string | null; message: string }>;
  errorCount: number;
  failure: string | null;
  startedAt: Date | string;
}

export function isActive(status: ImportRunView["status"]): boolean {
  return status === "queued" || status === "validating" || status === "importing";
}

const STATUS_BADGE: Record<ImportRunView["status"], { label: string; tone?: "success" | "critical" | "attention" | "info" }> = {
  queued: { label: "Waiting", tone: "info" },
  validating: { label: "Checking", tone: "info" },
  importing: { label: "Writing", tone: "info" },
  completed: { label: "Imported", tone: "success" },
  rejected: { label: "Not imported", tone: "critical" },
  failed: { label: "Failed", tone: "attention" },
};

const count = (n: number) => n.toLocaleString("en-US");

/** Progress while an import runs, then its outcome; `run` is null just after the upload, before the first poll. */
export function ImportRunStatus({ run }: { run: ImportRunView | null }) {
  const title = run ? run.fileName : "Starting the import…";
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack gap="200" blockAlign="center">
          <Text as="h2" variant="headingMd">
            {title}
          </Text>
          {run ? <Badge tone={STATUS_BADGE[run.status].tone}>{STATUS_BADGE[run.status].label}</Badge> : null}
        </InlineStack>
        {run === null || isActive(run.status) ? <Progress run={run} /> : <Outcome run={run} />}
      </BlockStack>
    </Card>
  );
}

function Progress({ run }: { run: ImportRunView | null }) {
  const writing = run?.status === "importing";
  const percent = run && run.bytes > 0 ? Math.round((100 * (writing ? run.bytes : run.bytesDone)) / run.bytes) : 0;
  const text =
    run === null || run.status === "queued"
      ? "Waiting for a worker to pick up the file…"
      : writing
        ? `All ${count(run.rows)} rows are valid; writing orders…`
        : `Checking rows: ${count(run.rows)} so far (${formatBytes(run.bytesDone)} of ${formatBytes(run.bytes)})`;
  return (
    <BlockStack gap="200">
      <ProgressBar progress={percent} size="small" animated />
      <Text as="p" tone="subdued">
        {text}
      </Text>
    </BlockStack>
  );
}

function Outcome({ run }: { run: ImportRunView }) {
  if (run.status === "completed") {
    return (
      <Banner tone="success" title={`Imported ${count(run.rows)} rows`}>
        <p>
          {count(run.ordersNew)} new orders, {count(run.ordersUpdated)} updated, {count(run.ordersUnchanged)} already
          held and unchanged; {count(run.customersNew)} new customers.
        </p>
      </Banner>
    );
  }
  if (run.status === "failed") {
    return (
      <Banner tone="warning" title="The import stopped before it finished">
        <p>Nothing was written. It is retried automatically; if it keeps failing, upload the file again. ({run.failure})</p>
      </Banner>
    );
  }
  const errors = run.errors ?? [];
  const hidden = run.errorCount - errors.length;
  return (
    <BlockStack gap="300">
      <Banner tone="critical" title={`Nothing was imported: ${count(run.errorCount)} ${run.errorCount === 1 ? "problem" : "problems"} in the file`}>
        <p>Fix these rows in the file and upload it again. Line 1 is the header line.</p>
      </Banner>
      <DataTable
        columnContentTypes={["numeric", "text", "text"]}
        headings={["Line", "Column", "Problem"]}
        rows={errors.map((error) => [error.line, error.column ?? "—", error.message])}
        footerContent={hidden > 0 ? `…and ${count(hidden)} more` : undefined}
      />
    </BlockStack>
  );
}

/** The latest imports of this shop. */
export function RecentImports({ runs }: { runs: ImportRunView[] }) {
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">
          Recent imports
        </Text>
        {runs.length === 0 ? (
          <Text as="p" tone="subdued">
            None yet.
          </Text>
        ) : (
          runs.map((run) => (
            <InlineStack key={run.id} gap="200" align="space-between" blockAlign="center">
              <Text as="span" truncate>
                {run.fileName}
              </Text>
              <Badge tone={STATUS_BADGE[run.status].tone}>{`${STATUS_BADGE[run.status].label} · ${count(run.rows)} rows`}</Badge>
            </InlineStack>
          ))
        )}
      </BlockStack>
    </Card>
  );
}
