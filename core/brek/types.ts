// Names for the contract's shapes, taken from the generated OpenAPI types so they cannot drift.
import type { components } from './openapi.gen.ts';

type Schemas = components['schemas'];

export type CreateSessionRequest = Schemas['CreateSessionRequest'];
export type SessionData = Schemas['SessionData'];
export type SendEventRequest = Schemas['SendEventRequest'];
export type GetSessionData = Schemas['GetSessionResponse']['data'];

/** Event kinds that change state on Brek's side; the API rejects them without an idempotencyKey. */
const WRITE_KINDS = [
  'command_book_by_option_id',
  'action_book_option',
  'action_confirm_price_change',
  'action_confirm_payment_card',
  'action_cancel_booking',
] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

export function isWriteKind(kind: string): kind is WriteKind {
  return (WRITE_KINDS as readonly string[]).includes(kind);
}

/** Statuses the guides document; Brek may add others, which callers must treat as plain text. */
export const KNOWN_STATUSES = [
  'shortlist',
  'guest_name_required',
  'payment_setup_required',
  'payment_confirmation_required',
  'booked',
  'error',
] as const;
