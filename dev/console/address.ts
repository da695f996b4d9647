// Where the local stack listens (HOST, PORT), said as it is: the banner prints it, the console's
// guard takes the Host names a request may carry from it (anything else is DNS rebinding), and
// the stack's own URL — what the simulated channels post to — is an address that reaches it.
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';

export const DEFAULT_HOST = '127.0.0.1';

export interface ListenAddress {
  /** HOST as given (default 127.0.0.1). */
  requested: string;
  /** The address actually bound, as the server reports it (e.g. 0.0.0.0, ::1, 192.0.2.2). */
  bound: string;
  port: number;
  /** Only this machine can connect (127.0.0.0/8, ::1). */
  loopback: boolean;
  /** Every interface (0.0.0.0 or ::). */
  wildcard: boolean;
  /** A URL that reaches the stack from this machine (the wildcard is reached through loopback). */
  url: string;
  /** The real listening address, for the banner. */
  display: string;
  /** Host names (lower case, IPv6 without brackets) a request to this stack may name, on `port`. */
  hostNames: ReadonlySet<string>;
}

export function isLoopbackAddress(address: string): boolean {
  const ip = address.toLowerCase();
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export function listenAddress(requested: string, address: AddressInfo): ListenAddress {
  const bound = address.address;
  const wildcard = bound === '0.0.0.0' || bound === '::';
  const loopback = !wildcard && isLoopbackAddress(bound);
  // The wildcard itself is no host to connect to (and browsers are stopping sending requests to 0.0.0.0).
  const hostNames = new Set(wildcard ? [] : [requested.toLowerCase(), bound.toLowerCase()]);
  if (loopback || wildcard) for (const name of LOOPBACK_NAMES) hostNames.add(name);
  // On every interface, the stack is any of this machine's addresses (not any name that resolves to one).
  if (wildcard) for (const entry of Object.values(networkInterfaces()).flat()) if (entry) hostNames.add(entry.address.toLowerCase());
  const reachable = wildcard ? (bound === '::' ? '::1' : '127.0.0.1') : bound;
  const url = `http://${bracketed(reachable)}:${address.port}`;
  const actual = `http://${bracketed(bound)}:${address.port}`;
  const display = wildcard ? `${actual}  (every interface; from this machine ${url})` : actual;
  return { requested, bound, port: address.port, loopback, wildcard, url, display, hostNames };
}

/** The name and port of a Host header (`name`, `name:port`, `[v6]:port`); undefined when malformed. */
export function parseHostHeader(value: string): { name: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return undefined;
  return { name: (match[1] ?? match[2]!).toLowerCase(), port: match[3] === undefined ? 80 : Number(match[3]) };
}

function bracketed(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}
