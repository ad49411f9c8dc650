import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, DataTable, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { perksPage, submitPerksForm } from "../perks/page.server";
import type { PerkProgramView } from "../perks/programs.server";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return perksPage(getRuntime().db, shop);
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const outcome = await submitPerksForm(getRuntime().db, shop, actor, await request.formData());
  return outcome.ok ? outcome : data(outcome, { status: 400 });
}

interface Fields {
  kind: string;
  name: string;
  reward: string;
  everyVisits: string;
  variantIds: string;
  segmentId: string;
  startsOn: string;
}

const today = () => new Date().toISOString().slice(0, 10);
const EMPTY: Fields = { kind: "every_nth_visit", name: "", reward: "", everyVisits: "8", variantIds: "", segmentId: "", startsOn: "" };

function fieldsOf(program: PerkProgramView): Fields {
  return {
    kind: program.kind,
    name: program.name,
    reward: program.reward,
    everyVisits: program.everyVisits === null ? "" : String(program.everyVisits),
    variantIds: program.variantIds.join(", "),
    segmentId: program.segmentId ?? "",
    startsOn: program.startsOn,
  };
}

function describe(program: PerkProgramView, titles: Map<string, string>): string {
  const items = program.variantIds.map((id) => titles.get(id) ?? id).join(", ");
  if (program.kind === "every_nth_visit") return `every ${program.everyVisits ?? "?"} visits${items ? ` (on ${items})` : ""}`;
  return `tasting of ${items} for ${program.segmentId ? `segment ${program.segmentId}` : "members with 3+ visits"}`;
}

