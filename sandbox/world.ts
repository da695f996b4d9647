// Everything the sandbox remembers: sessions, travellers' saved cards, payment setup links and
// bookings. One instance per running sandbox, in memory; with a data directory it is also kept
// on disk between restarts (state.ts) as the plain-JSON snapshot below.
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

type PendingStage = 'guest_name' | 'payment_setup' | 'payment_confirmation';

interface PendingBooking {
  option: OfferedOption;
  stage: PendingStage;
  guestName?: { firstName: string; lastName: string };
  /** The card the traveller is being asked to consent to. */
  paymentMethodId?: string;
}

interface SessionEvent {
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

/** A session as JSON: its maps as entry lists. */
type SessionSnapshot = Omit<Session, 'idempotent' | 'offered'> & { idempotent: [string, StoredAnswer][]; offered: [string, OfferedOption][] };

export interface WorldSnapshot {
  sessions: SessionSnapshot[];
  profiles: [string, Profile][];
  setupTokens: SetupToken[];
  bookings: Booking[];
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

  snapshot(): WorldSnapshot {
    return {
      sessions: [...this.sessions.values()].map((session) => ({ ...session, idempotent: [...session.idempotent], offered: [...session.offered] })),
      profiles: [...this.profiles],
      setupTokens: [...this.setupTokens.values()],
      bookings: [...this.bookings.values()],
    };
  }

  /** Takes back what snapshot() gave (the world must be empty: a sandbox restores before it serves). */
  restore(snapshot: WorldSnapshot): void {
    for (const session of snapshot.sessions) this.sessions.set(session.sessionId, { ...session, idempotent: new Map(session.idempotent), offered: new Map(session.offered) });
    for (const [key, profile] of snapshot.profiles) this.profiles.set(key, profile);
    for (const token of snapshot.setupTokens) this.setupTokens.set(token.token, token);
    for (const booking of snapshot.bookings) this.bookings.set(booking.bookingId, booking);
  }
}
