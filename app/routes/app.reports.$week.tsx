import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, DataTable, InlineStack, Layout, List, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { DownloadButton } from "../components/DownloadButton";
import { reportViewPage, weekParam } from "../reports/page.server";
import { getRuntime } from "../runtime.server";

/**
 * One stored weekly report, shown from its figures with Polaris (never the
 * stored HTML itself), its charts brought by the loader, and the HTML and
 * CSV to download from the shop-checked file route (fetched with the
 * session token: a plain link would arrive without one in the admin frame).
 */

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const week = weekParam(params.week);
  if (!week) throw new Response("No such report", { status: 404 });
  const page = await reportViewPage(getRuntime().db, shop, week);
  if (!page) throw new Response("No such report", { status: 404 });
  return page;
}

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);

export default function Report() {
  const report = useLoaderData<typeof loader>();
  const { figures } = report;
  const base = `/app/reports/${report.week}`;
  const mailed = report.sentAt
    ? `Mailed ${report.sentAt.slice(0, 16).replace("T", " ")} UTC to ${report.recipients.join(", ")}`
    : report.status === "sending"
      ? `A send to ${report.recipients.join(", ")} started and was not confirmed (Message-ID ${report.messageId ?? "unknown"})`
      : (report.error ?? "Not mailed");
  return (
    <Page
      title={`Week ${report.week}`}
      subtitle={`${figures.from} to ${figures.to} (${figures.timezone}) against ${figures.previousWeek}`}
      backAction={{ content: "Reports", url: "/app/reports" }}
      titleMetadata={<Badge tone={report.status === "sent" ? "success" : report.status === "failed" ? "critical" : "info"}>{report.status}</Badge>}
    >
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="p" tone="subdued">
                Made {report.generatedAt.slice(0, 16).replace("T", " ")} UTC. {mailed}.
              </Text>
              <InlineStack gap="200">
                <DownloadButton url={`${base}/report.html`} filename={`regulars-${report.week}.html`}>
                  Download HTML
                </DownloadButton>
                <DownloadButton url={`${base}/report.csv`} filename={`regulars-${report.week}.csv`}>
                  Download CSV
                </DownloadButton>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Findings
              </Text>
              <List type="number">
                {figures.findings.map((finding) => (
                  <List.Item key={finding.sentence}>{finding.sentence}</List.Item>
                ))}
              </List>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                The week at a glance
              </Text>
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text"]}
                headings={["KPI", figures.previousWeek, figures.week, "Target", "Trend"]}
                rows={report.kpiRows}
              />
              {report.charts["kpis.png"] ? <img src={report.charts["kpis.png"]} alt={`KPIs for ${figures.previousWeek} and ${figures.week} with 95 % intervals and targets`} style={{ maxWidth: "100%" }} /> : null}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Retention by acquisition week
              </Text>
              {report.charts["heatmap.png"] ? <img src={report.charts["heatmap.png"]} alt="Retention heatmap by acquisition week" style={{ maxWidth: "100%" }} /> : null}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Campaigns
              </Text>
              {figures.campaigns.length === 0 ? (
                <Text as="p" tone="subdued">
                  No campaign messaged members in these two weeks.
                </Text>
              ) : (
                <DataTable
                  columnContentTypes={["text", "text", "text", "text"]}
                  headings={["Campaign", "Messaged", "Held out", "Uplift"]}
                  rows={figures.campaigns.map((c) => [
                    c.name,
                    `${c.treatment.conversions} of ${c.treatment.recipients} (${percent(c.treatment.rate)})`,
                    `${c.holdout.conversions} of ${c.holdout.recipients} (${percent(c.holdout.rate)})`,
                    c.uplift?.summary ?? "not yet measurable",
                  ])}
                />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Pickup
              </Text>
              {figures.pickup.thisWeek.length === 0 ? (
                <Text as="p" tone="subdued">
                  No location took orders this week.
                </Text>
              ) : (
                <DataTable
                  columnContentTypes={["text", "numeric", "numeric", "text", "text", "numeric"]}
                  headings={["Location", "Orders", "Pickups", "Prepaid at peak", "Ready on time", "No-shows"]}
                  rows={figures.pickup.thisWeek.map((l) => [l.name, l.orders, l.pickupOrders, `${percent(l.peakPickupShare)} (${l.peakPickupOrders} of ${l.peakOrders})`, percent(l.onTimeRate), l.noShows])}
                />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        {figures.perks ? (
          <Layout.Section>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Perks redeemed
                </Text>
                <Text as="p">{`${figures.perks.redeemed} this week, ${figures.perks.lastWeek} the week before.`}</Text>
                {figures.perks.programs.length > 0 ? (
                  <DataTable columnContentTypes={["text", "numeric", "numeric"]} headings={["Program", figures.previousWeek, figures.week]} rows={figures.perks.programs.map((p) => [p.name, p.lastWeek, p.redeemed])} />
                ) : null}
              </BlockStack>
            </Card>
          </Layout.Section>
        ) : null}
        {figures.notes.length > 0 ? (
          <Layout.Section>
            <Card>
              <List>
                {figures.notes.map((note) => (
                  <List.Item key={note}>{note}</List.Item>
                ))}
              </List>
            </Card>
          </Layout.Section>
        ) : null}
      </Layout>
    </Page>
  );
}
