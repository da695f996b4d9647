// A minimal HTTP request/response model shared by the Lambda functions (API Gateway v2 / Function
// URL events) and the local stack (node:http), so both run the very same handlers.

export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The raw bytes as received: signatures are computed over them. */
  body: Buffer;
  /** The query string as received, without "?" (Twilio signs it as part of the URL). */
  rawQuery?: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Larger bodies are refused before anything reads them. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The fields of an API Gateway v2 / Lambda Function URL event that the bridge reads. */
export interface LambdaHttpEvent {
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  /** Payload 2.0 (function URLs, HTTP APIs) moves the Cookie header here. */
  cookies?: string[];
  requestContext?: { http?: { method?: string; path?: string } };
}

export interface LambdaHttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  /** Payload 2.0 sets cookies from this list, not from a Set-Cookie header. */
  cookies?: string[];
  body?: string;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

export function lowerCaseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Decodes a Lambda event; base64 bodies become their exact bytes (read later as UTF-8, not ASCII). */
export function fromLambdaEvent(event: LambdaHttpEvent): HttpRequest {
  const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers: { ...lowerCaseHeaders(event.headers ?? {}), ...(event.cookies?.length ? { cookie: event.cookies.join('; ') } : {}) },
    body,
    ...(event.rawQueryString ? { rawQuery: event.rawQueryString } : {}),
  };
}

export function toLambdaResult(response: HttpResponse): LambdaHttpResult {
  const { 'set-cookie': cookie, ...headers } = response.headers ?? {};
  return {
    statusCode: response.status,
    ...(response.headers ? { headers } : {}),
    ...(cookie ? { cookies: [cookie] } : {}),
    ...(response.body !== undefined ? { body: response.body } : {}),
  };
}

/** The media type without parameters: "application/json; charset=utf-8" → "application/json". */
export function mediaType(request: HttpRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
