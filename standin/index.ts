/**
 * The Shopify stand-in: what tests, the demo and the CLI import.
 * See README.md beside this file for what it covers and how the app reaches it.
 */
export {
  createShopifyStandin,
  DEFAULT_SCOPES,
  DEFAULT_WEBHOOK_API_VERSION,
  type ShopifyStandin,
  type StandinOptions,
  type SessionTokenOptions,
  type WebhookDelivery,
} from "./server.ts";
export {
  StandinStore,
  UnknownShopError,
  type AccessToken,
  type CartInput,
  type CartUserError,
  type ProductInput,
  type CustomerInput,
  type LineItemInput,
  type LocationInput,
  type OrderInput,
  type ShopInput,
  type ShopState,
} from "./store.ts";
export { seedCafe, seedSummaryLine, type Persona, type SeedCafeOptions, type SeedSummary } from "./seed.ts";
export { mintSessionToken, signHs256, verifySessionToken, type MintSessionTokenOptions } from "./jwt.ts";
export { appProxyQuery, signAppProxyQuery, type AppProxyRequestInput, type ProxyParams } from "./appProxy.ts";
export { buildWebhookRequest, signWebhookBody, type WebhookInput, type WebhookRequest } from "./webhooks/send.ts";
export { webhookPayload, WEBHOOK_TOPICS, type WebhookTopic } from "./webhooks/topics.ts";
export {
  bulkOperationFinishPayload,
  customerDeletePayload,
  customersDataRequestPayload,
  customersRedactPayload,
  customerWebhookPayload,
  orderWebhookPayload,
  refundWebhookPayload,
  shopRedactPayload,
  shopWebhookPayload,
  type JsonObject,
} from "./webhooks/payloads.ts";
export { gid, legacyId, parseGid } from "./ids.ts";
export { menuProductInputs } from "./catalog.ts";
export type * from "./types.ts";
