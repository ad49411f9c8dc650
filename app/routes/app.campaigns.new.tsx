import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { useActionData, useFetcher, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { Banner, BlockStack, Box, Button, Card, Checkbox, ChoiceList, FormLayout, InlineStack, Layout, Page, ProgressBar, Select, Text, TextField } from "@shopify/polaris";
import { z } from "zod";
import { requireAdmin } from "../admin-auth.server";
import { authorCampaign, authoringOptions, measureVariants } from "../campaigns/authoring.server";
import { CAMPAIGN_ID } from "../campaigns/campaigns.server";
import type { DefinitionIssue } from "../campaigns/definition";
import { NotificationPreview } from "../components/NotificationPreview";
import { getRuntime } from "../runtime.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  // The form's campaign id: submitting the same form twice stores one campaign.
  return { formId: crypto.randomUUID(), options: await authoringOptions(getRuntime().db, shop) };
}

const submission = z.object({
  intent: z.enum(["check", "create"], { error: "intent must be check or create" }),
  formId: z.string({ error: "formId is missing; reload the page" }).regex(CAMPAIGN_ID, "formId is not a campaign id; reload the page"),
});

export async function action({ request }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const form = await request.formData();
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (typeof value === "string") fields[name] = value;
  const parsed = submission.safeParse(fields);
  if (!parsed.success) {
    return data({ intent: "create" as const, issues: parsed.error.issues.map((i) => ({ path: "", message: i.message })) }, { status: 400 });
  }
  if (parsed.data.intent === "check") return { intent: "check" as const, sizes: measureVariants(fields) };
  const outcome = await authorCampaign(getRuntime().db, shop, fields, { id: parsed.data.formId });
  if (!outcome.ok) return data({ intent: "create" as const, issues: outcome.issues }, { status: 400 });
  return redirect(`/app/campaigns/${encodeURIComponent(outcome.campaign.id)}`);
}

// The form's own submissions (size checks, refused drafts) change nothing the page loaded; keep its id.
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === "POST" ? false : defaultShouldRevalidate;

const KIND_HELP: Record<string, { label: string; help: string }> = {
  "segment-entry": { label: "Segment entry", help: "When a member enters the segment, invite them shortly before their usual visit time." },
  broadcast: { label: "Broadcast", help: "Send once to the segment's members at a time you choose." },
  "second-visit": { label: "Second visit", help: "After a first visit, nudge before the predicted second visit." },
  "win-back": { label: "Win-back", help: "Invite regulars whose usual return window closed without a visit." },
};

const OFFER_LABELS: Record<string, string> = { tasting: "A tasting", "new-item": "A new item", "order-ahead": "Order ahead" };

const INITIAL: Record<string, string> = {
  name: "",
  kind: "segment-entry",
  segmentId: "",
  variantCount: "1",
  "variants[0].title": "",
  "variants[0].body": "",
  "variants[0].url": "",
  "variants[0].weight": "1",
  "variants[1].title": "",
  "variants[1].body": "",
  "variants[1].url": "",
  "variants[1].weight": "1",
  "offer.type": "tasting",
  "offer.link": "",
  "offer.discount.percentOff": "",
  "offer.item": "",
  "offer.category": "",
  "offer.audienceSize": "",
  "offer.minScore": "",
  startsAt: "",
  endsAt: "",
};

