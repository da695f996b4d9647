import { describe, expect, it } from 'vitest';
import type { InboxRecord } from '../../core/store/inbox.ts';
import { handleStreamBatch, inboxRecordOf, type StreamRecord } from '../../core/worker.ts';

// As Lambda delivers them: keys, and the new image (the stream's view type is NEW_IMAGE).
const insert = (pk: string, sk: string, seq: string): StreamRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    Keys: { pk: { S: pk }, sk: { S: sk } },
    NewImage: { pk: { S: pk }, sk: { S: sk }, input: { M: { type: { S: 'text' }, text: { S: 'hi' } } }, expiresAt: { N: '1900000000' } },
    SequenceNumber: seq,
  },
});

describe('stream batches', () => {
  it('takes only inserted inbox records, read from the new image', () => {
    expect(inboxRecordOf(insert('T#a#c', 'IN#1', '1'))).toEqual({ pk: 'T#a#c', sk: 'IN#1', input: { type: 'text', text: 'hi' }, expiresAt: 1900000000 });
    expect(inboxRecordOf(insert('T#a#c', 'THREAD', '2'))).toBeUndefined();
    expect(inboxRecordOf({ ...insert('T#a#c', 'IN#1', '3'), eventName: 'MODIFY' })).toBeUndefined();
    expect(inboxRecordOf({ eventName: 'INSERT' })).toBeUndefined();
  });

  it('keeps each thread in order, runs threads side by side, and reports the first failure of a thread', async () => {
    const seen: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const process = async (key: InboxRecord) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, 5));
      concurrent--;
      if (key.sk === 'IN#b2') throw new Error('table unavailable');
      seen.push(key.sk);
      return { outcome: key.sk === 'IN#c1' ? 'busy' : 'replied' };
    };
    const result = await handleStreamBatch(
      [insert('A', 'IN#a1', '1'), insert('B', 'IN#b1', '2'), insert('A', 'IN#a2', '3'), insert('B', 'IN#b2', '4'), insert('B', 'IN#b3', '5'), insert('A', 'THREAD', '6'), insert('C', 'IN#c1', '7'), insert('C', 'IN#c2', '8')],
      { turn: process },
    );
    expect(seen.filter((s) => s.startsWith('IN#a'))).toEqual(['IN#a1', 'IN#a2']);
    expect(seen).toContain('IN#b1');
    expect(seen).not.toContain('IN#b3'); // not run after its thread failed
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['4', '7']); // a busy record is retried too
    expect(seen).not.toContain('IN#c2');
    expect(maxConcurrent).toBe(3);
  });
});
