// A fake of AWS KMS for tests: the real @aws-sdk/client-kms talks to it over HTTP (endpoint
// override) in KMS's JSON 1.1 protocol. It holds one master key per key id; a data key's
// "ciphertext blob" is the key id plus the data key sealed under the master key with the
// encryption context as additional data — so, as with real KMS, a wrong context or key fails.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal } from '../../core/crypto.ts';

export interface FakeKms {
  endpoint: string;
  keyId: string;
  calls: Record<string, number>;
  close(): Promise<void>;
}

const contextOf = (value: unknown) => JSON.stringify(Object.entries((value ?? {}) as Record<string, string>).sort());

export async function startFakeKms(): Promise<FakeKms> {
  const keyId = `arn:aws:kms:us-east-1:000000000000:key/${randomBytes(8).toString('hex')}`;
  const masters = new Map([[keyId, randomBytes(32)]]);
  const calls: Record<string, number> = {};
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const fail = (type: string, message: string) => send(400, { __type: type, message });
    if (!req.headers.authorization) return fail('UnrecognizedClientException', 'missing signature');
    const operation = String(req.headers['x-amz-target'] ?? '').replace('TrentService.', '');
    calls[operation] = (calls[operation] ?? 0) + 1;
    const input = JSON.parse(raw || '{}') as { KeyId?: string; CiphertextBlob?: string; EncryptionContext?: unknown; KeySpec?: string };
    if (operation === 'GenerateDataKey') {
      const master = masters.get(input.KeyId ?? '');
      if (!master) return fail('NotFoundException', 'key not found');
      const dataKey = randomBytes(32);
      const blob = Buffer.from(JSON.stringify({ keyId: input.KeyId, sealed: aesGcmSeal(master, dataKey.toString('base64'), contextOf(input.EncryptionContext)) }));
      return send(200, { KeyId: input.KeyId, Plaintext: dataKey.toString('base64'), CiphertextBlob: blob.toString('base64') });
    }
    if (operation === 'Decrypt') {
      let parsed: { keyId: string; sealed: string };
      try {
        parsed = JSON.parse(Buffer.from(input.CiphertextBlob ?? '', 'base64').toString('utf8')) as { keyId: string; sealed: string };
      } catch {
        return fail('InvalidCiphertextException', 'not a ciphertext blob');
      }
      const master = masters.get(parsed.keyId);
      if (!master || (input.KeyId && input.KeyId !== parsed.keyId)) return fail('IncorrectKeyException', 'wrong key');
      try {
        const plaintext = aesGcmOpen(master, parsed.sealed, contextOf(input.EncryptionContext));
        return send(200, { KeyId: parsed.keyId, Plaintext: plaintext });
      } catch {
        return fail('InvalidCiphertextException', 'the ciphertext does not open with this key and context');
      }
    }
    return fail('UnknownOperationException', `${operation} is not faked`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keyId,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
