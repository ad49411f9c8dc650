import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { BlockStack, Card, DataTable, Layout, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { listCampaigns } from "../campaigns/campaigns.server";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return { shop, campaigns: await listCampaigns(getRuntime().db, shop) };
}

export default function Campaigns() {
  const { campaigns } = useLoaderData<typeof loader>();
  return (
    <Page title="Campaigns" subtitle="Invitations by web push, each measured against a holdout" primaryAction={{ content: "Create campaign", url: "/app/campaigns/new" }}>
      <Layout>
        <Layout.Section>
          <Card>
            {campaigns.length === 0 ? (
              <BlockStack gap="200">
                <Text as="p">No campaigns yet.</Text>
                <Text as="p" tone="subdued">
                  Create one with the button above (or from a JSON file: regulars campaigns create FILE --shop your-cafe.myshopify.com).
                </Text>
              </BlockStack>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "numeric", "numeric"]}
                headings={["Campaign", "Kind", "Status", "Segment", "Decided", "Sent"]}
                rows={campaigns.map((c) => [
                  <Link key={c.id} to={`/app/campaigns/${encodeURIComponent(c.id)}`}>
                    {c.name}
                  </Link>,
                  c.kind,
                  c.status,
                  c.segmentId ?? "–",
                  c.decided.toLocaleString("en"),
                  c.sent.toLocaleString("en"),
                ])}
              />
            )}
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
