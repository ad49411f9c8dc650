import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, DataTable, Layout, Page, Text } from "@shopify/polaris";
import { z } from "zod";
import { requireAdmin } from "../admin-auth.server";
import { CampaignNotFoundError, CAMPAIGN_ID } from "../campaigns/campaigns.server";
import { campaignResults, type ArmResult } from "../campaigns/results.server";
import { getRuntime } from "../runtime.server";

const campaignId = z.string().regex(CAMPAIGN_ID);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const id = campaignId.safeParse(params.id);
  if (!id.success) throw new Response("No such campaign", { status: 404 });
  try {
    return { shop, results: await campaignResults(getRuntime().db, shop, id.data) };
  } catch (error) {
    if (error instanceof CampaignNotFoundError) throw new Response("No such campaign", { status: 404 });
    throw error;
  }
}

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);

function money(value: number | null, currency: string): string {
  return value === null ? "–" : new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(value);
}

function armRow(name: string, arm: ArmResult, currency: string): string[] {
  const interval = arm.interval ? `${(arm.interval.low * 100).toFixed(1)}–${(arm.interval.high * 100).toFixed(1)} %` : "–";
  return [name, arm.recipients.toLocaleString("en"), arm.conversions.toLocaleString("en"), percent(arm.rate), interval, money(arm.revenuePerRecipient, currency)];
}

export default function CampaignResultsPage() {
  const { results } = useLoaderData<typeof loader>();
  const { campaign, decisions, deliveries, arms, uplift, currency } = results;
  const skipped = Object.entries(decisions.skipped).sort((a, b) => b[1] - a[1]);
  const tone = uplift?.verdict === "better" ? "success" : uplift?.verdict === "worse" ? "critical" : "attention";
  return (
    <Page title={campaign.name} subtitle={`${campaign.kind} · ${campaign.status} · holdout ${campaign.holdoutPercent} % · conversions within ${campaign.attributionHours} h`} backAction={{ url: "/app/campaigns" }}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Did it work?
              </Text>
              {uplift ? (
                <>
                  <Badge tone={tone}>{uplift.verdict === "inconclusive" ? "Inconclusive" : uplift.verdict === "better" ? "Better than the holdout" : "Worse than the holdout"}</Badge>
                  <Text as="p">{uplift.summary}</Text>
                  <Text as="p" tone="subdued">
                    {uplift.method}.
                  </Text>
                </>
              ) : (
                <Text as="p">Not measurable yet: no member of one of the arms has reached their send time.</Text>
              )}
              <DataTable
                columnContentTypes={["text", "numeric", "numeric", "numeric", "text", "numeric"]}
                headings={["Arm", "Members", "Ordered", "Rate", "95 % CI", "Revenue per member"]}
                rows={[armRow("Sent the invitation", arms.treatment, currency), armRow("Held out", arms.holdout, currency)]}
              />
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Who was reached
              </Text>
              <Text as="p">
                {decisions.total.toLocaleString("en")} members decided: {decisions.treatment.toLocaleString("en")} to invite, {decisions.holdout.toLocaleString("en")} held out.
              </Text>
              {skipped.length > 0 && <Text as="p" tone="subdued">Skipped: {skipped.map(([reason, n]) => `${reason} ${n.toLocaleString("en")}`).join(", ")}.</Text>}
              <Text as="p">
                Sent to {deliveries.recipientsSent.toLocaleString("en")}; tapped by {deliveries.recipientsClicked.toLocaleString("en")}.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        {results.discount && (
          <Layout.Section>
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Discount
                </Text>
                <Text as="p">
                  {results.discount.percentOff} % off, {results.discount.codesIssued.toLocaleString("en")} personal codes: at most {money(results.discount.codesCost, currency)}. The same
                  discount for every member over the same days would have cost {money(results.discount.blanketCost, currency)}.
                </Text>
              </BlockStack>
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
