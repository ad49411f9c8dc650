import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useFetcher, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, DataTable, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { DownloadButton } from "../components/DownloadButton";
import { getRuntime } from "../runtime.server";
import { applySettingsChange } from "../settings/apply.server";
import { settingsPage, submitSettings } from "../settings/page.server";
import { RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, WEEKDAY_NAMES, type SettingsErrors, type SettingsField } from "../settings/settings";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return settingsPage(getRuntime().db, shop, new URL(request.url).searchParams.get("before"));
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const runtime = getRuntime();
  const outcome = await submitSettings(runtime.db, shop, actor, await request.formData());
  if (!outcome.ok) return data(outcome, { status: 400 });
  await applySettingsChange(runtime, shop, outcome.changed);
  return outcome;
}

type Fields = ReturnType<typeof useLoaderData<typeof loader>>["fields"];

/** Which form field shows each setting's error. */
const ERROR_FIELD: Record<SettingsField, keyof Fields> = {
  timezoneOverride: "timezone",
  dayparts: "dayparts",
  quietStartMinute: "quietStart",
  quietEndMinute: "quietEnd",
  pushCapCount: "pushCapCount",
  pushCapDays: "pushCapDays",
  programHoldoutPercent: "programHoldoutPercent",
  reportRecipients: "reportRecipients",
  reportWeekday: "reportWeekday",
  reportMinute: "reportTime",
  dataRetentionDays: "dataRetentionDays",
};

function errorsByField(errors: SettingsErrors | undefined): Partial<Record<keyof Fields, string>> {
  const out: Partial<Record<keyof Fields, string>> = {};
  for (const [setting, message] of Object.entries(errors ?? {}) as Array<[SettingsField, string]>) out[ERROR_FIELD[setting]] = message;
  return out;
}

