import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { getRuntime } from "../runtime.server";
import { shopOverview } from "../shops/overview.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const overview = await shopOverview(getRuntime(), shop);
  if (!overview) throw new Response("This shop has not finished installing Regulars", { status: 404 });
  return overview;
}

export default function Home() {
  const { shop, jobs, database } = useLoaderData<typeof loader>();
  return (
    <Page title="Home" subtitle={shop.name}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                {shop.name}
              </Text>
              <Text as="p" tone="subdued">
                {shop.domain} · time zone {shop.timezone} · currency {shop.currency} · installed{" "}
                {formatDate(shop.installedAt, shop.timezone)}
              </Text>
              <Text as="p">
                Visits, days and dayparts are counted in {shop.timezone}; change it under Settings if your
                cafe keeps another clock.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Background work
              </Text>
              <InlineStack gap="200" blockAlign="center">
                <Badge tone={jobs.flowing ? "success" : "attention"}>{jobs.flowing ? "Running" : "Waiting"}</Badge>
                <Text as="span" tone="subdued">
                  {jobs.lastHeartbeatAt
                    ? `last check-in ${formatDate(jobs.lastHeartbeatAt, shop.timezone)}`
                    : "no check-in yet"}
                </Text>
              </InlineStack>
              <Text as="p" tone="subdued">
                {jobs.backend} · {database} · check-in every {jobs.expectedEverySeconds} s
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function formatDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
}
