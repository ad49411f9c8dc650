import { useEffect, useState } from "react";
import { reactExtension, Tile, useApi } from "@shopify/ui-extensions-react/point-of-sale";
import { fetchQueue } from "./backend";
import { dueSoonCount, tileSubtitle } from "./queue";

/** How often the tile asks for the queue again. */
const REFRESH_MS = 60_000;

function PickupTile() {
  const api = useApi<"pos.home.tile.render">();
  const [due, setDue] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  const locationId = api.session.currentSession.locationId;

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      const answer = await fetchQueue(api.session, locationId);
      if (stopped) return;
      setFailed(!answer.ok);
      setDue(answer.ok ? dueSoonCount(answer.queue, new Date()) : null);
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api.session, locationId]);

  return (
    <Tile
      title="Pickup"
      subtitle={failed ? "Tap to see why" : tileSubtitle(due)}
      badgeValue={due !== null && due > 0 ? due : undefined}
      onPress={() => api.action.presentModal()}
      enabled
    />
  );
}

export default reactExtension("pos.home.tile.render", () => <PickupTile />);
