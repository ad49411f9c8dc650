import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Which push endpoints the app will send to. A subscription's endpoint comes
 * from a browser (any storefront visitor can post one), and the app then
 * POSTs to it from inside our network: without these rules a crafted
 * endpoint would make the app a request-forgery tool. So an endpoint must be
 * https, on a push service in the allow-list, and resolve only to public
 * addresses. The address check runs again on every connection
 * (`guardedLookup`), so a name that later resolves to a private address
 * (DNS rebinding) is still refused.
 *
 * Tests run a receiver on loopback over plain HTTP: `allowLocalReceivers`
 * (PUSH_ALLOW_LOCAL_RECEIVERS, refused in production) admits exactly that.
 */

export interface EndpointPolicy {
  /** Host names, or "*.domain" for any subdomain of domain. */
  serviceHosts: readonly string[];
  allowLocalReceivers: boolean;
}

export type EndpointRejection = "malformed" | "not-https" | "not-allowed-host" | "private-address" | "unresolvable";

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: EndpointRejection; message: string };

export const MAX_ENDPOINT_CHARS = 2048;

/** RFC 6890 special-purpose ranges and other addresses no push service lives on. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** An IPv4 address written inside an IPv6 one (mapped ::ffff:a.b.c.d, or NAT64 64:ff9b::a.b.c.d). */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== null) return isPublicAddress(v4);
    return !NOT_PUBLIC.check(address, "ipv6");
  }
  return !NOT_PUBLIC.check(address, "ipv4");
}

export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  // isIP accepts only dotted decimal without leading zeros, so 127.0.0.0/8 is exactly this prefix (and no BlockList lookup per push).
  if (family === 4) return address.startsWith("127.");
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    return v4 !== null ? LOOPBACK.check(v4, "ipv4") : LOOPBACK.check(address, "ipv6");
  }
  return false;
}

export function hostAllowed(host: string, serviceHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return serviceHosts.some((pattern) => (pattern.startsWith("*.") ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern));
}

function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

const isLocalName = (host: string) => host === "localhost" || isLoopbackAddress(host);

/** Everything that can be decided without the network: syntax, scheme, host. */
export function checkEndpointShape(endpoint: string, policy: EndpointPolicy): EndpointCheck {
  if (endpoint.length > MAX_ENDPOINT_CHARS) return { ok: false, reason: "malformed", message: `the endpoint is longer than ${MAX_ENDPOINT_CHARS} characters` };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, reason: "malformed", message: "the endpoint is not a URL" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "malformed", message: "the endpoint carries credentials" };
  const host = bareHost(url);
  const local = policy.allowLocalReceivers && isLocalName(host);
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    return { ok: false, reason: "not-https", message: "the endpoint must be an https:// address" };
  }
  if (local) return { ok: true, url };
  if (isIP(host) !== 0) return { ok: false, reason: "not-allowed-host", message: "the endpoint must name a push service, not an IP address" };
  if (!hostAllowed(host, policy.serviceHosts)) {
    return { ok: false, reason: "not-allowed-host", message: `${host} is not a push service this app sends to` };
  }
  return { ok: true, url };
}

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) reject(error);
      else resolve(addresses.map((entry) => entry.address));
    });
  });

/** The shape, then every address the host resolves to must be public (or loopback, for an allowed local receiver). */
export async function checkPushEndpoint(endpoint: string, policy: EndpointPolicy, resolve: Resolver = systemResolver): Promise<EndpointCheck> {
  const shape = checkEndpointShape(endpoint, policy);
  if (!shape.ok) return shape;
  const host = bareHost(shape.url);
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: "unresolvable", message: `${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, reason: "unresolvable", message: `${host} does not resolve` };
  const refused = addresses.find((address) => !addressAllowed(address, policy));
  if (refused !== undefined) return { ok: false, reason: "private-address", message: `${host} resolves to a private or reserved address (${refused})` };
  return shape;
}

export function addressAllowed(address: string, policy: Pick<EndpointPolicy, "allowLocalReceivers">): boolean {
  return isPublicAddress(address) || (policy.allowLocalReceivers && isLoopbackAddress(address));
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the push transport's sockets: resolves as usual, then
 * refuses the connection if an address is not allowed, so the check holds
 * at connect time and not only when the subscription was saved.
 */
export function guardedLookup(policy: Pick<EndpointPolicy, "allowLocalReceivers">) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const refused = addresses.find((entry) => !addressAllowed(entry.address, policy));
      if (refused) {
        const denied: NodeJS.ErrnoException = new Error(`push endpoint ${hostname} resolves to a private or reserved address (${refused.address})`);
        denied.code = "EPUSHADDRESS";
        return callback(denied, []);
      }
      const wantsAll = (options as { all?: boolean }).all === true;
      const first = addresses[0];
      if (wantsAll) return callback(null, addresses);
      if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
  };
}
