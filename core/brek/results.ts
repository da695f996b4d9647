// Defensive readers for Brek's success bodies. The guides tell partners to treat every artifact
// field as optional: a field of the wrong type is dropped (never trusted, never a crash), unknown
// fields are kept so newer Brek payloads survive a round trip through our store.
import { isObj } from '../util.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A shortlist entry's documented fields, every one optional. */
export interface ShortlistFields {
  optionId?: string;
  name?: string;
  pricePerNight?: number;
  totalPrice?: number;
  currency?: string;
  refundable?: boolean;
  rating?: number;
  distanceTo?: string;
  detailsUrl?: string;
}

export interface ShortlistOption extends ShortlistFields {
  [extra: string]: Json | undefined;
}

export interface PaymentArtifact {
  setupUrl?: string;
  paymentMethodId?: string;
  cardBrand?: string;
  cardLast4?: string;
  expMonth?: number;
  expYear?: number;
  [extra: string]: Json | undefined;
}

/** A booking's documented fields, every one optional. */
export interface BookingFields {
  bookingId?: string;
  confirmationBookingId?: string;
  hotelName?: string;
  totalPrice?: number;
  currency?: string;
  confirmationUrl?: string;
  cancelPolicy?: string;
}

export interface BookingArtifact extends BookingFields {
  [extra: string]: Json | undefined;
}

export interface Artifacts {
  shortlist?: ShortlistOption[];
  payment?: PaymentArtifact;
  booking?: BookingArtifact;
  [extra: string]: unknown;
}

export interface EventResult {
  status: string;
  messageText: string;
  traceId?: string;
  artifacts: Artifacts;
}

export interface EventData {
  sessionId: string;
  event: { id: string; kind: string };
  result: EventResult;
}

type FieldType = 'string' | 'number' | 'boolean';

const OPTION_FIELDS: Record<string, FieldType> = {
  optionId: 'string',
  name: 'string',
  pricePerNight: 'number',
  totalPrice: 'number',
  currency: 'string',
  refundable: 'boolean',
  rating: 'number',
  distanceTo: 'string',
  detailsUrl: 'string',
};
const PAYMENT_FIELDS: Record<string, FieldType> = {
  setupUrl: 'string',
  paymentMethodId: 'string',
  cardBrand: 'string',
  cardLast4: 'string',
  expMonth: 'number',
  expYear: 'number',
};
const BOOKING_FIELDS: Record<string, FieldType> = {
  bookingId: 'string',
  confirmationBookingId: 'string',
  hotelName: 'string',
  totalPrice: 'number',
  currency: 'string',
  confirmationUrl: 'string',
  cancelPolicy: 'string',
};

/** A JSON object: what a parsed body's object values are. */
export const isObject = (value: unknown): value is JsonObject => isObj<Json>(value);

function isFieldOfType(value: unknown, type: FieldType): boolean {
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === type;
}

/** Copies an object, dropping known fields whose type is wrong. */
function pickTyped(source: JsonObject, fields: Record<string, FieldType>): JsonObject {
  const out: JsonObject = { ...source };
  for (const [field, type] of Object.entries(fields)) {
    if (field in out && !isFieldOfType(out[field], type)) delete out[field];
  }
  return out;
}

export function parseArtifacts(raw: unknown): Artifacts {
  if (!isObject(raw)) return {};
  const artifacts: Artifacts = { ...raw };
  delete artifacts.shortlist;
  delete artifacts.payment;
  delete artifacts.booking;
  if (Array.isArray(raw.shortlist)) {
    artifacts.shortlist = raw.shortlist.filter(isObject).map((o) => pickTyped(o, OPTION_FIELDS) as ShortlistOption);
  }
  if (isObject(raw.payment)) artifacts.payment = pickTyped(raw.payment, PAYMENT_FIELDS) as PaymentArtifact;
  if (isObject(raw.booking)) artifacts.booking = pickTyped(raw.booking, BOOKING_FIELDS) as BookingArtifact;
  return artifacts;
}

/**
 * Reads `data` of a POST /events success. Only `result.status` is essential (integrations branch
 * on it); without it the body is unusable and undefined is returned so the caller raises
 * malformed_response. A missing message becomes empty text.
 */
export function parseEventData(data: unknown): EventData | undefined {
  if (!isObject(data) || !isObject(data.result)) return undefined;
  const result = data.result;
  const status = result.status;
  if (typeof status !== 'string') return undefined;
  const message = isObject(result.message) && typeof result.message.text === 'string' ? result.message.text : '';
  const event = isObject(data.event) ? data.event : {};
  return {
    sessionId: typeof data.sessionId === 'string' ? data.sessionId : '',
    event: {
      id: typeof event.id === 'string' ? event.id : '',
      kind: typeof event.kind === 'string' ? event.kind : '',
    },
    result: {
      status,
      messageText: message,
      ...(typeof result.traceId === 'string' ? { traceId: result.traceId } : {}),
      artifacts: parseArtifacts(result.artifacts),
    },
  };
}
