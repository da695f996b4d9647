// The console's activity panel: every turn the local stack handles, fed by the ingress (received)
// and processTurn's observer (processing, Brek's answer, finished). In memory and bounded — the
// table stays the record of truth (`npm run ops -- turns` reads it); this adds what the table
// does not keep on the happy path: Brek's raw result and the rendered payload.
import { CHANNEL_ADAPTERS } from '../../adapters/index.ts';
import type { EventResult } from '../../core/brek/results.ts';
import type { Channel } from '../../core/identity.ts';
import type { Reply } from '../../core/reply.ts';
import type { InboxRecord } from '../../core/store/inbox.ts';
import type { TurnEvent } from '../../core/turn.ts';

type ActivityState = 'received' | 'processing' | 'replied' | 'failed' | 'unknown' | 'ignored';

/** One turn as the panel lists it. */
export interface ActivitySummary {
  /** The turn's dedupe key (what `npm run ops` prints and replays by). */
  id: string;
  channel: Channel;
  actorId: string;
  state: ActivityState;
  /** What the traveller was answered with: Brek's status or the bridge's own (`bridge_*`). */
  status?: string;
  /** Brek's `result.status`, when Brek answered. */
  brekStatus?: string;
  brekRequestId?: string;
  traceId?: string;
  receivedAt: string;
  /** From the ingress accepting the message to the reply handed to the channel. */
  latencyMs?: number;
  error?: string;
  /** How many times the worker took the turn up (a replay adds one). */
  attempts: number;
}

/** Shown on demand: the raw exchange behind a turn. */
export interface ActivityDetails extends ActivitySummary {
  brekResult?: EventResult;
  rendered?: unknown;
}

const KEPT = 500;

/** The payload the channel's renderer makes of a reply. */
function renderedFor(channel: Channel, reply: Reply): unknown {
  return CHANNEL_ADAPTERS.find((adapter) => adapter.profile.channel === channel)?.render(reply);
}

export class ActivityLog {
  private readonly turns = new Map<string, { details: ActivityDetails; acceptedAt: number; record: InboxRecord }>();
  private readonly listeners = new Set<(summary: ActivitySummary) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The ingress stored a new message. */
  received(record: InboxRecord): void {
    const details: ActivityDetails = {
      id: record.dedupeKey,
      channel: record.channel,
      actorId: record.actorId,
      state: 'received',
      receivedAt: record.receivedAt,
      attempts: 0,
    };
    this.turns.set(record.dedupeKey, { details, acceptedAt: this.now(), record });
    while (this.turns.size > KEPT) this.turns.delete(this.turns.keys().next().value!);
    this.emit(details);
  }

  /** processTurn's observer. */
  observe = (event: TurnEvent): void => {
    let entry = this.turns.get(event.record.dedupeKey);
    if (!entry) {
      // A replay after a restart: the turn was received by an earlier run of the stack.
      this.received(event.record);
      entry = this.turns.get(event.record.dedupeKey)!;
    }
    const details = entry.details;
    if (event.kind === 'processing') {
      details.state = 'processing';
      details.attempts += 1;
      entry.acceptedAt = details.attempts > 1 ? this.now() : entry.acceptedAt;
      delete details.error;
    } else if (event.kind === 'brek') {
      details.brekStatus = event.answer.result.status;
      details.brekResult = event.answer.result;
      if (event.answer.requestId) details.brekRequestId = event.answer.requestId;
      if (event.answer.result.traceId) details.traceId = event.answer.result.traceId;
    } else if (event.kind === 'finished') {
      details.state = event.state;
      details.status = event.status;
      details.latencyMs = this.now() - entry.acceptedAt;
      if (event.error) details.error = event.error;
      if (event.brekRequestId) details.brekRequestId = event.brekRequestId;
      if (event.traceId) details.traceId = event.traceId;
      if (event.reply) details.rendered = renderedFor(details.channel, event.reply);
      // A failed send keeps Brek's answer on the record; a replay shows it from there.
      if (!details.brekResult && event.record.brek) {
        details.brekResult = event.record.brek.result;
        details.brekStatus = event.record.brek.result.status;
      }
    }
    this.emit(details);
  };

  list(): ActivitySummary[] {
    return [...this.turns.values()].map((entry) => summaryOf(entry.details));
  }

  details(id: string): ActivityDetails | undefined {
    return this.turns.get(id)?.details;
  }

  on(listener: (summary: ActivitySummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(details: ActivityDetails): void {
    const summary = summaryOf(details);
    for (const listener of this.listeners) listener(summary);
  }
}

function summaryOf(details: ActivityDetails): ActivitySummary {
  const { brekResult: _result, rendered: _rendered, ...summary } = details;
  return { ...summary };
}