export default function NewCampaignPage() {
  const { formId, options } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const measure = useFetcher<typeof action>();
  const [values, setValues] = useState<Record<string, string>>(() => ({
    ...INITIAL,
    holdoutPercent: String(options.defaults.holdoutPercent),
    attributionHours: String(options.defaults.attributionHours),
    leadMinutes: String(options.defaults.leadMinutes),
  }));
  const [issues, setIssues] = useState<DefinitionIssue[]>([]);
  useEffect(() => setIssues(refused && "issues" in refused ? refused.issues : []), [refused]);

  const value = (name: string) => values[name] ?? "";
  const set = (name: string) => (next: string) => {
    setValues((current) => ({ ...current, [name]: next }));
    setIssues((current) => current.filter((issue) => issue.path !== name));
  };
  const error = (name: string) => issues.find((issue) => issue.path === name)?.message;

  const kind = value("kind");
  const twoVariants = value("variantCount") === "2";
  const variantIndexes = twoVariants ? [0, 1] : [0];
  const segmentKind = kind === "segment-entry" || kind === "broadcast";
  const broadcast = kind === "broadcast";

  // Sizes are measured by the server with the very rule that refuses a campaign over 4 KB.
  const measured = [value("variants[0].title"), value("variants[0].body"), value("variants[1].title"), value("variants[1].body"), value("offer.discount.percentOff"), value("offer.type"), value("variantCount")];
  const measureKey = JSON.stringify(measured);
  const measureSubmit = measure.submit;
  useEffect(() => {
    const timer = setTimeout(() => {
      const form = new FormData();
      form.set("intent", "check");
      form.set("formId", formId);
      for (const [name, text] of Object.entries(values)) form.set(name, text);
      measureSubmit(form, { method: "post" });
    }, 250);
    return () => clearTimeout(timer);
    // Only the texts that change a message's size trigger a measurement.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [measureKey, formId, measureSubmit]);
  const sizes = measure.data && "sizes" in measure.data ? measure.data.sizes : [];

  const create = () => {
    const form = new FormData();
    form.set("intent", "create");
    form.set("formId", formId);
    for (const [name, text] of Object.entries(values)) form.set(name, text);
    submit(form, { method: "post" });
  };

  const placed = new Set(["name", "kind", "segmentId", "offer", "offer.type", "offer.link", "offer.discount", "offer.discount.percentOff", "offer.item", "offer.category", "offer.similarTo", "offer.audienceSize", "offer.minScore", "holdoutPercent", "attributionHours", "startsAt"]);
  if (!broadcast) for (const path of ["leadMinutes", "endsAt"]) placed.add(path);
  for (const index of variantIndexes) for (const part of ["", ".title", ".body", ".url", ".weight"]) placed.add(`variants[${index}]${part}`);
  const unplaced = issues.filter((issue) => !placed.has(issue.path));

  const segmentOptions = [
    { label: "Choose a segment", value: "" },
    ...options.segments.map((segment) => ({ label: `${segment.name} · ${segment.memberCount.toLocaleString("en")} members now`, value: segment.id })),
  ];
  const discount = value("offer.discount.percentOff").trim() !== "";
  const tastingAudience = segmentKind && value("offer.type") === "tasting";
  const itemOptions = [{ label: "No item: everyone in the segment", value: "" }, ...options.tastingItems];
  const itemTitle = options.tastingItems.find((choice) => choice.value === value("offer.item"))?.label.split(" · ")[0] ?? value("offer.item");

  return (
    <Page
      title="New campaign"
      subtitle="An invitation by web push, measured against a holdout"
      backAction={{ content: "Campaigns", url: "/app/campaigns" }}
      primaryAction={{ content: "Create campaign", onAction: create, loading: navigation.state === "submitting" }}
    >
      <Layout>
        {issues.length > 0 && (
          <Layout.Section>
            <Banner tone="critical" title="The campaign was not created">
              <p>Put right the fields marked below{unplaced.length > 0 ? ", and:" : "."}</p>
              {unplaced.length > 0 && (
                <ul>
                  {unplaced.map((issue) => (
                    <li key={`${issue.path}:${issue.message}`}>{issue.path ? `${issue.path}: ${issue.message}` : issue.message}</li>
                  ))}
                </ul>
              )}
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <FormLayout>
                <TextField label="Name" value={value("name")} onChange={set("name")} autoComplete="off" error={error("name")} helpText="For you; members never see it." />
                <ChoiceList
                  title="Kind"
                  choices={options.kinds.map((k) => ({ label: KIND_HELP[k]?.label ?? k, value: k, helpText: KIND_HELP[k]?.help }))}
                  selected={[kind]}
                  onChange={(selected) => set("kind")(selected[0] ?? "")}
                  error={error("kind")}
                />
                {segmentKind &&
                  (options.segments.length === 0 ? (
                    <Banner tone="warning" title="No segments yet">
                      <p>Segments appear after the shop&apos;s first analytics run (import order history, or wait for tonight&apos;s run).</p>
                    </Banner>
                  ) : (
                    <Select label="Segment" options={segmentOptions} value={value("segmentId")} onChange={set("segmentId")} error={error("segmentId")} />
                  ))}
              </FormLayout>
            </Card>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Message
                </Text>
                <Checkbox
                  label="A/B test: two messages, members split by weight"
                  checked={twoVariants}
                  onChange={(checked) => set("variantCount")(checked ? "2" : "1")}
                />
                {discount && (
                  <Text as="p" tone="subdued">
                    With a discount, {"{code}"} and {"{percentOff}"} in a title, message or link are filled in for each member.
                  </Text>
                )}
                {value("offer.type") === "order-ahead" && (
                  <Text as="p" tone="subdued">
                    Ordering ahead, {"{slotTime}"} and {"{locationName}"} name the pickup slot chosen for each member.
                  </Text>
                )}
                {variantIndexes.map((index) => {
                  const size = sizes.find((s) => s.index === index);
                  const prefix = `variants[${index}]`;
                  return (
                    <BlockStack key={index} gap="200">
                      {twoVariants && (
                        <Text as="h3" variant="headingSm">
                          Message {index === 0 ? "A" : "B"}
                        </Text>
                      )}
                      <FormLayout>
                        <TextField label={twoVariants ? `Title ${index === 0 ? "A" : "B"}` : "Title"} value={value(`${prefix}.title`)} onChange={set(`${prefix}.title`)} autoComplete="off" error={error(`${prefix}.title`)} />
                        <TextField label={twoVariants ? `Message ${index === 0 ? "A" : "B"}` : "Message"} value={value(`${prefix}.body`)} onChange={set(`${prefix}.body`)} multiline={3} autoComplete="off" error={error(`${prefix}.body`)} />
                        <FormLayout.Group>
                          <TextField
                            label={twoVariants ? `Link ${index === 0 ? "A" : "B"} (optional)` : "Link (optional)"}
                            value={value(`${prefix}.url`)}
                            onChange={set(`${prefix}.url`)}
                            autoComplete="off"
                            placeholder={value("offer.link") || "the offer's link"}
                            error={error(`${prefix}.url`)}
                          />
                          {twoVariants ? (
                            <TextField label={`Weight ${index === 0 ? "A" : "B"}`} type="number" value={value(`${prefix}.weight`)} onChange={set(`${prefix}.weight`)} autoComplete="off" error={error(`${prefix}.weight`)} />
                          ) : null}
                        </FormLayout.Group>
                      </FormLayout>
                      {size && (
                        <BlockStack gap="100">
                          <ProgressBar progress={Math.min(100, (size.bytes / size.limit) * 100)} tone={size.problem ? "critical" : "primary"} size="small" />
                          <Text as="p" variant="bodySm" tone={size.problem ? "critical" : "subdued"}>
                            <span data-testid={`payload-size-${index}`}>
                              Up to {size.bytes.toLocaleString("en")} of {size.limit.toLocaleString("en")} bytes as sent
                            </span>
                            {size.problem ? `: ${size.problem}` : ""}
                          </Text>
                        </BlockStack>
                      )}
                      {error(prefix) && (
                        <Text as="p" tone="critical">
                          {error(prefix)}
                        </Text>
                      )}
                    </BlockStack>
                  );
                })}
              </BlockStack>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Offer
                </Text>
                <FormLayout.Group>
                  <Select
                    label="Invitation"
                    options={options.offerTypes.map((type) => ({ label: OFFER_LABELS[type] ?? type, value: type }))}
                    value={value("offer.type")}
                    onChange={set("offer.type")}
                    error={error("offer.type")}
                  />
                  <TextField label="Link" value={value("offer.link")} onChange={set("offer.link")} autoComplete="off" placeholder="/products/oat-latte" helpText="A page of your storefront." error={error("offer.link") ?? error("offer")} />
                </FormLayout.Group>
                {tastingAudience && (
                  <BlockStack gap="200">
                    <Select
                      label="New item to taste (optional)"
                      options={itemOptions}
                      value={value("offer.item")}
                      onChange={set("offer.item")}
                      helpText="Invite only the segment's members most likely to want to taste it: those whose visits hold items of its category, weighted by how likely they are still regulars. Members who have had it are left out."
                      error={error("offer.item")}
                    />
                    {value("offer.item") !== "" && (
                      <>
                        <FormLayout.Group>
                          <TextField
                            label="Audience size (optional)"
                            type="number"
                            suffix="members at most"
                            value={value("offer.audienceSize")}
                            onChange={set("offer.audienceSize")}
                            autoComplete="off"
                            helpText={`Empty = every member with some liking for ${itemTitle}. The holdout is drawn among them.`}
                            error={error("offer.audienceSize")}
                          />
                          <TextField
                            label="Minimum score (optional)"
                            type="number"
                            value={value("offer.minScore")}
                            onChange={set("offer.minScore")}
                            autoComplete="off"
                            helpText="0–1: the share of their visits with a like item × the chance they are still a regular."
                            error={error("offer.minScore")}
                          />
                        </FormLayout.Group>
                        <TextField
                          label="Category (optional)"
                          value={value("offer.category")}
                          onChange={set("offer.category")}
                          autoComplete="off"
                          placeholder="pastry"
                          helpText="Needed when the shop has no product type for the item yet (a new item not sold so far)."
                          error={error("offer.category") ?? error("offer.similarTo")}
                        />
                      </>
                    )}
                  </BlockStack>
                )}
                <TextField
                  label="Discount (optional)"
                  type="number"
                  suffix="% off"
                  value={value("offer.discount.percentOff")}
                  onChange={set("offer.discount.percentOff")}
                  autoComplete="off"
                  helpText="Each member gets their own single-use code."
                  error={error("offer.discount.percentOff") ?? error("offer.discount")}
                />
              </FormLayout>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Timing
                </Text>
                {broadcast ? (
                  <TextField label="Send at" type="datetime-local" value={value("startsAt")} onChange={set("startsAt")} autoComplete="off" helpText={`Shop time (${options.timezone}).`} error={error("startsAt")} />
                ) : (
                  <>
                    <FormLayout.Group>
                      <TextField label="Start (optional)" type="datetime-local" value={value("startsAt")} onChange={set("startsAt")} autoComplete="off" helpText={`Shop time (${options.timezone}); empty = when scheduled.`} error={error("startsAt")} />
                      <TextField label="End (optional)" type="datetime-local" value={value("endsAt")} onChange={set("endsAt")} autoComplete="off" helpText="Empty = until paused." error={error("endsAt")} />
                    </FormLayout.Group>
                    <TextField
                      label="Lead time"
                      type="number"
                      suffix="minutes before their usual visit"
                      value={value("leadMinutes")}
                      onChange={set("leadMinutes")}
                      autoComplete="off"
                      error={error("leadMinutes")}
                    />
                  </>
                )}
              </FormLayout>
            </Card>
            <Card>
              <FormLayout>
                <Text as="h2" variant="headingMd">
                  Measurement
                </Text>
                <FormLayout.Group>
                  <TextField
                    label="Holdout"
                    type="number"
                    suffix="% of members not messaged"
                    value={value("holdoutPercent")}
                    onChange={set("holdoutPercent")}
                    autoComplete="off"
                    helpText="Their orders show what would have happened anyway."
                    error={error("holdoutPercent")}
                  />
                  <TextField
                    label="Attribution window"
                    type="number"
                    suffix="hours"
                    value={value("attributionHours")}
                    onChange={set("attributionHours")}
                    autoComplete="off"
                    helpText="An order within this time after the send counts."
                    error={error("attributionHours")}
                  />
                </FormLayout.Group>
              </FormLayout>
            </Card>
            <InlineStack align="end">
              <Button variant="primary" onClick={create} loading={navigation.state === "submitting"}>
                Create campaign
              </Button>
            </InlineStack>
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="400">
              <Text as="h2" variant="headingMd">
                Preview
              </Text>
              {variantIndexes.map((index) => (
                <NotificationPreview
                  key={index}
                  label={twoVariants ? `Message ${index === 0 ? "A" : "B"}` : "On the member's phone"}
                  shopName={options.shopName}
                  title={value(`variants[${index}].title`)}
                  body={value(`variants[${index}].body`)}
                  link={value(`variants[${index}].url`) || value("offer.link")}
                  percentOff={value("offer.discount.percentOff")}
                  orderAhead={value("offer.type") === "order-ahead"}
                />
              ))}
              <Box>
                <Text as="p" variant="bodySm" tone="subdued">
                  The campaign is saved as a draft; schedule it from its page.
                </Text>
              </Box>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
