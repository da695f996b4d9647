// Sealing installations at rest: the local AES-256-GCM box and the KMS envelope box, the latter
// against a fake KMS (dev/fakes/kms.ts) that the real @aws-sdk/client-kms talks to over HTTP.
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { aesGcmOpen, aesGcmSeal, localSecretBox, SealError } from '../../core/crypto.ts';
import { kmsSecretBox, secretBoxFromEnv } from '../../core/crypto-kms.ts';
import { startFakeKms, type FakeKms } from '../../dev/fakes/kms.ts';

const KEY = '0123456789abcdef'.repeat(4);
const SECRET = '{"bot":{"token":"xoxb-1-2-abcdef"}}';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** `value` with one bit flipped in the byte at `index` of its dot-separated part `part` (base64url). */
function flip(value: string, part: number, index = 0): string {
  const parts = value.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[index] = bytes[index]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

/** Every encoding of `bytes` a careless seal could have left in a value. */
const encodings = (bytes: Buffer) => [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];

describe('local box', () => {
  const box = localSecretBox(KEY);

  it('opens what it sealed, for the same context only', async () => {
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    expect(sealed).toMatch(/^v1\.local\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('xoxb');
    expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    await expect(box.open(sealed, 'SLACK#T#T2')).rejects.toThrow(SealError);
    expect(await box.open(await box.seal('', 'c'), 'c')).toBe('');
  });

  it('refuses a value with any byte flipped: iv, tag or ciphertext', async () => {
    const sealed = await box.seal(SECRET, 'ctx');
    // Parts 0 and 1 are "v1" and "local"; 2, 3 and 4 the iv, the tag and the ciphertext.
    for (const part of [2, 3, 4]) {
      for (const index of [0, 5, 11]) await expect(box.open(flip(sealed, part, index), 'ctx')).rejects.toThrow(SealError);
    }
  });

  it('refuses a shortened tag and a value with parts added', async () => {
    const key = Buffer.from(KEY, 'hex');
    const [iv, tag, ciphertext] = aesGcmSeal(key, SECRET, 'ctx').split('.');
    const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => aesGcmOpen(key, [iv, short, ciphertext].join('.'), 'ctx')).toThrow(SealError);
    expect(() => aesGcmOpen(key, [iv, tag, ciphertext, 'more'].join('.'), 'ctx')).toThrow(SealError);
    expect(aesGcmOpen(key, [iv, tag, ciphertext].join('.'), 'ctx')).toBe(SECRET);
  });

  it('refuses another key, and a malformed key', async () => {
    const sealed = await box.seal(SECRET, 'ctx');
    await expect(localSecretBox('f'.repeat(64)).open(sealed, 'ctx')).rejects.toThrow(/wrong key, or tampered/);
    for (const bad of ['not-hex', 'f'.repeat(63), 'f'.repeat(65), 'g'.repeat(64), '']) expect(() => localSecretBox(bad)).toThrow(/64 hex/);
  });
});

describe('KMS envelope box', () => {
  let kms: FakeKms;
  let client: KMSClient;
  const count = (operation: string) => kms.calls[operation] ?? 0;
  beforeAll(async () => {
    kms = await startFakeKms({ keys: 2 });
    client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  });
  afterAll(async () => {
    client?.destroy();
    await kms?.close();
  });

  it('seals with a fresh data key per value and opens it through KMS Decrypt', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const made = count('GenerateDataKey');
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    const again = await box.seal(SECRET, 'SLACK#T#T1');
    expect(count('GenerateDataKey') - made).toBe(2);
    expect(sealed).toMatch(/^v1\.kms\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed.split('.')[2]).not.toBe(again.split('.')[2]);
    expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    // Another box (a cold start) opens it too: all it needs is in the value and KMS.
    expect(await kmsSecretBox({ keyId: kms.keyId, client }).open(again, 'SLACK#T#T1')).toBe(SECRET);
  });

  it('leaves neither the plaintext nor the data key in the sealed value', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    const dataKey = Buffer.from(kms.issued.at(-1)!, 'base64');
    expect(dataKey).toHaveLength(32);
    const decodedParts = sealed.split('.').slice(2).map((part) => Buffer.from(part, 'base64url'));
    for (const text of [sealed, ...decodedParts.map((bytes) => bytes.toString('latin1'))]) {
      expect(text).not.toContain('xoxb');
      for (const encoded of encodings(dataKey)) expect(text).not.toContain(encoded);
      expect(text).not.toContain(dataKey.toString('latin1'));
    }
  });

  it('opening one value 10 times makes 1 Decrypt call, 10 at once too; again after 5 minutes', async () => {
    let clock = 1_000_000;
    const box = kmsSecretBox({ keyId: kms.keyId, client, now: () => clock });
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    let before = count('Decrypt');
    for (let i = 0; i < 10; i++) expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    expect(count('Decrypt') - before).toBe(1);

    const burst = kmsSecretBox({ keyId: kms.keyId, client });
    before = count('Decrypt');
    expect(await Promise.all(Array.from({ length: 10 }, () => burst.open(sealed, 'SLACK#T#T1')))).toEqual(Array(10).fill(SECRET));
    expect(count('Decrypt') - before).toBe(1);

    before = count('Decrypt');
    clock += 4 * 60_000;
    await box.open(sealed, 'SLACK#T#T1');
    expect(count('Decrypt') - before).toBe(0);
    clock += 2 * 60_000;
    await box.open(sealed, 'SLACK#T#T1');
    expect(count('Decrypt') - before).toBe(1);
  });

  it('refuses another context: KMS itself refuses the data key, even when it is cached for the right one', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    const before = count('Decrypt');
    const error = await box.open(sealed, 'SLACK#T#T2').catch((e: unknown) => e);
    expect(count('Decrypt') - before).toBe(1);
    expect(error).toBeInstanceOf(SealError);
    expect((error as Error).message).toBe('KMS could not open the data key (InvalidCiphertextException)');
    expect(((error as Error).cause as Error).name).toBe('InvalidCiphertextException');
    // A wrong-context value whose data key was refused leaves no key material in the error.
    const dataKey = Buffer.from(kms.issued.at(-1)!, 'base64');
    for (const encoded of encodings(dataKey)) expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(encoded);
  });

  it('refuses a tampered value: in the data key KMS holds, or in the sealed secret', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const sealed = await box.seal(SECRET, 'ctx');
    // A byte near the end of the blob: inside the encrypted data key, not the key id ahead of it.
    const blobBytes = Buffer.from(sealed.split('.')[2]!, 'base64url').length;
    await expect(box.open(flip(sealed, 2, blobBytes - 5), 'ctx')).rejects.toThrow(/KMS could not open the data key \(InvalidCiphertextException\)/);
    for (const part of [3, 4, 5]) await expect(box.open(flip(sealed, part), 'ctx')).rejects.toThrow(/wrong key, or tampered|not a sealed value/);
    await expect(box.open('v1.kms.nonsense', 'ctx')).rejects.toThrow(/not a KMS-sealed value/);
  });

  it('refuses a value sealed under another key, and a key KMS does not have', async () => {
    const sealed = await kmsSecretBox({ keyId: kms.keyIds[0]!, client }).seal(SECRET, 'ctx');
    await expect(kmsSecretBox({ keyId: kms.keyIds[1]!, client }).open(sealed, 'ctx')).rejects.toThrow(/KMS could not open the data key \(IncorrectKeyException\)/);
    const missing = kmsSecretBox({ keyId: 'arn:aws:kms:us-east-1:000000000000:key/missing', client });
    await expect(missing.seal(SECRET, 'ctx')).rejects.toThrow(/KMS could not make a data key \(NotFoundException\)/);
    // The second key works for its own values, named by its bare id as well as its ARN.
    const bareId = kms.keyIds[1]!.split('/').at(-1)!;
    const other = await kmsSecretBox({ keyId: bareId, client }).seal(SECRET, 'ctx');
    expect(await kmsSecretBox({ keyId: kms.keyIds[1]!, client }).open(other, 'ctx')).toBe(SECRET);
  });

  it('the KMS box refuses a locally sealed value, and the local box a KMS-sealed one', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    await expect(box.open(await localSecretBox(KEY).seal(SECRET, 'c'), 'c')).rejects.toThrow('sealed with a local key; this stage uses KMS');
    await expect(localSecretBox(KEY).open(await box.seal(SECRET, 'c'), 'c')).rejects.toThrow(/expected a local key/);
  });

  it('the fake speaks KMS: Encrypt and Decrypt through the client, typed errors, unsigned requests refused', async () => {
    const context = { purpose: 'test' };
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: kms.keyId, Plaintext: Buffer.from('hello'), EncryptionContext: context }));
    const out = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(out.Plaintext!).toString()).toBe('hello');
    expect(out.KeyId).toBe(kms.keyId);
    await expect(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: 'other' } }))).rejects.toMatchObject({ name: 'InvalidCiphertextException', $fault: 'client' });
    const unsigned = await fetch(kms.endpoint, { method: 'POST', headers: { 'x-amz-target': 'TrentService.Decrypt', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  describe('secretBoxFromEnv', () => {
    it('KMS when a key id is set (endpoint and region from the env given), else the local key, else none', async () => {
      // Credentials come from the SDK's default chain, as in Lambda.
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      try {
        const fromKms = secretBoxFromEnv({ INSTALLATION_KMS_KEY_ID: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.endpoint, AWS_REGION: 'us-east-1', INSTALLATION_KEY: KEY });
        const sealed = await fromKms!.seal('x', 'c');
        expect(sealed.startsWith('v1.kms.')).toBe(true);
        expect(await fromKms!.open(sealed, 'c')).toBe('x');
      } finally {
        vi.unstubAllEnvs();
      }
      const local = secretBoxFromEnv({ INSTALLATION_KEY: ` ${KEY} ` })!;
      expect((await local.seal('x', 'c')).startsWith('v1.local.')).toBe(true);
      expect(secretBoxFromEnv({})).toBeUndefined();
      expect(secretBoxFromEnv({ INSTALLATION_KMS_KEY_ID: ' ', INSTALLATION_KEY: '' })).toBeUndefined();
      expect(() => secretBoxFromEnv({ INSTALLATION_KEY: 'short' })).toThrow(/64 hex/);
    });

    it('the SDK itself takes AWS_ENDPOINT_URL_KMS and AWS_REGION from the process environment', async () => {
      for (const [name, value] of Object.entries({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_KMS: kms.endpoint })) vi.stubEnv(name, value);
      try {
        const before = count('GenerateDataKey');
        const box = secretBoxFromEnv({ INSTALLATION_KMS_KEY_ID: kms.keyId })!;
        expect((await box.seal('x', 'c')).startsWith('v1.kms.')).toBe(true);
        expect(count('GenerateDataKey') - before).toBe(1);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  });
});
