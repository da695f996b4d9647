// Sealing installations at rest: the local AES-256-GCM box and the KMS envelope box, the latter
// against a fake KMS that the real @aws-sdk/client-kms talks to.
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localSecretBox, SealError } from '../core/crypto.ts';
import { kmsSecretBox, secretBoxFromEnv } from '../core/crypto-kms.ts';
import { startFakeKms, type FakeKms } from '../dev/fakes/kms.ts';

const KEY = '0123456789abcdef'.repeat(4);
const SECRET = '{"bot":{"token":"xoxb-1-2-abcdef"}}';

describe('local box', () => {
  const box = localSecretBox(KEY);

  it('opens what it sealed, for the same context only', async () => {
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    expect(sealed.startsWith('v1.local.')).toBe(true);
    expect(sealed).not.toContain('xoxb');
    expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    await expect(box.open(sealed, 'SLACK#T#T2')).rejects.toThrow(SealError);
  });

  it('refuses a tampered value, another key, and a malformed key', async () => {
    const sealed = await box.seal(SECRET, 'ctx');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    await expect(box.open(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'ctx')).rejects.toThrow(SealError);
    await expect(localSecretBox('f'.repeat(64)).open(sealed, 'ctx')).rejects.toThrow(SealError);
    expect(() => localSecretBox('not-hex')).toThrow(/64 hex/);
  });
});

describe('KMS envelope box', () => {
  let kms: FakeKms;
  let client: KMSClient;
  beforeAll(async () => {
    kms = await startFakeKms();
    client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });
  afterAll(async () => {
    client?.destroy();
    await kms?.close();
  });

  it('seals with a fresh data key and opens it through KMS Decrypt, once per data key', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    expect(sealed.startsWith('v1.kms.')).toBe(true);
    expect(sealed).not.toContain('xoxb');
    expect(kms.calls.GenerateDataKey).toBe(1);
    for (let i = 0; i < 10; i++) expect(await box.open(sealed, 'SLACK#T#T1')).toBe(SECRET);
    expect(kms.calls.Decrypt).toBe(1);
  });

  it('refuses another context (KMS itself refuses the data key) and a locally sealed value', async () => {
    const box = kmsSecretBox({ keyId: kms.keyId, client });
    const sealed = await box.seal(SECRET, 'SLACK#T#T1');
    await expect(box.open(sealed, 'SLACK#T#T2')).rejects.toThrow(/KMS could not open the data key \(InvalidCiphertextException\)/);
    await expect(box.open(await localSecretBox(KEY).seal(SECRET, 'c'), 'c')).rejects.toThrow(/local key/);
    await expect(localSecretBox(KEY).open(sealed, 'SLACK#T#T1')).rejects.toThrow(SealError);
  });

  it('secretBoxFromEnv: KMS when a key id is set, else the local key, else none', async () => {
    // Credentials come from the SDK's default chain, as in Lambda.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    try {
      const fromKms = secretBoxFromEnv({ INSTALLATION_KMS_KEY_ID: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.endpoint, AWS_REGION: 'us-east-1' });
      expect((await fromKms!.seal('x', 'c')).startsWith('v1.kms.')).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
    expect((await secretBoxFromEnv({ INSTALLATION_KEY: KEY })!.seal('x', 'c')).startsWith('v1.local.')).toBe(true);
    expect(secretBoxFromEnv({})).toBeUndefined();
  });
});
