// The verifiers' table rows: each changes one thing in a genuine delivery and names the verdict
// expected — accepted, or refused for a reason matching the pattern.
import { expect } from 'vitest';
import type { Verdict } from '../../core/ingress.ts';

export type Expected = 'accepted' | RegExp;
export type VerdictRow<Delivery> = [name: string, mutate: (delivery: Delivery) => Delivery, expected: Expected];

export function checkVerdict(verdict: Verdict, expected: Expected): void {
  if (expected === 'accepted') return void expect(verdict).toEqual({ ok: true });
  expect(verdict.ok).toBe(false);
  expect(verdict.ok ? '' : verdict.reason).toMatch(expected);
}
