import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  data,
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Box, Button, Card, DropZone, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { z } from "zod";
import { requireAdmin } from "../admin-auth.server";
import { getRuntime } from "../runtime.server";
import { ImportRunStatus, RecentImports, isActive } from "../components/ImportRunStatus";
import { formatBytes, uploadTooLargeMessage, UPLOAD_LIMIT_BYTES } from "../imports/limits";
import { importOverview } from "../imports/runs.server";
import { submitUpload, UploadTooLargeError } from "../imports/uploads.server";
import { enqueue } from "../../jobs/enqueue.server";

/** The page polls `?run=ID` (the loader) while an import runs. */
const runParam = z.uuid().nullable().catch(null);

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const runId = runParam.parse(new URL(request.url).searchParams.get("run"));
  return importOverview(getRuntime().db, shop, runId);
}

const uploadForm = z.object({
  file: z
    .instanceof(File, { message: "Choose a CSV file to import." })
    .refine((file) => file.size > 0, "The file is empty."),
});

/** Multipart overhead allowed on top of the file itself before the body is refused unread. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

export async function action({ request }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > UPLOAD_LIMIT_BYTES + FORM_OVERHEAD_BYTES) {
    return data({ ok: false as const, message: uploadTooLargeMessage(declared) }, { status: 413 });
  }
  let form: FormData;
  try {
    form = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: UPLOAD_LIMIT_BYTES }));
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) return data({ ok: false as const, message: uploadTooLargeMessage(null) }, { status: 413 });
    throw error;
  }
  const parsed = uploadForm.safeParse({ file: form.get("file") });
  if (!parsed.success) {
    return data({ ok: false as const, message: parsed.error.issues[0]?.message ?? "Choose a CSV file to import." }, { status: 400 });
  }
  const { file } = parsed.data;
  const runtime = getRuntime();
  try {
    const { runId } = await submitUpload(runtime.db, shop, { fileName: file.name, content: new Uint8Array(await file.arrayBuffer()) }, async (job) => {
      await enqueue(runtime.jobs, "import-orders", job, { jobId: `import-${job.runId}` });
    });
    return { ok: true as const, runId };
  } catch (error) {
    if (error instanceof UploadTooLargeError) return data({ ok: false as const, message: error.message }, { status: 413 });
    throw error;
  }
}

export default function ImportPage() {
  const initial = useLoaderData<typeof loader>();
  const upload = useFetcher<typeof action>();
  const poll = useFetcher<typeof loader>();
  const [file, setFile] = useState<File | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);

  const uploaded = upload.data?.ok ? upload.data.runId : null;
  const runId = uploaded ?? initial.run?.id ?? null;
  const run = [poll.data?.run, initial.run].find((candidate) => candidate?.id === runId) ?? null;
  const waiting = uploaded !== null && run === null;
  const active = waiting || (run !== null && isActive(run.status));
  const recent = poll.data?.recent ?? initial.recent;

  const load = poll.load;
  useEffect(() => {
    if (!runId || !active || poll.state !== "idle") return;
    const timer = setTimeout(() => load(`/app/import?run=${runId}`), 1_000);
    return () => clearTimeout(timer);
  }, [runId, active, poll.state, poll.data, load]);

  const choose = (_all: File[], accepted: File[]) => {
    const [chosen] = accepted;
    if (!chosen) return;
    setFile(chosen);
    setFileProblem(chosen.size > UPLOAD_LIMIT_BYTES ? uploadTooLargeMessage(chosen.size) : null);
  };
  const submit = () => {
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    upload.submit(form, { method: "post", encType: "multipart/form-data" });
  };
  const problem = fileProblem ?? (upload.data && !upload.data.ok ? upload.data.message : null);

  return (
    <Page title="Import" subtitle="Order history from another POS">
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Upload a CSV file
                </Text>
                <Text as="p" tone="subdued">
                  One order per line, with a header line. Required columns: customer_id (empty for a guest), ordered_at,
                  total. Optional: order_id, currency, location, channel (pos or web), email, items (SKU:qty;SKU:qty).
                  Times without an offset are read in the shop&apos;s time zone. A file with any bad row imports
                  nothing; importing the same file again changes nothing. Up to {formatBytes(UPLOAD_LIMIT_BYTES)}.
                </Text>
                <DropZone label="Order history (CSV)" allowMultiple={false} type="file" onDrop={choose} disabled={active}>
                  {file ? (
                    <Box padding="800">
                      <Text as="p" alignment="center">
                        {file.name} · {formatBytes(file.size)}
                      </Text>
                    </Box>
                  ) : (
                    <DropZone.FileUpload actionHint={`.csv up to ${formatBytes(UPLOAD_LIMIT_BYTES)}`} />
                  )}
                </DropZone>
                {problem ? (
                  <Banner tone="critical" title="This file cannot be uploaded">
                    <p>{problem}</p>
                  </Banner>
                ) : null}
                <InlineStack align="end">
                  <Button
                    variant="primary"
                    onClick={submit}
                    disabled={!file || fileProblem !== null || active}
                    loading={upload.state !== "idle"}
                  >
                    Import
                  </Button>
                </InlineStack>
              </BlockStack>
            </Card>
            {run ? <ImportRunStatus run={run} /> : waiting ? <ImportRunStatus run={null} /> : null}
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <RecentImports runs={recent} />
        </Layout.Section>
      </Layout>
    </Page>
  );
}
