import { createServer, type Server } from "node:http";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import type { Config } from "../config.server";

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP side: Remix behind Express. In development Vite compiles the routes
 * on demand (fast start, no build step); in production the built bundle is served.
 */
export async function startWebServer(config: Config): Promise<WebServer> {
  const app = express();
  app.disable("x-powered-by");
  let closeVite = async () => {};
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (config.nodeEnv === "production") {
    app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
    app.use(express.static("build/client", { maxAge: "1h" }));
    const serverBuildPath = new URL("../../build/server/index.js", import.meta.url).href;
    build = (await import(/* @vite-ignore */ serverBuildPath)) as ServerBuild;
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
      await closeVite();
    },
  };
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
