import { Badge, Button, Stack, Text } from "@shopify/ui-extensions-react/point-of-sale";
import { detailLines, headline, perkLine, type MemberSummary, type PerkStatus } from "./member";

/**
 * Who the member is, as the barista reads it: name and visits, rhythm, usual
 * order, open pickup, and each perk with a Redeem button when one is ready.
 * Only components every target allows (a customer-details block allows few).
 */
export function MemberView({ member, busy, onRedeem }: { member: MemberSummary; busy: string | null; onRedeem?: (perk: PerkStatus) => void }) {
  return (
    <Stack direction="block" gap="200" paddingVertical="Small">
      <Stack direction="inline" gap="200">
        <Text variant="headingLarge">{headline(member)}</Text>
        {member.memberStatus === "active" ? <Badge text="Member" variant="success" /> : null}
      </Stack>
      {detailLines(member).map((line) => (
        <Text key={line} variant="body">
          {line}
        </Text>
      ))}
      {member.perks.map((perk) => (
        <Stack key={perk.programId} direction="inline" gap="200">
          <Text variant="body" color={perk.ready > 0 ? "TextSuccess" : "TextSubdued"}>
            {perkLine(perk)}
          </Text>
          {perk.ready > 0 && onRedeem ? (
            <Button title="Redeem" type="primary" isLoading={busy === perk.programId} isDisabled={busy !== null} onPress={() => onRedeem(perk)} />
          ) : null}
        </Stack>
      ))}
    </Stack>
  );
}
