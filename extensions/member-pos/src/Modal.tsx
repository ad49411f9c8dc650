import { useCallback, useEffect, useRef, useState } from "react";
import {
  Banner,
  Button,
  CameraScanner,
  Navigator,
  reactExtension,
  Screen,
  ScrollView,
  Section,
  Stack,
  Text,
  TextField,
  useApi,
  useCartSubscription,
  useScannerDataSubscription,
} from "@shopify/ui-extensions-react/point-of-sale";
import { redeemPerk, scanCard } from "./backend";
import { discountLine, newRedeemRequestId, posCustomerId, type MemberSummary, type PerkStatus } from "./member";
import { MemberView } from "./MemberView";

/**
 * The member modal: the camera (or a connected scanner) reads the QR of the
 * member's card, or the barista types the code shown under it. A recognised
 * member is attached to the sale and shown in cafe terms; a ready perk is
 * redeemed as a 100 % discount on a matching line of the sale, or recorded as
 * given when the sale has none.
 */
function MemberModal() {
  const api = useApi<"pos.home.modal.render">();
  const cart = useCartSubscription();
  const scanned = useScannerDataSubscription();
  const [typed, setTyped] = useState("");
  const [member, setMember] = useState<MemberSummary | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // A scan made before the modal opened is not this customer's: only new scans are looked up.
  const lastScan = useRef<string | null>(scanned.data?.trim() ?? null);
  const unansweredTaps = useRef(new Map<string, string>());
  const locationId = api.session.currentSession.locationId;

  const lookUp = useCallback(
    async (code: string) => {
      setBusy("lookup");
      setProblem(null);
      const answer = await scanCard(api.session, { code, saleCustomerId: cart.customer?.id ?? null, locationId: locationId ?? null });
      setBusy(null);
      if (!answer.ok) {
        setProblem(answer.message);
        return;
      }
      setMember(answer.member);
      const id = posCustomerId(answer.customerId);
      if (id !== null && cart.customer?.id !== id) {
        await api.cart.setCustomer({ id });
        api.toast.show(`${answer.member?.name ?? "Member"} added to the sale`);
      }
      if (!answer.member) setProblem("This member's details have not reached Regulars yet; they are on the sale.");
    },
    [api, cart.customer?.id, locationId],
  );

  // Each new scan (camera or scanner) is looked up once.
  useEffect(() => {
    const data = scanned.data?.trim();
    if (data && data !== lastScan.current) {
      lastScan.current = data;
      void lookUp(data);
    }
  }, [scanned.data, lookUp]);

  const onRedeem = async (perk: PerkStatus) => {
    if (!member) return;
    const line = discountLine(perk, cart.lineItems);
    setBusy(perk.programId);
    // A tap that got no answer keeps its request id, so pressing again cannot redeem a second perk.
    const tap = `${member.customerId} ${perk.programId}`;
    const requestId = unansweredTaps.current.get(tap) ?? newRedeemRequestId();
    unansweredTaps.current.set(tap, requestId);
    const answer = await redeemPerk(api.session, {
      programId: perk.programId,
      customerId: member.customerId,
      variantId: line?.variantId !== undefined ? String(line.variantId) : null,
      mode: line ? "discount" : "recorded",
      locationId: locationId !== undefined ? String(locationId) : null,
      requestId,
    });
    if (answer.ok || !answer.unanswered) unansweredTaps.current.delete(tap);
    if (answer.ok && line) await api.cart.setLineItemDiscount(line.uuid, "Percentage", perk.reward || perk.name, "100");
    setBusy(null);
    if (!answer.ok) {
      setProblem(answer.message);
      return;
    }
    api.toast.show(line ? `${perk.reward || perk.name}: applied to ${line.title ?? "the item"}` : `${perk.reward || perk.name}: recorded as given`);
    setMember({ ...member, perks: member.perks.map((p) => (p.programId === perk.programId ? { ...p, ready: Math.max(0, p.ready - 1) } : p)) });
  };

  return (
    <Navigator>
      <Screen name="Member" title="Member card" isLoading={busy === "lookup"}>
        <ScrollView>
          {problem ? <Banner title={problem} variant="error" visible /> : null}
          {member ? (
            <Section title="Member">
              <MemberView member={member} busy={busy} onRedeem={(perk) => void onRedeem(perk)} />
            </Section>
          ) : null}
          <Section title="Scan or type the card's code">
            <Stack direction="block" gap="200" paddingVertical="Small">
              <CameraScanner />
              <TextField label="Code on the card" placeholder="ABCD2345-123456" value={typed} onChange={setTyped} />
              <Button title="Look up" type="primary" isDisabled={typed.trim() === "" || busy !== null} onPress={() => void lookUp(typed)} />
              <Text variant="captionRegular">The code changes every minute; a photo of an old code is refused.</Text>
            </Stack>
          </Section>
        </ScrollView>
      </Screen>
    </Navigator>
  );
}

export default reactExtension("pos.home.modal.render", () => <MemberModal />);
