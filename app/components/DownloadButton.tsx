import { useState } from "react";
import { Button, InlineStack, Text } from "@shopify/polaris";

/**
 * A download from one of the admin's resource routes. Inside Shopify's frame
 * a plain link would arrive without the session token, so the file is
 * fetched (App Bridge adds the token to the app's own fetches) and handed to
 * the browser as a blob; the demo takes the same path.
 */
export function DownloadButton({ url, filename, children }: { url: string; filename: string; children: string }) {
  const [state, setState] = useState<{ busy: boolean; problem: string | null }>({ busy: false, problem: null });
  const download = async () => {
    setState({ busy: true, problem: null });
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
      const blob = await response.blob();
      const href = URL.createObjectURL(blob);
      const anchor = document.createElement("a");
      anchor.href = href;
      anchor.download = filename;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      setState({ busy: false, problem: null });
    } catch (error) {
      setState({ busy: false, problem: `The download failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  return (
    <InlineStack gap="200" blockAlign="center">
      <Button onClick={() => void download()} loading={state.busy} variant="plain">
        {children}
      </Button>
      {state.problem ? (
        <Text as="span" tone="critical">
          {state.problem}
        </Text>
      ) : null}
    </InlineStack>
  );
}
