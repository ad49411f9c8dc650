import { useEffect } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator, useSearchParams } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, InlineStack, Layout, Page, Select, Text } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { PickupMetricsCard } from "../components/PickupMetricsCard";
import { sendTransactional } from "../campaigns/transactional.server";
import { LABELS, type PickupFlag, type PickupState, type QueueCard } from "../pickup/queue";
import { listPickupQueue, movePickupOrder, moveInput, QueueInputError } from "../pickup/queue.server";
import { recentPickupMetrics } from "../pickup/metrics.server";
import { listPickupLocations } from "../pickup/settings.server";
import { getRuntime } from "../runtime.server";

/** How often the open page asks for the queue again. */
const REFRESH_MS = 10_000;

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const db = getRuntime().db;
  const locations = await listPickupLocations(db, shop);
  const search = new URL(request.url).searchParams;
  const wanted = search.get("location");
  // Today in the shop's time zone unless another day is asked for (?date=YYYY-MM-DD).
  const date = search.get("date") ?? undefined;
  const location = locations.find((candidate) => candidate.locationId === wanted) ?? locations.find((candidate) => candidate.enabled) ?? locations[0] ?? null;
  if (!location) return { locations, location: null, queue: null, error: null, metrics: null };
  // The last seven days' pickup figures (the weekly report carries the same ones).
  const metrics = await recentPickupMetrics(db, shop);
  try {
    return { locations, location, queue: await listPickupQueue(db, { shop, locationId: location.locationId, date }), error: null, metrics };
  } catch (error) {
    if (error instanceof QueueInputError) return { locations, location, queue: null, error: error.message, metrics };
    throw error;
  }
}

/** Moves one order on (preparing, ready, picked up, no-show); checked and idempotent in app/pickup/queue.server.ts. */
export async function action({ request }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const form = await request.formData();
  const input = moveInput.safeParse({ orderId: form.get("orderId"), to: form.get("to") });
  if (!input.success) return data({ ok: false as const, message: input.error.issues[0]?.message ?? "invalid request" }, { status: 400 });
  const runtime = getRuntime();
  const moved = await movePickupOrder({ db: runtime.db, sendTransactional: (message) => sendTransactional(runtime, message) }, shop, input.data);
  if (!moved.ok) return data({ ok: false as const, message: moved.message }, { status: moved.code === "not-found" ? 404 : 409 });
  const pushNote =
    moved.push === null ? "" : moved.push.sent ? " The customer has been told." : moved.push.reason === "no-customer" ? " (Guest order: no notification.)" : " (The customer has not allowed notifications.)";
  return { ok: true as const, message: `Order marked ${LABELS[moved.state].toLowerCase()}.${pushNote}` };
}

const FLAG_TEXT: Record<PickupFlag, string> = {
  "unknown-hold": "Check: no matching hold",
  "expired-hold": "Check: hold had expired",
  "slot-mismatch": "Check: slot changed",
  "items-mismatch": "Check: items changed",
  "location-mismatch": "Check: location changed",
};

const ACTION_TEXT: Record<PickupState, string> = {
  new: "New",
  preparing: "Start preparing",
  ready: "Mark ready",
  "picked-up": "Picked up",
  "no-show": "No-show",
};

const STATE_TONE: Record<PickupState, "info" | "attention" | "success" | "critical" | undefined> = {
  new: "info",
  preparing: "attention",
  ready: "success",
  "picked-up": undefined,
  "no-show": "critical",
};

/** Each move is a small form: it works before the page has hydrated, and Remix submits it without a reload once it has. */
function OrderCard({ card, busy }: { card: QueueCard; busy: string | null }) {
  return (
    <Card>
      <BlockStack gap="200">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h3" variant="headingSm">
            {card.orderName}
            {card.customerName ? ` · ${card.customerName}` : " · Guest"}
          </Text>
          <InlineStack gap="100">
            {card.flag ? <Badge tone="critical">{FLAG_TEXT[card.flag]}</Badge> : null}
            <Badge tone={STATE_TONE[card.state]}>{LABELS[card.state]}</Badge>
          </InlineStack>
        </InlineStack>
        <BlockStack gap="050">
          {card.items.map((item, index) => (
            <Text as="p" key={`${card.orderId}-${index}`}>
              {item.quantity} × {item.title}
            </Text>
          ))}
        </BlockStack>
        {card.next.length > 0 ? (
          <InlineStack gap="200">
            {card.next.map((to) => (
              <Form method="post" key={to}>
                <input type="hidden" name="orderId" value={card.orderId} />
                <input type="hidden" name="to" value={to} />
                <Button
                  submit
                  variant={to === "no-show" ? "plain" : "primary"}
                  tone={to === "no-show" ? "critical" : undefined}
                  loading={busy === `${card.orderId}:${to}`}
                  disabled={busy !== null}
                  accessibilityLabel={`${ACTION_TEXT[to]}: ${card.orderName}`}
                >
                  {ACTION_TEXT[to]}
                </Button>
              </Form>
            ))}
          </InlineStack>
        ) : null}
      </BlockStack>
    </Card>
  );
}

export default function PickupQueuePage() {
  const { locations, location, queue, error, metrics } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const [, setSearchParams] = useSearchParams();

  // The queue changes as orders arrive; the open page follows it without a reload.
  useEffect(() => {
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [revalidator]);

  const busy = navigation.state !== "idle" && navigation.formData ? `${String(navigation.formData.get("orderId"))}:${String(navigation.formData.get("to"))}` : null;
  const waiting = queue?.slots.reduce((sum, slot) => sum + slot.cards.filter((card) => card.next.length > 0).length, 0) ?? 0;

  return (
    <Page title="Pickup queue" subtitle={queue ? `${location?.name ?? ""} · ${queue.date} · ${waiting} to hand over` : undefined}>
      <Layout>
        {outcome ? (
          <Layout.Section>
            <Banner tone={outcome.ok ? "success" : "critical"}>{outcome.message}</Banner>
          </Layout.Section>
        ) : null}
        {locations.length > 1 ? (
          <Layout.Section>
            <Select
              label="Location"
              options={locations.map((candidate) => ({ label: candidate.name, value: candidate.locationId }))}
              value={location?.locationId ?? ""}
              onChange={(value) => setSearchParams((current) => {
                current.set("location", value);
                return current;
              })}
            />
          </Layout.Section>
        ) : null}
        {error ? (
          <Layout.Section>
            <Banner tone="critical">{error}</Banner>
          </Layout.Section>
        ) : null}
        {!location ? (
          <Layout.Section>
            <Card>
              <Text as="p">No location takes orders ahead yet. Turn pickup on for a location in the pickup settings.</Text>
            </Card>
          </Layout.Section>
        ) : null}
        {queue && queue.slots.length === 0 ? (
          <Layout.Section>
            <Card>
              <Text as="p">No pickup orders for today yet. New orders appear here as they are paid.</Text>
            </Card>
          </Layout.Section>
        ) : null}
        {queue?.slots.map((slot) => (
          <Layout.Section key={slot.slotStart}>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                {slot.label} · {slot.cards.length} order{slot.cards.length === 1 ? "" : "s"}
              </Text>
              {slot.cards.map((card) => (
                <OrderCard key={card.orderId} card={card} busy={busy} />
              ))}
            </BlockStack>
          </Layout.Section>
        ))}
        {metrics && metrics.locations.length > 0 ? (
          <Layout.Section>
            <PickupMetricsCard from={metrics.from} to={metrics.to} locations={metrics.locations} />
          </Layout.Section>
        ) : null}
      </Layout>
    </Page>
  );
}