export default function PerksPage() {
  const page = useLoaderData<typeof loader>();
  const save = useFetcher<typeof action>();
  const toggle = useFetcher<typeof action>();
  const [editing, setEditing] = useState<string | null>(null);
  const [fields, setFields] = useState<Fields>(() => ({ ...EMPTY, startsOn: today() }));
  const set = (name: keyof Fields) => (value: string) => setFields((current) => ({ ...current, [name]: value }));
  const titles = new Map(page.items.map((item) => [item.variantId, item.title]));

  const result = save.data;
  const errors = result && !result.ok ? result.errors : {};
  useEffect(() => {
    if (result?.ok) {
      setEditing(null);
      setFields({ ...EMPTY, startsOn: today() });
    }
  }, [result]);

  const submit = () => {
    const form = new FormData();
    form.set("intent", "save");
    if (editing) form.set("id", editing);
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    const current = editing ? page.programs.find((program) => program.id === editing) : undefined;
    form.set("active", current && !current.active ? "off" : "on");
    save.submit(form, { method: "post" });
  };
  const setActive = (program: PerkProgramView, active: boolean) => {
    const form = new FormData();
    form.set("intent", active ? "resume" : "pause");
    form.set("id", program.id);
    toggle.submit(form, { method: "post" });
  };
  const addVariant = (variantId: string) => {
    if (!variantId) return;
    const present = fields.variantIds.split(/[\s,;]+/).filter(Boolean);
    if (!present.includes(variantId)) set("variantIds")([...present, variantId].join(", "));
  };
  const toggleResult = toggle.data;

  return (
    <Page title="Perks" subtitle="Perks earned from visits, not spend: given at the counter through the POS, counted in the weekly report">
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Programs
              </Text>
              {toggleResult?.ok ? <Banner tone="success">{toggleResult.message}</Banner> : null}
              {toggleResult && !toggleResult.ok ? <Banner tone="critical">{toggleResult.errors.form ?? "Nothing changed."}</Banner> : null}
              {page.programs.length === 0 ? (
                <Text as="p" tone="subdued">
                  No perk programs yet. Create one below, e.g. &quot;every 8th visit, a drink on us&quot;.
                </Text>
              ) : (
                <DataTable
                  columnContentTypes={["text", "text", "text", "numeric", "numeric", "text"]}
                  headings={["Program", "Earned by", "Status", `Redeemed since ${page.weekFrom}`, "Redeemed, all time", ""]}
                  rows={page.programs.map((program) => [
                    `${program.name}: ${program.reward}`,
                    describe(program, titles),
                    <Badge key="status" tone={program.active ? "success" : undefined}>
                      {program.active ? `running since ${program.startsOn}` : "paused"}
                    </Badge>,
                    program.redeemedThisWeek,
                    program.redeemedAllTime,
                    <InlineStack key="actions" gap="200">
                      <Button
                        onClick={() => {
                          setEditing(program.id);
                          setFields(fieldsOf(program));
                        }}
                      >
                        Edit
                      </Button>
                      <Button onClick={() => setActive(program, !program.active)} loading={toggle.state !== "idle"}>
                        {program.active ? "Pause" : "Resume"}
                      </Button>
                    </InlineStack>,
                  ])}
                />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <Text as="h2" variant="headingMd">
                {editing ? "Edit program" : "New program"}
              </Text>
              {result?.ok ? <Banner tone="success">{result.message}</Banner> : null}
              {result && !result.ok ? (
                <Banner tone="critical" title="Nothing was saved">
                  <p>{errors.form ?? "Correct the fields marked below."}</p>
                </Banner>
              ) : null}
              <FormLayout>
                <Select
                  label="Kind"
                  options={[
                    { label: "Every n-th visit (e.g. every 8th visit, a drink on us)", value: "every_nth_visit" },
                    { label: "Tasting of each new item, for regulars", value: "new_item_tasting" },
                  ]}
                  value={fields.kind}
                  onChange={set("kind")}
                  error={errors.kind}
                />
                <FormLayout.Group>
                  <TextField label="Name" value={fields.name} onChange={set("name")} autoComplete="off" placeholder="Eighth visit" error={errors.name} />
                  <TextField label="Reward" value={fields.reward} onChange={set("reward")} autoComplete="off" placeholder="a drink on us" helpText="Shown to the barista and on the member's card." error={errors.reward} />
                </FormLayout.Group>
                {fields.kind === "every_nth_visit" ? (
                  <TextField label="One perk every … visits" type="number" value={fields.everyVisits} onChange={set("everyVisits")} autoComplete="off" error={errors.everyVisits} />
                ) : (
                  <Select
                    label="Regulars"
                    options={[{ label: "Members with 3 or more visits", value: "" }, ...page.segments.map((segment) => ({ label: `Segment: ${segment.name}`, value: segment.id }))]}
                    value={fields.segmentId}
                    onChange={set("segmentId")}
                    error={errors.segmentId}
                  />
                )}
                <TextField
                  label={fields.kind === "every_nth_visit" ? "Items it applies to (variant ids; empty: any item)" : "New items to taste (variant ids)"}
                  value={fields.variantIds}
                  onChange={set("variantIds")}
                  autoComplete="off"
                  multiline={2}
                  error={errors.variantIds}
                />
                {page.items.length > 0 ? (
                  <Select label="Add an item" options={[{ label: "Choose an item…", value: "" }, ...page.items.map((item) => ({ label: `${item.title} (${item.variantId})`, value: item.variantId }))]} value="" onChange={addVariant} />
                ) : null}
                <TextField label="Visits count from (shop-local date)" value={fields.startsOn} onChange={set("startsOn")} autoComplete="off" placeholder="2026-03-02" error={errors.startsOn} />
              </FormLayout>
              <InlineStack align="end" gap="200">
                {editing ? (
                  <Button
                    onClick={() => {
                      setEditing(null);
                      setFields({ ...EMPTY, startsOn: today() });
                    }}
                  >
                    Cancel
                  </Button>
                ) : null}
                <Button variant="primary" onClick={submit} loading={save.state !== "idle"}>
                  {editing ? "Save program" : "Create program"}
                </Button>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
