import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, DataTable, Layout, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { reportListPage } from "../reports/page.server";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return { shop, ...(await reportListPage(getRuntime().db, shop)) };
}

const STATUS_TONE = { sent: "success", rendered: "info", sending: "attention", failed: "critical" } as const;

function statusBadge(status: string) {
  const tone = status in STATUS_TONE ? STATUS_TONE[status as keyof typeof STATUS_TONE] : undefined;
  const label = status === "sending" ? "sending (unconfirmed)" : status === "rendered" ? "not mailed" : status;
  return <Badge tone={tone}>{label}</Badge>;
}

export default function Reports() {
  const { shop, schedule, recipients, hasVisits, latestFullWeek, reports } = useLoaderData<typeof loader>();
  return (
    <Page title="Reports" subtitle={`Weekly retention report, made every ${schedule} for the week before`}>
      <Layout>
        <Layout.Section>
          <Card>
            {reports.length === 0 ? (
              <BlockStack gap="200">
                <Text as="p">No weekly reports yet.</Text>
                <Text as="p" tone="subdued">
                  {hasVisits
                    ? `The first one is made on ${schedule} for the last full week (now ${latestFullWeek}).`
                    : "Reports need visits: they appear once the shop's order history is in (the backfill after install, or an import) and a week has passed."}
                </Text>
                <Text as="p" tone="subdued">
                  {recipients.length > 0 ? `It is mailed to ${recipients.join(", ")}.` : "Nobody receives it by mail yet: add report recipients in the settings."}
                </Text>
                <Text as="p" tone="subdued">
                  To make one now: regulars report --shop {shop} --week {latestFullWeek}
                </Text>
              </BlockStack>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "text"]}
                headings={["Week", "Status", "Made", "Mailed"]}
                rows={reports.map((r) => [
                  <Link key={r.week} to={`/app/reports/${r.week}`}>
                    {r.week}
                  </Link>,
                  statusBadge(r.status),
                  r.generatedAt.slice(0, 16).replace("T", " "),
                  r.sentAt ? `${r.sentAt.slice(0, 16).replace("T", " ")} to ${r.recipients}` : (r.error ?? "–"),
                ])}
              />
            )}
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
