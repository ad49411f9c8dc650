import { useEffect } from "react";
import { useRevalidator } from "@remix-run/react";
import { Banner, BlockStack, Card, ProgressBar, Text } from "@shopify/polaris";
import type { DataProgress } from "../analytics/progress.server";

/**
 * A page's empty state while a new shop's history arrives: the backfill's and
 * the analytics' progress, refreshed every few seconds while anything runs,
 * or what to do when nothing has started.
 */
export function DataProgressCard({ progress, what }: { progress: DataProgress; what: string }) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!progress.active || revalidator.state !== "idle") return;
    const timer = setTimeout(() => revalidator.revalidate(), 3_000);
    return () => clearTimeout(timer);
  }, [progress, revalidator]);
  const analytics = progress.analytics;
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          {progress.active ? `Preparing ${what}` : `No ${what} yet`}
        </Text>
        {progress.backfills.map((run) => (
          <BlockStack key={run.resource} gap="100">
            <Text as="p">
              History of {run.resource} from Shopify: {run.status} · {run.progress}
            </Text>
            {run.fraction !== null ? <ProgressBar progress={Math.round(run.fraction * 100)} size="small" /> : null}
            {run.error ? (
              <Banner tone="critical">
                <p>{run.error}</p>
              </Banner>
            ) : null}
          </BlockStack>
        ))}
        {progress.importing ? <Text as="p">An order-history import is running (see Import).</Text> : null}
        {analytics ? (
          <BlockStack gap="100">
            <Text as="p">
              Analytics: {analytics.status}
              {analytics.status === "running" && analytics.step ? ` · ${analytics.step} (step ${analytics.stepsDone + 1} of ${analytics.stepsTotal})` : ""}
            </Text>
            {analytics.status === "running" ? <ProgressBar progress={Math.round((analytics.stepsDone / Math.max(1, analytics.stepsTotal)) * 100)} size="small" /> : null}
            {analytics.error ? (
              <Banner tone="critical">
                <p>{analytics.error}</p>
              </Banner>
            ) : null}
          </BlockStack>
        ) : null}
        {!progress.active ? (
          <Text as="p" tone="subdued">
            {progress.hasVisits
              ? "Visits are in; this appears after the next analytics run (nightly, or after an import or backfill)."
              : "Regulars learns from your order history: it is fetched from Shopify when the app is installed, or import a CSV from another POS under Import."}
          </Text>
        ) : null}
      </BlockStack>
    </Card>
  );
}
