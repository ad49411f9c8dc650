import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { Badge, Banner, BlockStack, Card, DataTable, Layout, Page, Text } from "@shopify/polaris";
import { z } from "zod";
import { requireAdmin } from "../admin-auth.server";
import { CAMPAIGN_CHANGES, CampaignNotFoundError, CampaignStateError, CAMPAIGN_ID, changeCampaign, type CampaignChange } from "../campaigns/campaigns.server";
import { campaignPage } from "../campaigns/page.server";
import type { ArmResult } from "../campaigns/results.server";
import { getRuntime } from "../runtime.server";

const campaignId = z.string().regex(CAMPAIGN_ID);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const id = campaignId.safeParse(params.id);
  if (!id.success) throw new Response("No such campaign", { status: 404 });
  try {
    return { shop, ...(await campaignPage(getRuntime().db, shop, id.data)) };
  } catch (error) {
    if (error instanceof CampaignNotFoundError) throw new Response("No such campaign", { status: 404 });
    throw error;
  }
}

const changeForm = z.object({ change: z.enum(CAMPAIGN_CHANGES, { error: `change must be one of ${CAMPAIGN_CHANGES.join(", ")}` }) });

/** Schedule, pause or resume: the same functions as `regulars campaigns schedule|pause|resume`. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const id = campaignId.safeParse(params.id);
  if (!id.success) throw new Response("No such campaign", { status: 404 });
  const form = changeForm.safeParse({ change: (await request.formData()).get("change") });
  if (!form.success) return data({ ok: false as const, message: form.error.issues[0]?.message ?? "unknown change" }, { status: 400 });
  try {
    const campaign = await changeCampaign(getRuntime(), shop, id.data, form.data.change);
    return { ok: true as const, message: `The campaign is ${campaign.status}.` };
  } catch (error) {
    if (error instanceof CampaignNotFoundError) throw new Response("No such campaign", { status: 404 });
    if (error instanceof CampaignStateError) return data({ ok: false as const, message: error.message }, { status: 409 });
    throw error;
  }
}

const CHANGE_LABELS: Record<CampaignChange, string> = { schedule: "Schedule", pause: "Pause", resume: "Resume" };

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);

function money(value: number | null, currency: string): string {
  return value === null ? "–" : new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(value);
}

function armRow(name: string, arm: ArmResult, currency: string): string[] {
  const interval = arm.interval ? `${(arm.interval.low * 100).toFixed(1)}–${(arm.interval.high * 100).toFixed(1)} %` : "–";
  return [name, arm.recipients.toLocaleString("en"), arm.conversions.toLocaleString("en"), percent(arm.rate), interval, money(arm.revenuePerRecipient, currency)];
}

export default function CampaignResultsPage() {
  const { results, setup, changes } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const { campaign, decisions, deliveries, arms, uplift, currency } = results;
  const skipped = Object.entries(decisions.skipped).sort((a, b) => b[1] - a[1]);
  const tone = uplift?.verdict === "better" ? "success" : uplift?.verdict === "worse" ? "critical" : "attention";
  const busy = navigation.state !== "idle" && navigation.formMethod !== undefined;
  const changeActions = changes.map((change) => ({
    content: CHANGE_LABELS[change],
    loading: busy && navigation.formData?.get("change") === change,
    onAction: () => submit({ change }, { method: "post" }),
  }));
  const [primary, ...secondary] = changeActions;
  return (
    <Page
      title={campaign.name}
      titleMetadata={<Badge tone={setup.status === "active" ? "success" : setup.status === "paused" ? "warning" : undefined}>{setup.status}</Badge>}
      subtitle={`${campaign.kind} · holdout ${campaign.holdoutPercent} % · conversions within ${campaign.attributionHours} h`}
      backAction={{ content: "Campaigns", url: "/app/campaigns" }}
      primaryAction={primary}
      secondaryActions={secondary}
    >
      <Layout>
        {outcome && (
          <Layout.Section>
            <Banner tone={outcome.ok ? "success" : "critical"}>
              <p>{outcome.message}</p>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Setup
              </Text>
              <Text as="p">
                {setup.segment ? `Segment: ${setup.segment.name} (${setup.segment.memberCount.toLocaleString("en")} members now). ` : ""}
                {setup.kind === "broadcast"
                  ? `Sends at ${setup.startsAt ?? "–"} (${setup.timezone}).`
                  : `${setup.startsAt ? `From ${setup.startsAt}` : "From when it is scheduled"}${setup.endsAt ? ` until ${setup.endsAt}` : ""} (${setup.timezone}), ${setup.leadMinutes} minutes before each member's usual visit.`}
              </Text>
              {setup.audience && <Text as="p">Audience: {setup.audience}.</Text>}
              {setup.offer && (
                <Text as="p">
                  Offer: {setup.offer.type} at {setup.offer.link}
                  {setup.offer.discount ? `, ${setup.offer.discount.percentOff} % off with a personal code` : ""}.
                </Text>
              )}
              {setup.variants.map((variant) => (
                <Text as="p" key={variant.id} tone="subdued">
                  {setup.variants.length > 1 ? `Message ${variant.id.toUpperCase()} (weight ${variant.weight}): ` : "Message: "}“{variant.title}” — {variant.body}
                </Text>
              ))}
            </BlockStack>
          </Card>
        </Layout.Section>
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
