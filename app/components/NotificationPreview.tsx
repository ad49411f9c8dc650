import { BlockStack, Box, InlineStack, Text } from "@shopify/polaris";
import { fillPlaceholders } from "../campaigns/notification";

interface NotificationPreviewProps {
  label: string;
  shopName: string;
  title: string;
  body: string;
  link: string;
  /** The discount in percent when the offer has one: {code} and {percentOff} are then filled in per member. */
  percentOff: string;
  /** An order-ahead invitation also names the member's pickup slot: {slotTime} and {locationName}. */
  orderAhead: boolean;
}

/** A sample code of the shape Regulars issues, so the preview shows how long the text gets. */
const SAMPLE_CODE = "REG-7KQ2M9";

/**
 * The notification as a member's phone shows it on the lock screen: the
 * shop's name, the title in bold, the body cut after a few lines, and where a
 * tap leads. Placeholders are filled with sample values.
 */
export function NotificationPreview({ label, shopName, title, body, link, percentOff, orderAhead }: NotificationPreviewProps) {
  const values: Record<string, string> = {
    ...(percentOff.trim() === "" ? {} : { code: SAMPLE_CODE, percentOff: percentOff.trim() }),
    ...(orderAhead ? { slotTime: "08:10", locationName: shopName } : {}),
  };
  const shownTitle = fillPlaceholders(title.trim(), values);
  const shownBody = fillPlaceholders(body.trim(), values);
  return (
    <BlockStack gap="100">
      <Text as="h3" variant="headingSm">
        {label}
      </Text>
      <div
        data-testid="notification-preview"
        style={{ background: "linear-gradient(160deg, #2b3440, #4a5a6e)", borderRadius: 28, padding: "20px 12px", maxWidth: 340 }}
      >
        <div style={{ background: "rgba(255,255,255,0.88)", borderRadius: 16, padding: "10px 12px", boxShadow: "0 1px 3px rgba(0,0,0,0.25)" }}>
          <BlockStack gap="050">
            <InlineStack align="space-between" blockAlign="center">
              <Text as="span" variant="bodySm" tone="subdued">
                {shopName}
              </Text>
              <Text as="span" variant="bodySm" tone="subdued">
                now
              </Text>
            </InlineStack>
            <Text as="p" variant="bodyMd" fontWeight="semibold" breakWord>
              <span data-testid="preview-title">{shownTitle || "Title"}</span>
            </Text>
            <div style={{ display: "-webkit-box", WebkitLineClamp: 4, WebkitBoxOrient: "vertical", overflow: "hidden" }}>
              <Text as="p" variant="bodyMd" breakWord>
                <span data-testid="preview-body">{shownBody || "Message"}</span>
              </Text>
            </div>
          </BlockStack>
        </div>
      </div>
      <Box paddingInlineStart="200">
        <Text as="p" variant="bodySm" tone="subdued" breakWord>
          A tap opens {link.trim() || "the offer's link"}
          {values.code ? ` with the member's own code (${SAMPLE_CODE} here) applied at checkout` : ""}.
        </Text>
      </Box>
    </BlockStack>
  );
}
