import type { ReactNode } from "react";
import { Link, useLocation } from "@remix-run/react";
import { AppProvider, Banner, Box, Frame, Navigation, TopBar } from "@shopify/polaris";
import type { LinkLikeComponentProps } from "@shopify/polaris/build/ts/src/utilities/link";
import { HomeIcon } from "@shopify/polaris-icons";
import en from "@shopify/polaris/locales/en.json";

interface DemoShellProps {
  shop: string;
  pages: ReadonlyArray<{ label: string; url: string }>;
  children: ReactNode;
}

/** Polaris links become Remix client-side navigations. */
function RemixLink({ url, children, external, ...rest }: LinkLikeComponentProps) {
  if (external) {
    return (
      <a href={url} target="_blank" rel="noreferrer" {...rest}>
        {children}
      </a>
    );
  }
  return (
    <Link to={url} {...rest}>
      {children}
    </Link>
  );
}

/** The admin as it looks in the demo: Polaris frame and sidebar, clearly labelled as a demo. */
export function DemoShell({ shop, pages, children }: DemoShellProps) {
  const location = useLocation();
  return (
    <AppProvider i18n={en} linkComponent={RemixLink}>
      <Frame
        topBar={<TopBar userMenu={<TopBar.UserMenu name={shop} initials="R" actions={[]} open={false} onToggle={noop} />} />}
        navigation={
          <Navigation location={location.pathname}>
            <Navigation.Section
              title="Regulars"
              items={pages.map((page) => ({
                label: page.label,
                url: page.url,
                icon: HomeIcon,
                selected: location.pathname === page.url,
              }))}
            />
          </Navigation>
        }
      >
        <Box paddingBlockStart="400" paddingInline="400">
          <Banner tone="info" title="Demo mode">
            This is Regulars running on its own with a demo shop ({shop}). Nothing here talks to Shopify.
          </Banner>
        </Box>
        {children}
      </Frame>
    </AppProvider>
  );
}

function noop() {}
