// Dates and times as the traveller reads them: Brek writes instants as ISO 8601 in UTC
// ("Refundable until 2026-05-15T01:00:00Z"); the bridge shows them in the traveller's own time zone
// and words ("Thu 14 May, 6:00 PM PDT"). The zone comes from each channel (Slack's users.info tz,
// Teams' localTimezone, a WhatsApp number's country); without one it is UTC, and says so.
import type { Reply } from './reply.ts';

/** An ISO 8601 instant: a date, a time and a zone (Z or an offset). A bare date is left alone. */
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})(?![\w:])/g;

/** One formatter per zone: building an Intl.DateTimeFormat costs about a millisecond. */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat | undefined {
  let format = formats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        hour: 'numeric',
        minute: '2-digit',
        hour12: true,
        timeZoneName: 'short',
      });
    } catch {
      return undefined; // not a zone this runtime knows
    }
    formats.set(timeZone, format);
  }
  return format;
}

/** "Thu 14 May, 6:00 PM PDT" for an instant in `timeZone`; undefined for a zone or instant that is not one. */
export function formatInstant(iso: string, timeZone: string): string | undefined {
  const at = Date.parse(iso);
  const format = formatFor(timeZone);
  if (!Number.isFinite(at) || !format) return undefined;
  const part = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return `${part.weekday} ${part.day} ${part.month}, ${part.hour}:${part.minute} ${part.dayPeriod} ${part.timeZoneName}`;
}

/** Every ISO instant in `text` written in the traveller's zone (an unknown zone falls back to UTC). */
export function localizeInstants(text: string, timeZone: string): string {
  const zone = formatFor(timeZone) ? timeZone : 'UTC';
  return text.replace(ISO_INSTANT, (iso) => formatInstant(iso, zone) ?? iso);
}

/** Links and ids are never rewritten: only what the traveller reads. */
const LEFT_AS_IS = /url$|id$/i;

function localizeFields<T extends object>(fields: T, timeZone: string): T {
  const out = { ...fields } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) if (typeof value === 'string' && !LEFT_AS_IS.test(key)) out[key] = localizeInstants(value, timeZone);
  return out as T;
}

/** The reply with every instant it shows (its text, the options, the booking) in the traveller's zone. */
export function localizeReply(reply: Reply, timeZone: string): Reply {
  return {
    ...reply,
    text: localizeInstants(reply.text, timeZone),
    options: reply.options.map((option) => localizeFields(option, timeZone)),
    ...(reply.booking ? { booking: localizeFields(reply.booking, timeZone) } : {}),
  };
}
