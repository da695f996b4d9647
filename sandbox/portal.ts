// The payment side that sits outside the chat API: the setup page a traveller opens from
// `artifacts.payment.setupUrl`, and POST /v1/hotel-ea/payment-methods/attach (guide step 3.5).
// Only payment-method tokens are accepted; a raw card number is refused, as PCI rules demand.
import { containsCardNumber } from '../core/pci.ts';
import { FAVICON_LINK } from '../dev/favicon.ts';
import { escapeHtml } from './http.ts';
import type { Booking, PaymentMethod, World } from './world.ts';
import { money } from './assistant.ts';

/** Test cards offered on the portal page (documented in docs/sandbox.md). */
export const TEST_CARDS: readonly PaymentMethod[] = [
  { paymentMethodId: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
  { paymentMethodId: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', expMonth: 11, expYear: 2031 },
  { paymentMethodId: 'pm_card_amex', brand: 'amex', last4: '0005', expMonth: 10, expYear: 2032 },
];

export interface PortalAnswer {
  status: number;
  body: unknown;
}

type TokenProblem = { status: number; code: string; error: string };

function tokenProblem(world: World, token: string | null, now: number): TokenProblem | undefined {
  const entry = token ? world.setupTokens.get(token) : undefined;
  if (!entry) return { status: 404, code: 'invalid_portal_token', error: 'This payment setup link is not valid.' };
  if (entry.usedAt !== undefined) return { status: 410, code: 'portal_token_used', error: 'This payment setup link was already used.' };
  if (entry.expiresAt <= now) return { status: 410, code: 'portal_token_expired', error: 'This payment setup link has expired.' };
  return undefined;
}

export function attachPaymentMethod(world: World, rawBody: string, now: number, requestId: string): PortalAnswer {
  const fail = (status: number, code: string, error: string): PortalAnswer => ({
    status,
    body: { success: false, error, code, details: null, requestId },
  });
  if (containsCardNumber(rawBody)) {
    return fail(400, 'raw_card_data_rejected', 'Raw card numbers are not accepted. Send a payment method token (paymentMethodId).');
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return fail(400, 'invalid_request', 'Invalid JSON payload');
  }
  const { portalToken, paymentMethodId, cardBrand, cardLast4, expMonth, expYear, setAsDefault } = body;
  if (typeof portalToken !== 'string' || portalToken === '') return fail(400, 'invalid_request', 'portalToken is required');
  if (typeof paymentMethodId !== 'string' || !/^pm_[A-Za-z0-9_]{1,64}$/.test(paymentMethodId)) {
    return fail(400, 'invalid_request', 'paymentMethodId must be a payment method token (pm_…)');
  }
  if (typeof cardBrand !== 'string' || cardBrand === '') return fail(400, 'invalid_request', 'cardBrand is required');
  if (typeof cardLast4 !== 'string' || !/^\d{4}$/.test(cardLast4)) return fail(400, 'invalid_request', 'cardLast4 must be 4 digits');
  if (!Number.isInteger(expMonth) || (expMonth as number) < 1 || (expMonth as number) > 12) {
    return fail(400, 'invalid_request', 'expMonth must be 1-12');
  }
  if (!Number.isInteger(expYear) || (expYear as number) < 2000) return fail(400, 'invalid_request', 'expYear must be a 4-digit year');
  const expiry = Date.UTC(expYear as number, expMonth as number); // first instant after the expiry month
  if (expiry <= now) return fail(400, 'card_expired', 'This card has expired.');
  if (setAsDefault !== undefined && typeof setAsDefault !== 'boolean') return fail(400, 'invalid_request', 'setAsDefault must be a boolean');

  const problem = tokenProblem(world, portalToken, now);
  if (problem) return fail(problem.status, problem.code, problem.error);
  const entry = world.setupTokens.get(portalToken)!;
  entry.usedAt = now;

  const card: PaymentMethod = {
    paymentMethodId,
    brand: cardBrand.toLowerCase(),
    last4: cardLast4,
    expMonth: expMonth as number,
    expYear: expYear as number,
  };
  const profile = world.profile(entry.partnerId, entry.actorId);
  profile.cards = [...profile.cards.filter((c) => c.paymentMethodId !== paymentMethodId), card];
  if (setAsDefault !== false || profile.defaultCardId === undefined) profile.defaultCardId = paymentMethodId;
  return {
    status: 200,
    body: { data: { status: 'ATTACHED', paymentMethod: { ...card } }, message: 'success' },
  };
}

const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}' +
  'button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;border-radius:.5rem;border:1px solid #888;background:#fff;cursor:pointer}' +
  '.note{color:#555;font-size:.9rem}.ok{color:#0a7d32}.bad{color:#b00020}';

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>${FAVICON_LINK}<style>${PAGE_STYLE}</style></head><body>${body}</body></html>`;
}

/** GET /portal/payment?token=… */
export function paymentPage(world: World, token: string | null, now: number): { status: number; html: string } {
  const problem = tokenProblem(world, token, now);
  if (problem) {
    return {
      status: problem.status,
      html: page('Payment setup', `<h1>Payment setup</h1><p class="bad">${escapeHtml(problem.error)}</p><p>Go back to the chat and ask the assistant for a new link.</p>`),
    };
  }
  const buttons = TEST_CARDS.map(
    (c) =>
      `<button data-card="${escapeHtml(JSON.stringify(c))}">${escapeHtml(c.brand.toUpperCase())} •••• ${c.last4} (exp ${c.expMonth}/${c.expYear})</button>`,
  ).join('');
  // The page posts a payment-method token, never a card number, exactly like a real provider's
  // element would after tokenising the card.
  const script = `
const token = ${JSON.stringify(token)};
for (const button of document.querySelectorAll('button[data-card]')) {
  button.addEventListener('click', async () => {
    const card = JSON.parse(button.dataset.card);
    const out = document.getElementById('result');
    const res = await fetch('/v1/hotel-ea/payment-methods/attach', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ portalToken: token, paymentMethodId: card.paymentMethodId, cardBrand: card.brand,
        cardLast4: card.last4, expMonth: card.expMonth, expYear: card.expYear, setAsDefault: true }) });
    const body = await res.json();
    out.className = res.ok ? 'ok' : 'bad';
    out.textContent = res.ok ? 'Card added. Go back to the chat and reply "Done".' : body.error;
    if (res.ok) for (const b of document.querySelectorAll('button')) b.disabled = true;
  });
}`;
  return {
    status: 200,
    html: page(
      'Payment setup',
      `<h1>Add a card</h1><p class="note">Brek sandbox: pick a test card. No real card data is used or accepted.</p>${buttons}<p id="result" role="status"></p><script>${script}</script>`,
    ),
  };
}

/** GET /my-bookings/{confirmationBookingId}: where `confirmationUrl` leads. */
export function bookingPage(booking: Booking | undefined): { status: number; html: string } {
  if (!booking) return { status: 404, html: page('Booking', '<h1>Booking not found</h1>') };
  const o = booking.option;
  const rows: [string, string][] = [
    ['Hotel', o.hotel.name],
    ['City', o.city.name],
    ['Check-in', o.checkIn],
    ['Check-out', o.checkOut],
    ['Rooms', String(o.rooms)],
    ['Guest', `${booking.guestName.firstName} ${booking.guestName.lastName}`],
    ['Total', money(o.totalPrice, o.currency)],
    ['Booking id', booking.bookingId],
    ['Cancellation', booking.cancelPolicy],
    ['Status', booking.state],
  ];
  const table = rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  return { status: 200, html: page(`Booking ${booking.bookingId}`, `<h1>Your booking</h1><table>${table}</table>`) };
}
