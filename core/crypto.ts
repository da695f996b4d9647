// Sealing secrets the bridge must keep at rest (a Slack workspace's bot token): AES-256-GCM from
// node:crypto — authenticated, so a tampered or swapped value fails to open. The `context` is
// bound as additional data: a value sealed for one workspace cannot be opened as another's.
// Locally the key comes from configuration; deployed, a KMS data key (core/crypto-kms.ts).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

export class SealError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const b64 = (buffer: Buffer) => buffer.toString('base64url');

/** AES-256-GCM under one 32-byte key; output `v1.local.<iv>.<tag>.<ciphertext>`. */
export function aesGcmSeal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
}

export function aesGcmOpen(key: Buffer, sealed: string, context: string): string {
  const parts = sealed.split('.');
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url'));
  // The full 16-byte tag only: Node would otherwise accept a tag cut to 4 bytes, far easier to forge.
  if (parts.length !== 3 || !iv || !tag || !ciphertext || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealError('not a sealed value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('the sealed value does not open with this key and context (wrong key, or tampered)');
  }
}

/** A box keyed by configuration: 64 hex characters (32 bytes). */
export function localSecretBox(keyHex: string): SecretBox {
  if (!/^[0-9a-f]{64}$/i.test(keyHex)) throw new SealError('the installation key must be 64 hex characters (32 bytes)');
  const key = Buffer.from(keyHex, 'hex');
  return {
    seal: async (plaintext, context) => `v1.local.${aesGcmSeal(key, plaintext, context)}`,
    open: async (sealed, context) => {
      if (!sealed.startsWith('v1.local.')) throw new SealError('sealed with another kind of key (expected a local key)');
      return aesGcmOpen(key, sealed.slice('v1.local.'.length), context);
    },
  };
}
