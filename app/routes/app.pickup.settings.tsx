import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useFetcher, useLoaderData, useNavigate } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Checkbox, FormLayout, InlineStack, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { requireAdmin } from "../admin-auth.server";
import { WEEKDAY_NAMES } from "../pickup/hours";
import { pickupSettingsPage, submitMenuForm, submitSettingsForm } from "../pickup/settings-page.server";
import { dayHoursText, SLOT_LENGTHS } from "../pickup/settings-input";
import type { PickupSettings } from "../pickup/settings.server";
import { getRuntime } from "../runtime.server";
import { offlineAdminApi } from "../shopify/admin-api.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const runtime = getRuntime();
  return pickupSettingsPage(runtime.db, () => offlineAdminApi(runtime, shop), shop, new URL(request.url).searchParams.get("location"));
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const runtime = getRuntime();
  const form = await request.formData();
  const intent = form.get("intent");
  const outcome =
    intent === "settings"
      ? await submitSettingsForm(runtime.db, shop, form)
      : intent === "menu"
        ? await submitMenuForm(runtime.db, () => offlineAdminApi(runtime, shop), shop, form)
        : { ok: false as const, errors: { form: "unknown form; reload the page" } };
  const which = intent === "menu" ? ("menu" as const) : ("settings" as const);
  return outcome.ok ? { form: which, ...outcome } : data({ form: which, ...outcome }, { status: 400 });
}

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

function settingsFields(settings: PickupSettings): Record<string, string> {
  const fields: Record<string, string> = {
    slotMinutes: String(settings.slotMinutes),
    capacityOrders: settings.capacityOrders === null ? "" : String(settings.capacityOrders),
    capacityItems: settings.capacityItems === null ? "" : String(settings.capacityItems),
    leadMinutes: String(settings.leadMinutes),
    cutoffMinutes: String(settings.cutoffMinutes),
    holdMinutes: String(settings.holdMinutes),
  };
  for (const weekday of WEEKDAYS) fields[`hours.${weekday}`] = dayHoursText(settings.hours, weekday);
  return fields;
}

