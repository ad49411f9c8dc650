import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, DataTable, Layout, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { dataProgress } from "../analytics/progress.server";
import { listSegmentsForPage } from "../analytics/segments/pages.server";
import { DataProgressCard } from "../components/DataProgress";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const db = getRuntime().db;
  const segments = await listSegmentsForPage(db, shop);
  return { segments, progress: segments.length === 0 ? await dataProgress(db, shop) : null };
}

export default function Segments() {
  const { segments, progress } = useLoaderData<typeof loader>();
  return (
    <Page title="Segments" subtitle="Groups of customers by how they visit, kept current every day" primaryAction={{ content: "Build a segment", url: "/app/segments/new" }}>
      <Layout>
        <Layout.Section>
          {progress ? (
            <DataProgressCard progress={progress} what="segments" />
          ) : (
            <Card>
              <BlockStack gap="200">
                <DataTable
                  columnContentTypes={["text", "text", "numeric", "text"]}
                  headings={["Segment", "Kind", "Members", "Updated"]}
                  rows={segments.map((s) => [
                    <Link key={s.id} to={`/app/segments/${encodeURIComponent(s.id)}`}>
                      {s.name}
                    </Link>,
                    s.builtIn ? <Badge key="b">Built in</Badge> : <Badge key="b" tone="info">Yours</Badge>,
                    s.memberCount.toLocaleString("en"),
                    s.refreshedAt ? s.refreshedAt.slice(0, 10) : "not yet",
                  ])}
                />
                <Text as="p" tone="subdued">
                  Counts are as of each segment&apos;s last update.
                </Text>
              </BlockStack>
            </Card>
          )}
        </Layout.Section>
      </Layout>
    </Page>
  );
}
