import { lazy, Suspense, useEffect, useState } from "react";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import {
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  InlineStack,
  Layout,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import vizStyles from "@shopify/polaris-viz/build/esm/styles.css?url";
import { requireAdmin } from "../admin-auth.server";
import { cohortsPage, parseReturnDays } from "../analytics/cohorts/page.server";
import { dataProgress } from "../analytics/progress.server";
import { DataProgressCard } from "../components/DataProgress";
import { getRuntime } from "../runtime.server";

export const links = () => [{ rel: "stylesheet", href: vizStyles }];

const ReturnCurvesChart = lazy(() => import("../components/ReturnCurvesChart"));

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const db = getRuntime().db;
  const asked = new URL(request.url).searchParams.get("days");
  const parsed = parseReturnDays(asked);
  const days = parsed.ok ? parsed.days : 12;
  const page = await cohortsPage(db, shop, days);
  return {
    asked: asked ?? String(days),
    daysError: parsed.ok ? null : parsed.message,
    page,
    progress: page ? null : await dataProgress(db, shop),
  };
}

const percent = (p: number) => `${(p * 100).toFixed(1)} %`;

export default function Cohorts() {
  const { asked, daysError, page, progress } = useLoaderData<typeof loader>();
  const [days, setDays] = useState(asked);
  useEffect(() => setDays(asked), [asked]);
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  return (
    <Page
      title="Cohorts"
      subtitle="Who comes back, and how soon (Kaplan–Meier, 95 % intervals)"
    >
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <Form method="get">
                <InlineStack gap="300" blockAlign="end">
                  <TextField
                    label="Return within N days"
                    name="days"
                    type="number"
                    value={days}
                    onChange={setDays}
                    autoComplete="off"
                    min={1}
                    max={60}
                    error={daysError ?? undefined}
                  />
                  <Button submit>Show</Button>
                </InlineStack>
              </Form>
            </Card>
            {!page ? (
              progress ? (
                <DataProgressCard progress={progress} what="cohorts" />
              ) : null
            ) : (
              <>
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      Visit patterns ranked by {page.returnDays}-day return
                    </Text>
                    <DataTable
                      columnContentTypes={[
                        "text",
                        "numeric",
                        "numeric",
                        "text",
                        "numeric",
                      ]}
                      headings={[
                        "Cohort",
                        "Visits",
                        `Return within ${page.returnDays} days`,
                        "95 % interval",
                        "Median days to return",
                      ]}
                      rows={[
                        ...page.ranked,
                        ...(page.everyone ? [page.everyone] : []),
                      ].map((row) => [
                        row.audience,
                        row.visits.toLocaleString("en"),
                        percent(row.p),
                        `${percent(row.low)}–${percent(row.high)}`,
                        row.medianDays === null
                          ? "over 60"
                          : String(row.medianDays),
                      ])}
                    />
                    <Text as="p" tone="subdued">
                      Visits up to {page.until}; computed{" "}
                      {page.computedAt?.slice(0, 16).replace("T", " ")} UTC.
                      {page.unassignedVisits > 0
                        ? ` ${page.unassignedVisits.toLocaleString(
                            "en"
                          )} visits of customers not yet profiled are left out.`
                        : ""}
                    </Text>
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      What stands out
                    </Text>
                    {page.findings.filter((f) => f.supported).length === 0 ? (
                      <Text as="p">
                        {page.silence ??
                          "No cohort differs clearly from everyone else."}
                      </Text>
                    ) : (
                      <BlockStack gap="200">
                        {page.findings
                          .filter((f) => f.supported)
                          .map((finding) => (
                            <Text as="p" key={finding.sentence}>
                              {finding.sentence}
                            </Text>
                          ))}
                      </BlockStack>
                    )}
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      Return curves
                    </Text>
                    <Text as="p" tone="subdued">
                      Share of visits followed by the next one within each
                      number of days: the best {page.curves.length - 1} patterns
                      and everyone.
                    </Text>
                    <div data-testid="return-curves">
                      {mounted ? (
                        <Suspense fallback={<Box minHeight="320px" />}>
                          <ReturnCurvesChart curves={page.curves} />
                        </Suspense>
                      ) : (
                        <Box minHeight="320px" />
                      )}
                    </div>
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="300">
                    <Text as="h2" variant="headingMd">
                      Retention by week of first visit
                    </Text>
                    {page.heatmap.rows.length === 0 ? (
                      <Text as="p" tone="subdued">
                        The retention matrix appears after the next analytics
                        run.
                      </Text>
                    ) : (
                      <Heatmap rows={page.heatmap.rows} />
                    )}
                  </BlockStack>
                </Card>
              </>
            )}
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

type HeatmapRows = NonNullable<
  ReturnType<typeof useLoaderData<typeof loader>>["page"]
>["heatmap"]["rows"];

function Heatmap({ rows }: { rows: HeatmapRows }) {
  const columns = rows[0]?.cells.length ?? 0;
  const cellStyle = (share: number): React.CSSProperties => ({
    // Black text stays readable on every shade: the darkest blue is kept light.
    background: `rgba(0, 91, 211, ${(0.05 + Math.min(1, share) * 0.55).toFixed(
      2
    )})`,
    color: "black",
    padding: "4px 6px",
    textAlign: "right",
    fontVariantNumeric: "tabular-nums",
  });
  return (
    <div style={{ overflowX: "auto" }}>
      <table
        style={{ borderCollapse: "collapse", width: "100%" }}
        aria-label="Share of each week's new customers who visited n weeks later"
      >
        <thead>
          <tr>
            <th scope="col" style={{ textAlign: "left", padding: "4px 6px" }}>
              First visit (week of)
            </th>
            <th scope="col" style={{ textAlign: "right", padding: "4px 6px" }}>
              New
            </th>
            {Array.from({ length: columns }, (_, week) => (
              <th
                scope="col"
                key={week}
                style={{ textAlign: "right", padding: "4px 6px" }}
              >
                +{week}w
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.cohort}>
              <th
                scope="row"
                style={{
                  textAlign: "left",
                  padding: "4px 6px",
                  fontWeight: "normal",
                }}
              >
                {row.cohort}
              </th>
              <td style={{ textAlign: "right", padding: "4px 6px" }}>
                {row.size.toLocaleString("en")}
              </td>
              {row.cells.map((cell, week) =>
                cell ? (
                  <td
                    key={week}
                    style={cellStyle(cell.share)}
                    title={`${cell.members} of ${row.size}${
                      cell.partial ? " (week not over)" : ""
                    }`}
                  >
                    {Math.round(cell.share * 100)}%{cell.partial ? "*" : ""}
                  </td>
                ) : (
                  <td key={week} />
                )
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Text as="p" tone="subdued">
        * the week is not over yet.
      </Text>
    </div>
  );
}
