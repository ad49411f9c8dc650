import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, Checkbox, DataTable, InlineStack, Layout, Page, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { dataProgress } from "../analytics/progress.server";
import { DataProgressCard } from "../components/DataProgress";
import { chooseWeek, weekAtAGlance } from "../home/week.server";
import { getRuntime } from "../runtime.server";
import { parseKpiTargetsForm } from "../settings/kpi-targets";
import { saveKpiTargets } from "../settings/settings.server";
import { shopOverview } from "../shops/overview.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const runtime = getRuntime();
  const overview = await shopOverview(runtime, shop);
  if (!overview) throw new Response("This shop has not finished installing Regulars", { status: 404 });
  const progress = await dataProgress(runtime.db, shop);
  const choice = await chooseWeek(runtime.db, shop, new URL(request.url).searchParams.get("week"));
  const glance = progress.hasVisits ? await weekAtAGlance(runtime.db, shop, choice.week) : null;
  return { ...overview, progress, glance, weekProblem: choice.ok ? null : choice.message };
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const parsed = parseKpiTargetsForm(await request.formData());
  if (!parsed.ok) return data({ ok: false as const, message: parsed.message }, { status: 400 });
  const saved = await saveKpiTargets(getRuntime().db, shop, actor, parsed.targets);
  if (!saved.ok) return data({ ok: false as const, message: saved.message }, { status: 400 });
  return { ok: true as const, message: saved.changed ? "Targets saved." : "Nothing changed." };
}

type Glance = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["glance"]>;

const TREND_TONE = { up: "success", down: "critical", steady: undefined, unknown: undefined } as const;

export default function Home() {
  const { shop, jobs, database, progress, glance, weekProblem } = useLoaderData<typeof loader>();
  return (
    <Page title="Home" subtitle={shop.name}>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {weekProblem ? (
              <Banner tone="warning">
                <p>{weekProblem}</p>
              </Banner>
            ) : null}
            {glance ? <WeekCard glance={glance} /> : <DataProgressCard progress={progress} what="weekly figures" />}
            {glance ? <TargetsCard glance={glance} /> : null}
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  {shop.name}
                </Text>
                <Text as="p" tone="subdued">
                  {shop.domain} · time zone {shop.timezone} · currency {shop.currency} · installed {formatDate(shop.installedAt, shop.timezone)}
                </Text>
                <Text as="p">
                  Visits, days and dayparts are counted in {shop.timezone}; change it under Settings if your cafe keeps another clock.
                </Text>
              </BlockStack>
            </Card>
          </BlockStack>
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
                  {jobs.lastHeartbeatAt ? `last check-in ${formatDate(jobs.lastHeartbeatAt, shop.timezone)}` : "no check-in yet"}
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

function WeekCard({ glance }: { glance: Glance }) {
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          The week at a glance: {glance.week} ({glance.from} to {glance.to})
        </Text>
        <Text as="p" tone="subdued">
          Against {glance.previousWeek}. Up or down only when the two weeks&apos; 95 % intervals do not overlap.{" "}
          {glance.source === "stored" ? "The figures of the week's report." : "No report is stored for this week yet: figured from the data now."}
        </Text>
        <DataTable
          columnContentTypes={["text", "text", "text", "text", "text"]}
          headings={["KPI", "Last week", "This week", "Target", "Trend"]}
          rows={glance.rows.map((row) => [
            <BlockStack key={row.id} gap="050">
              <Text as="span" fontWeight="semibold">
                {row.label}
              </Text>
              <Text as="span" tone="subdued" variant="bodySm">
                {row.note ?? row.meaning}
              </Text>
            </BlockStack>,
            <Cell key="l" value={row.lastWeek} detail={row.lastWeekInterval} />,
            <Cell key="t" value={row.thisWeek} detail={row.thisWeekInterval} />,
            row.targetMet === null ? row.target : <Badge key="m" tone={row.targetMet ? "success" : "warning"}>{`${row.target} ${row.targetMet ? "met" : "not met"}`}</Badge>,
            <Badge key="tr" tone={TREND_TONE[row.trend]}>
              {row.trendText}
            </Badge>,
          ])}
        />
        {glance.notes.map((note) => (
          <Text as="p" tone="subdued" key={note}>
            {note}
          </Text>
        ))}
      </BlockStack>
    </Card>
  );
}

function Cell({ value, detail }: { value: string; detail: string }) {
  return (
    <BlockStack gap="050">
      <Text as="span">{value}</Text>
      <Text as="span" tone="subdued" variant="bodySm">
        {detail}
      </Text>
    </BlockStack>
  );
}

function TargetsCard({ glance }: { glance: Glance }) {
  const save = useFetcher<typeof action>();
  const initial = () => Object.fromEntries(glance.choices.map((c) => [c.kpi, { shown: c.shown, target: c.target }]));
  const [choices, setChoices] = useState(initial);
  useEffect(() => setChoices(Object.fromEntries(glance.choices.map((c) => [c.kpi, { shown: c.shown, target: c.target }]))), [glance.choices]);
  const submit = () => {
    const form = new FormData();
    for (const [kpi, choice] of Object.entries(choices)) {
      if (choice?.shown) form.set(`show.${kpi}`, "on");
      form.set(`target.${kpi}`, choice?.target ?? "");
    }
    save.submit(form, { method: "post" });
  };
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Your KPIs and targets
        </Text>
        {glance.targetsProblem ? (
          <Banner tone="warning">
            <p>{glance.targetsProblem}</p>
          </Banner>
        ) : null}
        {save.data ? (
          <Banner tone={save.data.ok ? "success" : "critical"}>
            <p>{save.data.message}</p>
          </Banner>
        ) : null}
        {glance.choices.map((choice) => {
          const current = choices[choice.kpi] ?? { shown: false, target: "" };
          const set = (patch: Partial<typeof current>) => setChoices((all) => ({ ...all, [choice.kpi]: { ...current, ...patch } }));
          return (
            <InlineStack key={choice.kpi} gap="300" blockAlign="center" wrap={false}>
              <div style={{ minWidth: 260 }}>
                <Checkbox label={choice.label} checked={current.shown} onChange={(shown) => set({ shown })} />
              </div>
              <TextField
                label={`Target for ${choice.label}`}
                labelHidden
                value={current.target}
                onChange={(target) => set({ target })}
                autoComplete="off"
                placeholder="no target"
                suffix={choice.unit === "share" ? "%" : undefined}
                disabled={!current.shown}
              />
            </InlineStack>
          );
        })}
        <InlineStack align="end">
          <Button onClick={submit} loading={save.state !== "idle"}>
            Save targets
          </Button>
        </InlineStack>
      </BlockStack>
    </Card>
  );
}

function formatDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
}
