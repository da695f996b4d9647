// A shortlist option as Brek sends it (the contract's ShortlistOption), numbered, for renderer tests.
type Obj = Record<string, unknown>;

export const brekOption = (i: number, over: Obj = {}): Obj => ({
  optionId: `o-${i}`,
  name: `Hotel ${i}`,
  pricePerNight: 100 + i,
  totalPrice: 300 + i,
  currency: 'USD',
  refundable: i % 2 === 0,
  rating: 4.5,
  distanceTo: '0.4 miles from the centre',
  detailsUrl: `https://b.test/book/hotel/${i}`,
  ...over,
});