export default function PickupSettingsPage() {
  const page = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const settingsSave = useFetcher<typeof action>();
  const menuSave = useFetcher<typeof action>();
  const selected = page.selected;

  const [enabled, setEnabled] = useState(selected?.enabled ?? false);
  const [fields, setFields] = useState<Record<string, string>>(() => (selected ? settingsFields(selected) : {}));
  useEffect(() => {
    if (!selected) return;
    setEnabled(selected.enabled);
    setFields(settingsFields(selected));
  }, [selected]);
  const value = (name: string) => fields[name] ?? "";
  const set = (name: string) => (next: string) => setFields((current) => ({ ...current, [name]: next }));

  const menuByVariant = new Map(page.menu.map((item) => [item.variantId, item]));
  const [chosen, setChosen] = useState<Record<string, { drink: boolean; available: boolean } | undefined>>(() =>
    Object.fromEntries(page.menu.map((item) => [item.variantId, { drink: item.isDrink, available: item.available }])),
  );

  const settingsResult = settingsSave.data?.form === "settings" ? settingsSave.data : undefined;
  const menuResult = menuSave.data?.form === "menu" ? menuSave.data : undefined;
  const error = (name: string) => (settingsResult && !settingsResult.ok ? settingsResult.errors[name] : undefined);

  const saveSettings = () => {
    if (!selected) return;
    const form = new FormData();
    form.set("intent", "settings");
    form.set("locationId", selected.locationId);
    form.set("locationName", page.selectedName ?? "");
    if (enabled) form.set("enabled", "on");
    for (const [name, text] of Object.entries(fields)) form.set(name, text);
    settingsSave.submit(form, { method: "post" });
  };
  const saveMenu = () => {
    const form = new FormData();
    form.set("intent", "menu");
    for (const [variantId, choice] of Object.entries(chosen)) {
      if (!choice) continue;
      form.append("menu", variantId);
      if (choice.drink) form.set(`drink.${variantId}`, "on");
      if (choice.available) form.set(`available.${variantId}`, "on");
    }
    menuSave.submit(form, { method: "post" });
  };

  const settingsProblem = settingsResult && !settingsResult.ok ? Object.entries(settingsResult.errors).filter(([name]) => !(name in fields) && name !== "hours") : [];

  return (
    <Page title="Pickup" subtitle="Order ahead: when members can pick up, how many orders each slot takes, and what they can order">
      <Layout>
        {page.apiProblem ? (
          <Layout.Section>
            <Banner tone="warning" title="Shopify could not be reached">
              <p>{page.apiProblem}</p>
            </Banner>
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <Text as="h2" variant="headingMd">
                Location
              </Text>
              {page.locations.length === 0 || !selected ? (
                <Text as="p" tone="subdued">
                  No locations yet. Locations come from your Shopify admin (Settings → Locations).
                </Text>
              ) : (
                <>
                  <Select
                    label="Location"
                    options={page.locations.map((location) => ({ label: `${location.name}${location.enabled ? " (taking orders ahead)" : ""}`, value: location.locationId }))}
                    value={selected.locationId}
                    onChange={(locationId) => navigate(`?location=${encodeURIComponent(locationId)}`)}
                  />
                  {settingsResult?.ok ? <Banner tone="success">{settingsResult.message}</Banner> : null}
                  {settingsResult && !settingsResult.ok ? (
                    <Banner tone="critical" title="Nothing was saved">
                      <p>Correct the fields marked below.</p>
                      {settingsProblem.map(([name, message]) => (
                        <p key={name}>{message}</p>
                      ))}
                    </Banner>
                  ) : null}
                  <FormLayout>
                    <Checkbox label="Take orders ahead at this location" checked={enabled} onChange={setEnabled} error={error("enabled")} />
                    <Text as="h3" variant="headingSm">
                      Opening hours for pickup (shop time)
                    </Text>
                    {error("hours") ? <Banner tone="critical">{error("hours")}</Banner> : null}
                    {WEEKDAYS.map((weekday) => (
                      <TextField
                        key={weekday}
                        label={WEEKDAY_NAMES[weekday - 1]}
                        value={value(`hours.${weekday}`)}
                        onChange={set(`hours.${weekday}`)}
                        autoComplete="off"
                        placeholder="closed"
                        helpText={weekday === 1 ? "Like 07:00-11:00, 12:00-15:00; leave empty when closed." : undefined}
                        error={error(`hours.${weekday}`)}
                      />
                    ))}
                    <FormLayout.Group>
                      <Select
                        label="Slot length"
                        options={SLOT_LENGTHS.map((minutes) => ({ label: `${minutes} minutes`, value: String(minutes) }))}
                        value={value("slotMinutes")}
                        onChange={set("slotMinutes")}
                        error={error("slotMinutes")}
                      />
                      <TextField label="Orders per slot" type="number" value={value("capacityOrders")} onChange={set("capacityOrders")} autoComplete="off" helpText="Empty: no limit on orders." error={error("capacityOrders")} />
                      <TextField label="Drinks per slot" type="number" value={value("capacityItems")} onChange={set("capacityItems")} autoComplete="off" helpText="Empty: no limit on drinks." error={error("capacityItems")} />
                    </FormLayout.Group>
                    <FormLayout.Group>
                      <TextField label="Preparation lead time (minutes)" type="number" value={value("leadMinutes")} onChange={set("leadMinutes")} autoComplete="off" helpText="The earliest slot starts at least this long from now." error={error("leadMinutes")} />
                      <TextField label="Order cut-off (minutes before closing)" type="number" value={value("cutoffMinutes")} onChange={set("cutoffMinutes")} autoComplete="off" error={error("cutoffMinutes")} />
                      <TextField label="Hold time (minutes)" type="number" value={value("holdMinutes")} onChange={set("holdMinutes")} autoComplete="off" helpText="How long a slot is kept while the member pays (1–30)." error={error("holdMinutes")} />
                    </FormLayout.Group>
                  </FormLayout>
                  <InlineStack align="end">
                    <Button variant="primary" onClick={saveSettings} loading={settingsSave.state !== "idle"}>
                      Save location settings
                    </Button>
                  </InlineStack>
                </>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <Text as="h2" variant="headingMd">
                Menu for ordering ahead
              </Text>
              <Text as="p" tone="subdued">
                Tick what members can order ahead (all locations). Drinks count against each slot&apos;s drinks limit.
              </Text>
              {menuResult?.ok ? <Banner tone="success">{menuResult.message}</Banner> : null}
              {menuResult && !menuResult.ok ? (
                <Banner tone="critical" title="The menu was not saved">
                  {Object.entries(menuResult.errors).map(([name, message]) => (
                    <p key={name}>{message}</p>
                  ))}
                </Banner>
              ) : null}
              {page.products.length === 0 ? (
                <Text as="p" tone="subdued">
                  {page.apiProblem ? "Products cannot be listed until Shopify is reachable." : "Your store has no products yet."}
                  {page.menu.length > 0 ? ` ${page.menu.length} item(s) are on the menu.` : ""}
                </Text>
              ) : (
                page.products.map((product) => (
                  <BlockStack key={product.productId} gap="100">
                    {product.variants.map((variant) => {
                      const choice = chosen[variant.variantId];
                      const stored = menuByVariant.get(variant.variantId);
                      const update = (next: { drink: boolean; available: boolean } | undefined) => setChosen((current) => ({ ...current, [variant.variantId]: next }));
                      return (
                        <InlineStack key={variant.variantId} gap="400" blockAlign="center">
                          <Checkbox
                            label={`${variant.title} (${variant.price})`}
                            checked={choice !== undefined}
                            onChange={(on) => update(on ? { drink: stored?.isDrink ?? true, available: stored?.available ?? true } : undefined)}
                          />
                          {choice ? (
                            <>
                              <Checkbox label="Drink" checked={choice.drink} onChange={(drink) => update({ ...choice, drink })} />
                              <Checkbox label="Available now" checked={choice.available} onChange={(available) => update({ ...choice, available })} />
                            </>
                          ) : null}
                        </InlineStack>
                      );
                    })}
                  </BlockStack>
                ))
              )}
              <InlineStack align="end">
                <Button onClick={saveMenu} loading={menuSave.state !== "idle"} disabled={page.products.length === 0}>
                  Save menu
                </Button>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
