// What a tester does on the sandbox's payment page: pick the test Visa for a setup link. Sends
// the page's own request (a payment-method token, never a card number).
export const TEST_VISA = { paymentMethodId: 'pm_card_visa', cardBrand: 'visa', cardLast4: '4242', expMonth: 12, expYear: 2030 } as const;

export async function attachTestCard(setupUrl: string): Promise<Response> {
  const link = new URL(setupUrl);
  return fetch(`${link.origin}/v1/hotel-ea/payment-methods/attach`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ portalToken: link.searchParams.get('token'), ...TEST_VISA, setAsDefault: true }),
  });
}
