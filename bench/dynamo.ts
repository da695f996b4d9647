// Figure 2: DynamoDB requests per turn, ingress and worker apart, for a first turn (a new
// conversation) and a steady-state turn (a follow-up in the same conversation). Turns go one at a
// time so every request counted belongs to the turn being measured.
import type { BenchOptions } from './options.ts';
import type { BenchStack } from './stack.ts';
import { median } from './stats.ts';
import { CHANNELS, send, traveller, type Channel } from './traffic.ts';

type TurnKind = 'first' | 'steady';

export interface DynamoFigure {
  channel: Channel;
  turn: TurnKind;
  /** Medians over the travellers measured. */
  ingress: number;
  worker: number;
  total: number;
  /** The requests of one such turn (the last traveller's), by command. */
  ingressCommands: Record<string, number>;
  workerCommands: Record<string, number>;
  travellers: number;
  cores: number;
}

// Ordinary follow-ups the sandbox answers with a fresh shortlist, as a searching traveller would.
const FIRST = 'find me a seattle hotel tomorrow';
const FOLLOW_UP = 'for 2 nights, refundable';

export async function measureDynamoPerTurn(bench: BenchStack, options: BenchOptions): Promise<DynamoFigure[]> {
  const { stack, dynamo } = bench;
  await bench.setBrekLatency(0);
  await stack.idle();
  const figures: DynamoFigure[] = [];
  for (const channel of CHANNELS) {
    const samples: Record<TurnKind, { ingress: number[]; worker: number[]; ingressCommands: Record<string, number>; workerCommands: Record<string, number> }> = {
      first: { ingress: [], worker: [], ingressCommands: {}, workerCommands: {} },
      steady: { ingress: [], worker: [], ingressCommands: {}, workerCommands: {} },
    };
    for (let i = 0; i < options.dynamoActors; i++) {
      const t = traveller(stack, channel);
      for (const [turn, text] of [['first', FIRST], ['steady', FOLLOW_UP]] as const) {
        const repliesBefore = t.replies();
        dynamo.ingress.reset();
        dynamo.worker.reset();
        const res = await send(stack.url, t.message(text));
        if (res.status !== 200) throw new Error(`${channel} ${turn} turn: HTTP ${res.status}`);
        await stack.idle();
        if (t.replies() <= repliesBefore) throw new Error(`${channel} ${turn} turn got no reply`);
        const sample = samples[turn];
        sample.ingress.push(dynamo.ingress.total());
        sample.worker.push(dynamo.worker.total());
        sample.ingressCommands = dynamo.ingress.byCommand();
        sample.workerCommands = dynamo.worker.byCommand();
      }
    }
    for (const turn of ['first', 'steady'] as const) {
      const s = samples[turn];
      const ingress = median(s.ingress);
      const worker = median(s.worker);
      figures.push({
        channel,
        turn,
        ingress,
        worker,
        total: ingress + worker,
        ingressCommands: s.ingressCommands,
        workerCommands: s.workerCommands,
        travellers: options.dynamoActors,
        cores: options.cores,
      });
    }
  }
  return figures;
}
