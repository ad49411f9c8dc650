import { reactExtension, Tile, useApi, useCartSubscription } from "@shopify/ui-extensions-react/point-of-sale";

/** The smart-grid tile: opens the member modal; says whether the sale already has a customer. */
function MemberTile() {
  const api = useApi<"pos.home.tile.render">();
  const cart = useCartSubscription();
  return (
    <Tile
      title="Member"
      subtitle={cart.customer ? "Customer on the sale · tap to check" : "Scan a member card"}
      onPress={() => api.action.presentModal()}
      enabled
    />
  );
}

export default reactExtension("pos.home.tile.render", () => <MemberTile />);
