// Tiny readers for untrusted JSON, shared by the channel normalisers and Brek's result parser.

/**
 * A plain object (not null, not an array). `V` is what the caller takes its values to be: unknown
 * by default; Brek's parser says Json, since the body came from JSON.parse.
 */
export function isObj<V = unknown>(value: unknown): value is Record<string, V> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, else undefined: an empty id is as good as none. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
