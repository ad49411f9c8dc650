import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider as ShopifyAppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { requireAdmin } from "../admin-auth.server";
import { getRuntime } from "../runtime.server";
import { DemoShell } from "../components/DemoShell";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop, demo } = await requireAdmin(request);
  return { apiKey: getRuntime().config.shopify.apiKey, shop, demo };
}

/** Admin pages, listed once for both App Bridge's nav menu and the demo's sidebar. */
export const ADMIN_PAGES = [
  { label: "Home", url: "/app" },
  { label: "Cohorts", url: "/app/cohorts" },
  { label: "Segments", url: "/app/segments" },
  { label: "Duplicates", url: "/app/members/merges" },
  { label: "Import", url: "/app/import" },
  { label: "Campaigns", url: "/app/campaigns" },
  { label: "Pickup", url: "/app/pickup" },
  { label: "Order-ahead settings", url: "/app/pickup/settings" },
  { label: "Perks", url: "/app/perks" },
  { label: "Reports", url: "/app/reports" },
  { label: "Settings", url: "/app/settings" },
] as const;

export default function AdminLayout() {
  const { apiKey, shop, demo } = useLoaderData<typeof loader>();
  if (demo) {
    // Outside Shopify's frame there is no App Bridge; Polaris renders on its own.
    return (
      <DemoShell shop={shop} pages={ADMIN_PAGES}>
        <Outlet />
      </DemoShell>
    );
  }
  return (
    <ShopifyAppProvider isEmbeddedApp apiKey={apiKey}>
      <NavMenu>
        {ADMIN_PAGES.map((page, index) => (
          <Link key={page.url} to={page.url} rel={index === 0 ? "home" : undefined}>
            {page.label}
          </Link>
        ))}
      </NavMenu>
      <Outlet />
    </ShopifyAppProvider>
  );
}

// Shopify needs Remix to catch thrown responses so its auth redirects and headers work.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
