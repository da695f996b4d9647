// The deployed SecretBox: envelope encryption with AWS KMS. Each seal asks KMS for a fresh data key
// (GenerateDataKey), seals locally with it (AES-256-GCM, core/crypto.ts) and keeps only the
// data key's KMS ciphertext next to the value; opening asks KMS to decrypt that data key. The
// encryption context binds each data key to the value it seals, and CloudTrail records its use.
// Decrypted data keys are kept a few minutes, so a worker opening the same installation on every
// turn does not call KMS each time (and a burst of turns for one workspace makes one call).
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { aesGcmOpen, aesGcmSeal, localSecretBox, SealError, type SecretBox } from './crypto.ts';

const PURPOSE = 'brek-bridge';
const KEY_BYTES = 32;
const KEY_CACHE_MS = 5 * 60_000;
const KEY_CACHE_SIZE = 500;

/** A KMS call that failed: the SDK's exception name only (never a key or a value); the error as `cause`. */
function kmsFailure(what: string) {
  return (error: unknown): never => {
    throw new SealError(`KMS could not ${what} (${(error as { name?: string }).name ?? 'error'})`, { cause: error });
  };
}

/** A copy of the key KMS returned, the SDK's own buffer zeroed. */
function takeKey(plaintext: Uint8Array | undefined): Buffer {
  if (!plaintext || plaintext.length !== KEY_BYTES) throw new SealError('KMS returned no 256-bit data key');
  const key = Buffer.from(plaintext);
  plaintext.fill(0);
  return key;
}

export function kmsSecretBox(options: { keyId: string; client: KMSClient; now?: () => number }): SecretBox {
  const now = options.now ?? Date.now;
  /** Decrypted data keys by context and encrypted blob, least recently used first. */
  const keys = new Map<string, { key: Buffer; until: number }>();
  /** Decrypts under way, so concurrent opens of one value share one KMS call. */
  const pending = new Map<string, Promise<Buffer>>();
  const encryptionContext = (context: string) => ({ purpose: PURPOSE, context });

  async function decryptDataKey(blob: string, context: string): Promise<Buffer> {
    const out = await options.client
      .send(new DecryptCommand({ KeyId: options.keyId, CiphertextBlob: Buffer.from(blob, 'base64url'), EncryptionContext: encryptionContext(context) }))
      .catch(kmsFailure('open the data key'));
    return takeKey(out.Plaintext);
  }

  async function dataKey(blob: string, context: string): Promise<Buffer> {
    const cacheKey = `${context}\n${blob}`;
    const cached = keys.get(cacheKey);
    if (cached) {
      keys.delete(cacheKey);
      if (cached.until > now()) {
        keys.set(cacheKey, cached);
        return cached.key;
      }
    }
    let inflight = pending.get(cacheKey);
    if (!inflight) {
      inflight = decryptDataKey(blob, context)
        .then((key) => {
          // Evicted keys are dropped, not zeroed: an open that was handed one may not have used it yet.
          while (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
          keys.set(cacheKey, { key, until: now() + KEY_CACHE_MS });
          return key;
        })
        .finally(() => pending.delete(cacheKey));
      pending.set(cacheKey, inflight);
    }
    return inflight;
  }

  return {
    async seal(plaintext, context) {
      const out = await options.client
        .send(new GenerateDataKeyCommand({ KeyId: options.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(context) }))
        .catch(kmsFailure('make a data key'));
      if (!out.CiphertextBlob?.length) throw new SealError('KMS returned no encrypted data key');
      const key = takeKey(out.Plaintext);
      try {
        return `v1.kms.${Buffer.from(out.CiphertextBlob).toString('base64url')}.${aesGcmSeal(key, plaintext, context)}`;
      } finally {
        key.fill(0);
      }
    },
    async open(sealed, context) {
      if (sealed.startsWith('v1.local.')) throw new SealError('sealed with a local key; this stage uses KMS');
      const match = /^v1\.kms\.([A-Za-z0-9_-]+)\.(.+)$/.exec(sealed);
      if (!match) throw new SealError('not a KMS-sealed value');
      return aesGcmOpen(await dataKey(match[1]!, context), match[2]!, context);
    },
  };
}

/**
 * The box configuration asks for: INSTALLATION_KMS_KEY_ID (deployed; the SDK's usual region,
 * credentials and endpoint), else INSTALLATION_KEY (64 hex), else none. AWS_REGION and
 * AWS_ENDPOINT_URL_KMS are read from `env` here, since it need not be process.env; the SDK would
 * also read both from process.env itself (and AWS_ENDPOINT_URL, for every service, if set).
 */
export function secretBoxFromEnv(env: Record<string, string | undefined>): SecretBox | undefined {
  const keyId = env.INSTALLATION_KMS_KEY_ID?.trim();
  if (keyId) {
    const endpoint = env.AWS_ENDPOINT_URL_KMS?.trim();
    const region = env.AWS_REGION?.trim();
    return kmsSecretBox({ keyId, client: new KMSClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) }) });
  }
  const local = env.INSTALLATION_KEY?.trim();
  return local ? localSecretBox(local) : undefined;
}
