import { describe, expect, it } from 'vitest';
import type { ItemKey } from '../core/store/table.ts';
import { handleStreamBatch, inboxKeyOf, type StreamRecord } from '../core/worker.ts';

const insert = (pk: string, sk: string, seq: string): StreamRecord => ({
  eventName: 'INSERT',
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, SequenceNumber: seq },
});

describe('stream batches', () => {
  it('takes only inserted inbox records', () => {
    expect(inboxKeyOf(insert('T#a#c', 'IN#1', '1'))).toEqual({ pk: 'T#a#c', sk: 'IN#1' });
    expect(inboxKeyOf(insert('T#a#c', 'SESSION', '2'))).toBeUndefined();
    expect(inboxKeyOf({ ...insert('T#a#c', 'IN#1', '3'), eventName: 'MODIFY' })).toBeUndefined();
    expect(inboxKeyOf({ eventName: 'INSERT' })).toBeUndefined();
  });

  it('keeps each thread in order, runs threads side by side, and reports the first failure of a thread', async () => {
    const seen: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const process = async (key: ItemKey) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, 5));
      concurrent--;
      if (key.sk === 'IN#b2') throw new Error('table unavailable');
      seen.push(key.sk);
      return { outcome: key.sk === 'IN#c1' ? 'busy' : 'replied' };
    };
    const result = await handleStreamBatch(
      [insert('A', 'IN#a1', '1'), insert('B', 'IN#b1', '2'), insert('A', 'IN#a2', '3'), insert('B', 'IN#b2', '4'), insert('B', 'IN#b3', '5'), insert('A', 'SESSION', '6'), insert('C', 'IN#c1', '7'), insert('C', 'IN#c2', '8')],
      process,
    );
    expect(seen.filter((s) => s.startsWith('IN#a'))).toEqual(['IN#a1', 'IN#a2']);
    expect(seen).toContain('IN#b1');
    expect(seen).not.toContain('IN#b3'); // not run after its thread failed
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['4', '7']); // a busy record is retried too
    expect(seen).not.toContain('IN#c2');
    expect(maxConcurrent).toBe(3);
  });
});
