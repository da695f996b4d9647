// Only the console's own page may drive it. Any web page the developer has open can send requests
// to a port on 127.0.0.1 (a no-cors text/plain fetch, an auto-submitted form), and a page whose
// DNS name is rebound to 127.0.0.1 is even same-origin to the browser. So every console request
// must name this stack in its Host header, and every state-changing one must also come from this
// origin (Origin, Sec-Fetch-Site), be JSON (which a page can only send cross-origin after a CORS
// preflight this server never grants), and carry the per-start token that only the served page holds.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '../../core/http.ts';
import { parseHostHeader, type ListenAddress } from './address.ts';

/** The header the page sends its token in (client/main.ts reads it from <meta name="console-token">). */
export const CONSOLE_TOKEN_HEADER = 'x-console-token';

export interface Refusal {
  status: 403 | 415;
  /** Short and safe to show: it names the check, never the expected value. */
  reason: string;
}

/** Methods that only read: a foreign Host is all they are checked for. */
const READ_ONLY = new Set(['GET', 'HEAD']);
/** What a browser says of a request made by this origin's own page (`none`: the user's own doing). */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

export class ConsoleGuard {
  /** Random per start; the page embeds it, so only a page served by this stack knows it. */
  readonly token = randomBytes(32).toString('base64url');
  private readonly tokenDigest = digest(this.token);
  private address?: ListenAddress;

  /** Until the stack listens, no request can name it: all are refused. */
  listening(address: ListenAddress): void {
    this.address = address;
  }

  /** Why the request must not be served, or undefined when it may be. */
  check(request: HttpRequest): Refusal | undefined {
    const host = request.headers.host ?? '';
    if (!this.isOwnHost(host)) return { status: 403, reason: 'the Host header does not name this console (only its own address is served)' };
    if (READ_ONLY.has(request.method)) return undefined;

    const origin = request.headers.origin;
    // The stack's own origin is the one the (checked) Host names: a browser sends both for the same page.
    if (origin !== undefined && origin !== `http://${host.trim().toLowerCase()}`) return { status: 403, reason: 'cross-origin request: the Origin is not this console' };
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite !== undefined && !OWN_FETCH_SITES.has(fetchSite.toLowerCase())) return { status: 403, reason: `cross-origin request: Sec-Fetch-Site is ${fetchSite}` };
    if (mediaType(request.headers['content-type']) !== 'application/json') return { status: 415, reason: 'the console takes application/json only' };
    const token = request.headers[CONSOLE_TOKEN_HEADER];
    if (!token) return { status: 403, reason: `no ${CONSOLE_TOKEN_HEADER} header (the console page sends it)` };
    // Digests are of equal length whatever was sent, as timingSafeEqual needs.
    if (!timingSafeEqual(digest(token), this.tokenDigest)) return { status: 403, reason: `wrong ${CONSOLE_TOKEN_HEADER} (reload the console page: the token changes on every start)` };
    return undefined;
  }

  private isOwnHost(value: string): boolean {
    const host = parseHostHeader(value);
    return Boolean(this.address && host && host.port === this.address.port && this.address.hostNames.has(host.name));
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
