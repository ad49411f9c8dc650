import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, DataTable, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { membersCursor, segmentPage } from "../analytics/segments/pages.server";
import { SEGMENT_ID } from "../analytics/segments/types";
import { DownloadButton } from "../components/DownloadButton";
import { getRuntime } from "../runtime.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const id = params.id ?? "";
  if (!SEGMENT_ID.test(id) && !/^[0-9a-f-]{36}$/.test(id)) throw new Response("No such segment", { status: 404 });
  const page = await segmentPage(getRuntime().db, shop, id, membersCursor(new URL(request.url).searchParams.get("after")));
  if (!page) throw new Response("No such segment", { status: 404 });
  return page;
}

export default function SegmentPage() {
  const { segment, members, after, next } = useLoaderData<typeof loader>();
  const base = `/app/segments/${encodeURIComponent(segment.id)}`;
  return (
    <Page
      title={segment.name}
      backAction={{ content: "Segments", url: "/app/segments" }}
      titleMetadata={segment.builtIn ? <Badge>Built in</Badge> : <Badge tone="info">Yours</Badge>}
    >
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <BlockStack gap="200">
                {segment.description ? <Text as="p">{segment.description}</Text> : null}
                <Text as="p">
                  {segment.memberCount.toLocaleString("en")} members{segment.refreshedAt ? `, as of ${segment.refreshedAt.slice(0, 10)}` : " (not computed yet)"}.
                </Text>
                <Text as="p" tone="subdued">
                  <code>{JSON.stringify(segment.definition)}</code>
                </Text>
                <DownloadButton url={`${base}/members.csv`} filename={`segment-${segment.id}-members.csv`}>
                  Download members (CSV)
                </DownloadButton>
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="300">
                {members.length === 0 ? (
                  <Text as="p" tone="subdued">
                    {after ? "No more members." : "No one is in this segment right now."}
                  </Text>
                ) : (
                  <DataTable
                    columnContentTypes={["text", "text", "text", "numeric", "text", "text"]}
                    headings={["Customer", "Email", "Member", "Visits", "Last visit", "Pattern"]}
                    rows={members.map((m) => [m.name ?? m.customerId, m.email ?? "–", m.member ? "yes" : "no", m.visitCount ?? "–", m.lastVisitOn ?? "–", m.pattern ?? "–"])}
                  />
                )}
                <InlineStack gap="300">
                  {after ? <Link to={base}>First page</Link> : null}
                  {next ? <Link to={`${base}?after=${encodeURIComponent(next)}`}>Next page</Link> : null}
                </InlineStack>
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
