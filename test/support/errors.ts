import { BrekError } from '../../core/brek/errors.ts';

/** The BrekError a call fails with; fails the test if it succeeds or throws anything else. */
export async function caught(promise: Promise<unknown>): Promise<BrekError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BrekError) return error;
    throw error;
  }
  throw new Error('expected a BrekError');
}
