import { useEffect, useMemo, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { BUILDER_FIELDS, builderDefinition, builderOperators, valueHint, type BuilderRow, type BuilderState } from "../analytics/segments/builder";
import { createSegmentFromForm, listSegmentsForPage } from "../analytics/segments/pages.server";
import { getRuntime } from "../runtime.server";
import type { action as countAction } from "./app.segments.count";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const segments = await listSegmentsForPage(getRuntime().db, shop);
  return { segments: segments.map((s) => ({ id: s.id, name: s.name })) };
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const form = await request.formData();
  const outcome = await createSegmentFromForm(getRuntime().db, shop, actor, { name: form.get("name"), description: form.get("description"), definition: form.get("definition") });
  if (!outcome.ok) return data(outcome, { status: 400 });
  return redirect(`/app/segments/${encodeURIComponent(outcome.segmentId)}`);
}

const FIRST_ROW: BuilderRow = { field: "visitCount", op: "gte", value: "3" };

export default function NewSegment() {
  const { segments } = useLoaderData<typeof loader>();
  const save = useFetcher<typeof action>();
  const count = useFetcher<typeof countAction>();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [builder, setBuilder] = useState<BuilderState>({ match: "all", rows: [FIRST_ROW] });
  const [asJson, setAsJson] = useState(false);
  const [jsonText, setJsonText] = useState("");
  const built = useMemo(() => JSON.stringify(builderDefinition(builder)), [builder]);
  const definition = asJson ? jsonText : built;

  // The live count: asked again a moment after the definition stops changing.
  const submitCount = count.submit;
  useEffect(() => {
    const timer = setTimeout(() => submitCount({ definition }, { method: "post", action: "/app/segments/count" }), 350);
    return () => clearTimeout(timer);
  }, [definition, submitCount]);

  const setRow = (index: number, patch: Partial<BuilderRow>) =>
    setBuilder((current) => ({
      ...current,
      rows: current.rows.map((row, i) => {
        if (i !== index) return row;
        const next = { ...row, ...patch };
        if (patch.field && !builderOperators(patch.field).includes(next.op)) next.op = builderOperators(patch.field)[0] ?? "eq";
        return next;
      }),
    }));
  const switchToJson = (on: boolean) => {
    if (on) setJsonText(JSON.stringify(builderDefinition(builder), null, 2));
    setAsJson(on);
  };

  const counted = count.data;
  const saveProblems = save.data && !save.data.ok ? save.data.messages : [];

  return (
    <Page title="Build a segment" backAction={{ content: "Segments", url: "/app/segments" }}>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {saveProblems.length > 0 ? (
              <Banner tone="critical" title="The segment was not saved">
                <ul>
                  {saveProblems.map((message) => (
                    <li key={message}>{message}</li>
                  ))}
                </ul>
              </Banner>
            ) : null}
            <Card>
              <FormLayout>
                <TextField label="Name" value={name} onChange={setName} autoComplete="off" maxLength={80} />
                <TextField label="Description" value={description} onChange={setDescription} autoComplete="off" multiline={2} maxLength={500} />
              </FormLayout>
            </Card>
            <Card>
              <BlockStack gap="300">
                <InlineStack align="space-between" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    Who is in it
                  </Text>
                  <Checkbox label="Edit as JSON" checked={asJson} onChange={switchToJson} />
                </InlineStack>
                {asJson ? (
                  <TextField label="Definition (JSON)" value={jsonText} onChange={setJsonText} multiline={10} autoComplete="off" monospaced helpText="The format of docs/segments.md; segments can refer to others with inSegment." />
                ) : (
                  <BlockStack gap="300">
                    <Select
                      label="Customers who match"
                      options={[
                        { label: "all of these", value: "all" },
                        { label: "any of these", value: "any" },
                      ]}
                      value={builder.match}
                      onChange={(match) => setBuilder((current) => ({ ...current, match: match === "any" ? "any" : "all" }))}
                    />
                    {builder.rows.map((row, index) => (
                      <InlineStack key={index} gap="200" blockAlign="end" wrap={false}>
                        <Select
                          label="Field"
                          labelHidden={index > 0}
                          options={BUILDER_FIELDS.map((field) => ({ label: field.name, value: field.name }))}
                          value={row.field}
                          onChange={(field) => setRow(index, { field })}
                        />
                        <Select label="Test" labelHidden={index > 0} options={builderOperators(row.field)} value={row.op} onChange={(op) => setRow(index, { op })} />
                        <TextField
                          label="Value"
                          labelHidden={index > 0}
                          value={row.value}
                          onChange={(value) => setRow(index, { value })}
                          autoComplete="off"
                          placeholder={valueHint(row.field, row.op)}
                          disabled={row.op === "isNull" || row.op === "isNotNull"}
                        />
                        <Button accessibilityLabel={`Remove condition ${index + 1}`} onClick={() => setBuilder((c) => ({ ...c, rows: c.rows.filter((_, i) => i !== index) }))} disabled={builder.rows.length === 1}>
                          Remove
                        </Button>
                      </InlineStack>
                    ))}
                    <InlineStack>
                      <Button onClick={() => setBuilder((c) => ({ ...c, rows: [...c.rows, { field: "daysSinceLastVisit", op: "lte", value: "30" }] }))}>Add condition</Button>
                    </InlineStack>
                    <Text as="p" tone="subdued">
                      {BUILDER_FIELDS.find((field) => field.name === builder.rows[builder.rows.length - 1]?.field)?.description ?? ""}
                    </Text>
                  </BlockStack>
                )}
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Members now
              </Text>
              {counted?.ok ? (
                <Text as="p" variant="heading2xl" id="segment-live-count">
                  {counted.count.toLocaleString("en")}
                </Text>
              ) : counted && !counted.ok ? (
                <Banner tone="warning" title="Not a valid segment yet">
                  <ul>
                    {counted.messages.map((message) => (
                      <li key={message}>{message}</li>
                    ))}
                  </ul>
                </Banner>
              ) : (
                <Text as="p" tone="subdued">
                  Counting…
                </Text>
              )}
              <Text as="p" tone="subdued">
                {counted?.ok ? `customers matching as of ${counted.asOf}` : " "}
              </Text>
              {segments.length > 0 ? (
                <Text as="p" tone="subdued">
                  Refer to an existing segment in JSON with {"{"}&quot;inSegment&quot;: &quot;{segments[0]?.id}&quot;{"}"}.
                </Text>
              ) : null}
              <Button
                variant="primary"
                loading={save.state !== "idle"}
                disabled={name.trim() === ""}
                onClick={() => save.submit({ name, description, definition }, { method: "post" })}
              >
                Save segment
              </Button>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
