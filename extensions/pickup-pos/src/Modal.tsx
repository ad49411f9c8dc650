import { useCallback, useEffect, useState } from "react";
import { Banner, Button, Navigator, reactExtension, Screen, ScrollView, Section, Stack, Text, useApi } from "@shopify/ui-extensions-react/point-of-sale";
import { fetchQueue, moveOrder } from "./backend";
import { ACTION_TITLES, groupBySlot, itemsLine, STATE_NAMES, type PickupQueue, type PickupState, type QueueCard } from "./queue";

/** How often the open queue asks for changes (orders arriving, another till moving one). */
const REFRESH_MS = 15_000;

function OrderRow({ card, busy, onMove }: { card: QueueCard; busy: string | null; onMove: (card: QueueCard, to: PickupState) => void }) {
  return (
    <Stack direction="block" gap="200" paddingVertical="Small">
      <Text variant="headingSmall">{`${card.orderName} · ${card.customerName ?? "Guest"} · ${STATE_NAMES[card.state]}`}</Text>
      <Text variant="body">{itemsLine(card.items)}</Text>
      {card.flag ? <Text color="TextWarning">{`Check this order: ${card.flag.replace(/-/g, " ")}`}</Text> : null}
      {card.next.length > 0 ? (
        <Stack direction="inline" gap="200">
          {card.next.map((to) => (
            <Button
              key={to}
              title={ACTION_TITLES[to]}
              type={to === "no-show" ? "destructive" : to === "ready" ? "primary" : "basic"}
              isLoading={busy === `${card.orderId}:${to}`}
              isDisabled={busy !== null}
              onPress={() => onMove(card, to)}
            />
          ))}
        </Stack>
      ) : null}
    </Stack>
  );
}

function PickupQueueModal() {
  const api = useApi<"pos.home.modal.render">();
  const locationId = api.session.currentSession.locationId;
  const [queue, setQueue] = useState<PickupQueue | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [showDone, setShowDone] = useState(false);

  const load = useCallback(async () => {
    const answer = await fetchQueue(api.session, locationId);
    if (answer.ok) {
      setQueue(answer.queue);
      setProblem(null);
    } else setProblem(answer.message);
  }, [api.session, locationId]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const onMove = async (card: QueueCard, to: PickupState) => {
    setBusy(`${card.orderId}:${to}`);
    const moved = await moveOrder(api.session, card.orderId, to);
    setBusy(null);
    if (moved.ok) api.toast.show(`${card.orderName}: ${STATE_NAMES[moved.state]}`);
    else setProblem(moved.message);
    await load();
  };

  const groups = queue ? groupBySlot(queue, new Date(), { includeDone: showDone }) : [];
  return (
    <Navigator>
      <Screen
        name="PickupQueue"
        title="Pickup queue"
        isLoading={queue === null && problem === null}
        secondaryAction={{ text: showDone ? "Hide collected" : "Show collected", onPress: () => setShowDone(!showDone) }}
      >
        <ScrollView>
          {problem ? <Banner title={problem} variant="error" action="Retry" onPress={() => void load()} visible /> : null}
          {queue && groups.length === 0 ? <Text variant="body">{`No pickup orders waiting for ${queue.date}.`}</Text> : null}
          {groups.map((group) => (
            <Section key={group.slotStart} title={`${group.label}${group.overdue ? " · overdue" : ""} · ${group.active.length} to hand over`}>
              {[...group.active, ...(showDone ? group.done : [])].map((card) => (
                <OrderRow key={card.orderId} card={card} busy={busy} onMove={(c, to) => void onMove(c, to)} />
              ))}
            </Section>
          ))}
        </ScrollView>
      </Screen>
    </Navigator>
  );
}

export default reactExtension("pos.home.modal.render", () => <PickupQueueModal />);
