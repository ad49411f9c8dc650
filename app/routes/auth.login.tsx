import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AppProvider, Button, Card, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import en from "@shopify/polaris/locales/en.json";
import { useState } from "react";
import { login } from "../shopify.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

const LOGIN_ERRORS: Record<string, string> = {
  MISSING_SHOP: "Enter your shop domain to log in.",
  INVALID_SHOP: "Enter a valid shop domain, like my-cafe.myshopify.com.",
};

async function loginErrors(request: Request) {
  const result = await login(request);
  const shopError = typeof result === "object" && result !== null && "shop" in result ? result.shop : undefined;
  return { error: shopError ? (LOGIN_ERRORS[shopError] ?? "Log in failed.") : null };
}

/** Logging in outside the Shopify admin (e.g. from the App Store listing): Shopify's OAuth via `login`. */
export const loader = async ({ request }: LoaderFunctionArgs) => loginErrors(request);
export const action = async ({ request }: ActionFunctionArgs) => loginErrors(request);

export default function Login() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const [shop, setShop] = useState("");
  const error = acted?.error ?? loaded.error;
  return (
    <AppProvider i18n={en}>
      <Page narrowWidth>
        <Card>
          <Form method="post">
            <FormLayout>
              <Text variant="headingMd" as="h1">
                Log in to Regulars
              </Text>
              <TextField
                type="text"
                name="shop"
                label="Shop domain"
                helpText="example.myshopify.com"
                value={shop}
                onChange={setShop}
                autoComplete="on"
                error={error ?? undefined}
              />
              <Button submit>Log in</Button>
            </FormLayout>
          </Form>
        </Card>
      </Page>
    </AppProvider>
  );
}