export default function SettingsPage() {
  const page = useLoaderData<typeof loader>();
  const save = useFetcher<typeof action>();
  const [fields, setFields] = useState<Fields>(page.fields);
  useEffect(() => setFields(page.fields), [page.fields]);
  const set = (name: keyof Fields) => (value: string) => setFields((current) => ({ ...current, [name]: value }));
  const result = save.data;
  const errors = errorsByField(result && !result.ok ? result.errors : undefined);

  const submit = () => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    save.submit(form, { method: "post" });
  };

  return (
    <Page title="Settings" subtitle="Clock, messaging, the weekly report and your data">
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {page.problems.map((problem) => (
              <Banner key={problem} tone="warning" title="A stored setting needs attention">
                <p>{problem}</p>
              </Banner>
            ))}
            {result?.ok ? (
              <Banner tone="success" title="Settings saved">
                <p>{result.message}</p>
              </Banner>
            ) : result && !result.ok ? (
              <Banner tone="critical" title="Nothing was saved">
                <p>{Object.values(result.errors).join(" ")}</p>
              </Banner>
            ) : null}
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Clock and dayparts
                </Text>
                <TextField
                  label="Time zone"
                  name="timezone"
                  value={fields.timezone}
                  onChange={set("timezone")}
                  autoComplete="off"
                  placeholder={page.shopTimezone}
                  helpText={`Empty follows the shop's time zone (${page.shopTimezone}). An IANA name such as Europe/Paris overrides it; visits are then recounted.`}
                  error={errors.timezone}
                />
                <TextField
                  label="Dayparts"
                  name="dayparts"
                  value={fields.dayparts}
                  onChange={set("dayparts")}
                  multiline={4}
                  autoComplete="off"
                  helpText="One per line, e.g. morning 06:00-11:00. Empty restores morning, midday, afternoon and evening."
                  error={errors.dayparts}
                />
              </FormLayout>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Messaging
                </Text>
                <FormLayout.Group>
                  <TextField label="Quiet hours from" name="quietStart" value={fields.quietStart} onChange={set("quietStart")} autoComplete="off" helpText="HH:MM, shop time" error={errors.quietStart} />
                  <TextField label="Quiet hours until" name="quietEnd" value={fields.quietEnd} onChange={set("quietEnd")} autoComplete="off" helpText="No push is sent in between" error={errors.quietEnd} />
                </FormLayout.Group>
                <FormLayout.Group>
                  <TextField label="Pushes per member" name="pushCapCount" type="number" value={fields.pushCapCount} onChange={set("pushCapCount")} autoComplete="off" helpText="1–100, across all campaigns" error={errors.pushCapCount} />
                  <TextField label="Every … days" name="pushCapDays" type="number" value={fields.pushCapDays} onChange={set("pushCapDays")} autoComplete="off" helpText="1–90" error={errors.pushCapDays} />
                  <TextField label="Program holdout (%)" name="programHoldoutPercent" type="number" value={fields.programHoldoutPercent} onChange={set("programHoldoutPercent")} autoComplete="off" helpText="0–50: never messaged, for an honest comparison" error={errors.programHoldoutPercent} />
                </FormLayout.Group>
              </FormLayout>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Weekly report
                </Text>
                <TextField label="Recipients" name="reportRecipients" value={fields.reportRecipients} onChange={set("reportRecipients")} autoComplete="off" helpText="Email addresses, separated by commas" error={errors.reportRecipients} />
                <FormLayout.Group>
                  <Select
                    label="Send on"
                    name="reportWeekday"
                    options={WEEKDAY_NAMES.map((name, index) => ({ label: name, value: String(index + 1) }))}
                    value={fields.reportWeekday}
                    onChange={set("reportWeekday")}
                    error={errors.reportWeekday}
                  />
                  <TextField label="At" name="reportTime" value={fields.reportTime} onChange={set("reportTime")} autoComplete="off" helpText="HH:MM, shop time" error={errors.reportTime} />
                </FormLayout.Group>
              </FormLayout>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Data retention
                </Text>
                <TextField
                  label="Keep orders for (days)"
                  name="dataRetentionDays"
                  type="number"
                  value={fields.dataRetentionDays}
                  onChange={set("dataRetentionDays")}
                  autoComplete="off"
                  helpText={`Empty keeps everything. ${RETENTION_MIN_DAYS}–${RETENTION_MAX_DAYS}: every day, orders older than this are anonymised (no longer linked to a customer, note attributes removed; totals and items stay), and visits, applied webhook deliveries and sent pushes older than this are deleted. Customers, memberships and consent records stay.`}
                  error={errors.dataRetentionDays}
                />
              </FormLayout>
            </Card>
            <InlineStack align="end">
              <Button variant="primary" onClick={submit} loading={save.state !== "idle"}>
                Save settings
              </Button>
            </InlineStack>
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Your data
              </Text>
              <Text as="p" tone="subdued">
                Everything Regulars holds for this shop. Access tokens and push keys are never exported.
              </Text>
              <DownloadButton url="/app/settings/export/all.json" filename="regulars-data.json">
                Download everything (JSON)
              </DownloadButton>
              <Text as="p" tone="subdued">
                Or one table as CSV:
              </Text>
              <InlineStack gap="200" wrap>
                {page.exportTables.map((table) => (
                  <DownloadButton key={table} url={`/app/settings/export/${table}.csv`} filename={`regulars-${table}.csv`}>
                    {table}
                  </DownloadButton>
                ))}
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Audit log
              </Text>
              {page.audit.events.length === 0 ? (
                <Text as="p" tone="subdued">
                  {page.auditBefore ? "No older changes." : "No changes yet: every change to settings, segments and campaigns, and every export, is listed here."}
                </Text>
              ) : (
                <DataTable
                  columnContentTypes={["text", "text", "text", "text", "text"]}
                  headings={["When", "Who", "What", "On", "Details"]}
                  rows={page.audit.events.map((event) => [
                    new Date(event.at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC",
                    event.actor,
                    event.action,
                    event.target ?? "–",
                    summarise(event.details),
                  ])}
                />
              )}
              <InlineStack gap="300">
                {page.auditBefore ? <Link to="/app/settings">Newest</Link> : null}
                {page.audit.next ? <Link to={`/app/settings?before=${encodeURIComponent(page.audit.next)}`}>Older</Link> : null}
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function summarise(details: unknown): string {
  if (details && typeof details === "object" && "changes" in details && details.changes && typeof details.changes === "object") {
    return Object.entries(details.changes)
      .map(([field, change]) => (change && typeof change === "object" && "to" in change ? `${field} → ${JSON.stringify(change.to)}` : field))
      .join("; ")
      .slice(0, 300);
  }
  const text = JSON.stringify(details ?? {});
  return text === "{}" ? "–" : text.slice(0, 300);
}
