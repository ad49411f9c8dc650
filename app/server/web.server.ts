import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import type { Config } from "../config.server";
import type { Runtime } from "../runtime.server";
import { createWebhookEndpoint } from "../webhooks/http.server";
import { requestWebhookDrain } from "../../jobs/drain.server";
import { httpMetrics, metricSourcesOf, metricsHandler } from "./metrics-endpoint.server";
import { setMetricSources } from "../lib/metrics.server";

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP side: Remix behind Express. With WEB_BUNDLE=vite, Vite compiles the
 * routes on demand (development); with `build`, the output of `npm run build`
 * is served (production and the demo). Webhooks and /metrics are answered
 * before Remix (app/webhooks/http.server.ts, ./metrics-endpoint.server.ts).
 */
export async function startWebServer(config: Config, runtime: Runtime): Promise<WebServer> {
  const app = express();
  app.disable("x-powered-by");
  app.use(httpMetrics);
  app.all("/metrics", metricsHandler(config.metricsToken));
  setMetricSources(metricSourcesOf(runtime));
  const webhooks = await createWebhookEndpoint({
    databaseUrl: runtime.database.url,
    apiSecret: config.shopify.apiSecret,
    requestDrain: (shop) => requestWebhookDrain(runtime.jobs, shop),
  });
  app.use("/webhooks", (request, response) => webhooks.handle(request, response));
  let closeVite = async () => {};
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (config.webBundle === "build") {
    const client = fileURLToPath(new URL("../../build/client", import.meta.url));
    app.use("/assets", express.static(`${client}/assets`, { immutable: true, maxAge: "1y" }));
    app.use(express.static(client, { maxAge: "1h" }));
    build = await loadServerBuild();
  } else {
    const vite = await import("vite");
    const devServer = await vite.createServer({
      server: { middlewareMode: true },
      logLevel: config.nodeEnv === "test" ? "error" : "info",
    });
    app.use(devServer.middlewares);
    build = () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
    closeVite = () => devServer.close();
  }
  app.all("*", createRequestHandler({ build }));

  const server = createServer(app);
  // Outlive the idle timeouts of clients and load balancers (typically 60 s) so a
  // reused keep-alive connection is never closed under a request in flight.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await listen(server, config.port, config.host);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    url: `http://${shownHost}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold close() open.
        server.closeIdleConnections();
      });
      await webhooks.close();
      await closeVite();
      setMetricSources(null);
    },
  };
}

async function loadServerBuild(): Promise<ServerBuild> {
  const serverBuildPath = new URL("../../build/server/index.js", import.meta.url);
  if (!existsSync(serverBuildPath)) {
    throw new Error("No build to serve: run `npm run build` first (or set WEB_BUNDLE=vite in development)");
  }
  return (await import(/* @vite-ignore */ serverBuildPath.href)) as ServerBuild;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
