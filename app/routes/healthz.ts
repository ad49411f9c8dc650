import { json } from "@remix-run/node";
import { checkHealth } from "../health.server";
import { getRuntime } from "../runtime.server";

/** Liveness and readiness for load balancers: 200 when every component is up, else 503 naming it. */
export async function loader() {
  const health = await checkHealth(getRuntime());
  return json(health, {
    status: health.status === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
