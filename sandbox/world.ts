// Everything the sandbox remembers, in memory: sessions, travellers' saved cards, payment setup
// links and bookings. One instance per running sandbox.
import type { City } from './gazetteer.ts';
import type { Hotel } from './inventory.ts';
import type { SearchQuery } from './understand.ts';

/** An HTTP answer kept for an idempotency key. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export interface OfferedOption {
  optionId: string;
  hotel: Hotel;
  city: City;
  checkIn: string;
  checkOut: string;
  nights: number;
  rooms: number;
  pricePerNight: number;
  totalPrice: number;
  currency: string;
}

export type PendingStage = 'guest_name' | 'payment_setup' | 'payment_confirmation';

export interface PendingBooking {
  option: OfferedOption;
  stage: PendingStage;
  guestName?: { firstName: string; lastName: string };
  /** The card the traveller is being asked to consent to. */
  paymentMethodId?: string;
}

export interface SessionEvent {
  eventId: string;
  kind: string;
  resultStatus: string;
  recordedAt: string;
}

export interface Session {
  sessionId: string;
  partnerId: string;
  tenantId: string;
  actor: { actorId: string; timezoneOffsetMinutes: number | null };
  workspaceId: string | null;
  conversation: { id: string; channelId: string; threadTs: string };
  createdAt: string;
  updatedAt: string;
  events: SessionEvent[];
  /** idempotencyKey → the response first given for it. */
  idempotent: Map<string, StoredAnswer>;
  /** Search slots gathered over turns ("vegas" then "5/15 to 5/16"). */
  query: SearchQuery;
  shortlist: OfferedOption[];
  /** Every option this session was shown, so a Book button on an older message still works. */
  offered: Map<string, OfferedOption>;
  pending?: PendingBooking;
}

export interface PaymentMethod {
  paymentMethodId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** A traveller as the partner identifies them: saved cards outlive sessions (scenario B). */
export interface Profile {
  cards: PaymentMethod[];
  defaultCardId?: string;
}

export interface SetupToken {
  token: string;
  partnerId: string;
  actorId: string;
  sessionId: string;
  expiresAt: number;
  usedAt?: number;
}

export interface Booking {
  bookingId: string;
  confirmationBookingId: string;
  partnerId: string;
  actorId: string;
  sessionId: string;
  option: OfferedOption;
  guestName: { firstName: string; lastName: string };
  paymentMethodId: string;
  refundable: boolean;
  cancelPolicy: string;
  state: 'confirmed' | 'cancelled';
  bookedAt: string;
}

export class World {
  readonly sessions = new Map<string, Session>();
  readonly profiles = new Map<string, Profile>();
  readonly setupTokens = new Map<string, SetupToken>();
  readonly bookings = new Map<string, Booking>();

  profile(partnerId: string, actorId: string): Profile {
    const key = `${partnerId}\u0000${actorId}`;
    let profile = this.profiles.get(key);
    if (!profile) {
      profile = { cards: [] };
      this.profiles.set(key, profile);
    }
    return profile;
  }

  defaultCard(partnerId: string, actorId: string): PaymentMethod | undefined {
    const profile = this.profile(partnerId, actorId);
    return profile.cards.find((c) => c.paymentMethodId === profile.defaultCardId) ?? profile.cards[0];
  }

  bookingByConfirmationId(id: string): Booking | undefined {
    for (const booking of this.bookings.values()) if (booking.confirmationBookingId === id) return booking;
    return undefined;
  }
}
