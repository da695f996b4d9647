// The deployed SecretBox: envelope encryption with AWS KMS. Each seal asks KMS for a fresh data key
// (GenerateDataKey), seals locally with it (AES-256-GCM, core/crypto.ts) and keeps only the
// data key's KMS ciphertext next to the value; opening asks KMS to decrypt that data key. The
// encryption context binds each data key to the value it seals, and CloudTrail records its use.
// Decrypted data keys are kept a few minutes, so a worker opening the same installation on every
// turn does not call KMS each time.
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { aesGcmOpen, aesGcmSeal, localSecretBox, SealError, type SecretBox } from './crypto.ts';

const PURPOSE = 'brek-bridge';
const KEY_CACHE_MS = 5 * 60_000;
const KEY_CACHE_SIZE = 500;

export function kmsSecretBox(options: { keyId: string; client: KMSClient; now?: () => number }): SecretBox {
  const now = options.now ?? Date.now;
  const keys = new Map<string, { key: Buffer; until: number }>();
  const encryptionContext = (context: string) => ({ purpose: PURPOSE, context });

  async function dataKey(blob: string, context: string): Promise<Buffer> {
    const cacheKey = `${context}\n${blob}`;
    const cached = keys.get(cacheKey);
    if (cached && cached.until > now()) return cached.key;
    const out = await options.client
      .send(new DecryptCommand({ KeyId: options.keyId, CiphertextBlob: Buffer.from(blob, 'base64url'), EncryptionContext: encryptionContext(context) }))
      .catch((error: unknown) => {
        throw new SealError(`KMS could not open the data key (${(error as { name?: string }).name ?? 'error'})`);
      });
    if (!out.Plaintext) throw new SealError('KMS returned no data key');
    const key = Buffer.from(out.Plaintext);
    if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
    keys.set(cacheKey, { key, until: now() + KEY_CACHE_MS });
    return key;
  }

  return {
    async seal(plaintext, context) {
      const out = await options.client
        .send(new GenerateDataKeyCommand({ KeyId: options.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(context) }))
        .catch((error: unknown) => {
          throw new SealError(`KMS could not make a data key (${(error as { name?: string }).name ?? 'error'})`);
        });
      if (!out.Plaintext || !out.CiphertextBlob) throw new SealError('KMS returned no data key');
      const key = Buffer.from(out.Plaintext);
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
 * credentials and AWS_ENDPOINT_URL_KMS), else INSTALLATION_KEY (64 hex), else none.
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
