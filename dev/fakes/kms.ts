// A fake of AWS KMS for tests: the real @aws-sdk/client-kms talks to it over HTTP (endpoint
// override, any credentials) in KMS's JSON 1.1 protocol: POST /, the operation in X-Amz-Target
// (TrentService.GenerateDataKey, Decrypt, Encrypt), errors as {"__type", "message"} with status
// 400 so the SDK raises its typed exceptions. It holds one random master key per key id; a
// "ciphertext blob" is the key id plus the plaintext sealed under that master key (AES-256-GCM)
// with the encryption context as additional data — so, as with real KMS, a wrong context or key
// fails. It does not check SigV4, but refuses a request with no Authorization header.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aesGcmOpen, aesGcmSeal } from '../../core/crypto.ts';

export interface FakeKms {
  endpoint: string;
  /** The first key id (an ARN, as KMS names keys). */
  keyId: string;
  keyIds: string[];
  /** Requests answered, by operation (failed ones included). */
  calls: Record<string, number>;
  /** Every data key GenerateDataKey handed out, base64 — for tests that check where keys end up. */
  issued: string[];
  close(): Promise<void>;
}

interface Input {
  KeyId?: string;
  Plaintext?: string;
  CiphertextBlob?: string;
  EncryptionContext?: Record<string, string>;
  KeySpec?: string;
  NumberOfBytes?: number;
}

class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The encryption context as AAD: order-independent, as KMS treats it. */
const contextOf = (value: Input['EncryptionContext']) => JSON.stringify(Object.entries(value ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));

export async function startFakeKms(options: { keys?: number } = {}): Promise<FakeKms> {
  const keyIds = Array.from({ length: options.keys ?? 1 }, () => `arn:aws:kms:us-east-1:000000000000:key/${randomBytes(8).toString('hex')}`);
  const masters = new Map(keyIds.map((id) => [id, randomBytes(32)]));
  const calls: Record<string, number> = {};
  const issued: string[] = [];

  /** A key named by its ARN or bare id (as KMS accepts either; aliases are not faked) → its ARN. */
  const arnOf = (keyId: string | undefined) => {
    const arn = keyIds.find((id) => id === keyId || id.endsWith(`/${keyId}`));
    if (!arn) throw new KmsFault('NotFoundException', `Key '${keyId ?? ''}' does not exist`);
    return arn;
  };
  const master = (keyId: string) => masters.get(arnOf(keyId))!;
  /** The blob: JSON of the key id and the plaintext (base64) sealed under its master key. */
  const encrypt = (keyId: string, plaintext: Buffer, context: Input['EncryptionContext']) =>
    Buffer.from(JSON.stringify({ keyId, sealed: aesGcmSeal(master(keyId), plaintext.toString('base64'), contextOf(context)) })).toString('base64');

  const operations: Record<string, (input: Input) => Record<string, unknown>> = {
    GenerateDataKey(input) {
      const bytes = input.KeySpec === 'AES_256' ? 32 : input.KeySpec === 'AES_128' ? 16 : input.NumberOfBytes;
      if (!bytes || (input.KeySpec && input.NumberOfBytes)) throw new KmsFault('ValidationException', 'exactly one of KeySpec or NumberOfBytes is required');
      const keyId = arnOf(input.KeyId);
      const dataKey = randomBytes(bytes);
      const blob = encrypt(keyId, dataKey, input.EncryptionContext);
      issued.push(dataKey.toString('base64'));
      return { KeyId: keyId, Plaintext: dataKey.toString('base64'), CiphertextBlob: blob };
    },
    Encrypt(input) {
      const keyId = arnOf(input.KeyId);
      return { KeyId: keyId, CiphertextBlob: encrypt(keyId, Buffer.from(input.Plaintext ?? '', 'base64'), input.EncryptionContext) };
    },
    Decrypt(input) {
      let blob: { keyId: string; sealed: string };
      try {
        blob = JSON.parse(Buffer.from(input.CiphertextBlob ?? '', 'base64').toString('utf8')) as typeof blob;
        if (typeof blob.keyId !== 'string' || typeof blob.sealed !== 'string') throw new Error('not a blob');
      } catch {
        throw new KmsFault('InvalidCiphertextException', 'not a ciphertext blob');
      }
      const key = master(blob.keyId);
      if (input.KeyId && arnOf(input.KeyId) !== blob.keyId) throw new KmsFault('IncorrectKeyException', 'the ciphertext was not encrypted under the KeyId given');
      try {
        return { KeyId: blob.keyId, Plaintext: aesGcmOpen(key, blob.sealed, contextOf(input.EncryptionContext)), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      } catch {
        throw new KmsFault('InvalidCiphertextException', 'the ciphertext does not open with this key and encryption context');
      }
    },
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '');
    calls[operation] = (calls[operation] ?? 0) + 1;
    try {
      if (!req.headers.authorization) throw new KmsFault('MissingAuthenticationTokenException', 'the request is not signed');
      if (req.method !== 'POST' || !target.startsWith('TrentService.') || !(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new KmsFault('UnknownOperationException', 'not a KMS JSON 1.1 request');
      }
      const run = operations[operation];
      if (!run) throw new KmsFault('UnknownOperationException', `${operation} is not faked`);
      let input: Input;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Input;
      } catch {
        throw new KmsFault('SerializationException', 'the body is not JSON');
      }
      send(200, run(input));
    } catch (error) {
      if (error instanceof KmsFault) send(400, { __type: error.type, message: error.message });
      else send(500, { __type: 'KMSInternalException', message: 'fake KMS failed' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keyId: keyIds[0]!,
    keyIds,
    calls,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
