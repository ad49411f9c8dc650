/**
 * A storefront request the app proxy refuses, with the status and a message
 * the storefront can show as it is. `code` is for the block's script to branch on.
 */
export type ProxyErrorCode =
  | "unauthorized"
  | "login_required"
  | "shop_not_installed"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_body";

export class ProxyRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProxyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ProxyRequestError";
  }
}

export interface ProxyErrorBody {
  error: { code: ProxyErrorCode; message: string };
}

export function proxyErrorBody(error: ProxyRequestError): ProxyErrorBody {
  return { error: { code: error.code, message: error.message } };
}
