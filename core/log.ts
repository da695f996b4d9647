// The one logger: JSON lines with bound context (channel message id, actor id, Brek request id,
// traceId), and a scrubber that every line passes through, so no secret or personal value can
// reach the logs even when a caller passes it by mistake.
import { knownChannels } from './channel.ts';
import { redactCardNumbers } from './pci.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never logged, whatever they hold. */
const SECRET_FIELD = /(token|secret|password|passwd|authorization|api[-_]?key|signature|cookie|credential|private)/i;
/** Values that look like credentials wherever they appear; each channel adds its own (its profile's secretPatterns). */
const SECRET_VALUE: RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, // JWTs
];
/** E.164 phone numbers, and any `scheme:` prefix a channel puts before one (Twilio's `whatsapp:`). */
const PHONE = /(?:\b[a-z]+:)?\+\d[\d ]{6,17}\d/g;

export function scrubText(text: string): string {
  let out = redactCardNumbers(text).text;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, '[redacted]');
  for (const profile of knownChannels()) for (const pattern of profile.secretPatterns ?? []) out = out.replace(pattern, '[redacted]');
  return out.replace(PHONE, '[phone]');
}

export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) {
    return { name: value.name, message: scrubText(value.message), ...(value.stack ? { stack: scrubText(value.stack) } : {}) };
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 6) return '[deep]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Fields = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_FIELD.test(key) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

export type Sink = (line: string) => void;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** A logger whose every line also carries `bindings` (e.g. the turn's ids). */
  child(bindings: Fields): Logger;
}

export interface LoggerOptions {
  level?: Level;
  sink?: Sink;
  bindings?: Fields;
}

const stdoutSink: Sink = (line) => process.stdout.write(`${line}\n`);

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? levelFromEnv()];
  const sink = options.sink ?? stdoutSink;
  const bindings = options.bindings ?? {};
  const write = (level: Level, message: string, fields: Fields = {}) => {
    if (LEVELS[level] < threshold) return;
    const line = scrub({ time: new Date().toISOString(), level, msg: message, ...bindings, ...fields });
    sink(JSON.stringify(line));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (more) => createLogger({ level: options.level ?? levelFromEnv(), sink, bindings: { ...bindings, ...more } }),
  };
}

function levelFromEnv(): Level {
  const level = process.env.LOG_LEVEL?.toLowerCase();
  return level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : 'info';
}

/** Collects lines in memory: for tests and the local console. */
export function memorySink(): { sink: Sink; lines: string[]; records(): Fields[] } {
  const lines: string[] = [];
  return { sink: (line) => void lines.push(line), lines, records: () => lines.map((l) => JSON.parse(l) as Fields) };
}
