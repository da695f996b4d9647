// Brek limits each partner key per minute (429 rate_limited, x-ratelimit-limit on every answer).
// Every worker of a deployment spends the same key, so the bridge paces its calls in one place:
// one table item holding a GCRA schedule (the "theoretical arrival time" of the next request,
// `tat`), moved forward with conditional updates — no lock, no transaction. Requests are spaced at
// a share of Brek's limit with a small burst, so in any minute (fixed window or sliding) the
// bridge stays under it; a turn takes its place in that queue and waits for its slot, instead of
// hammering an exhausted quota and ending in an apology. A 429 anyway (the key is shared with
// something else, or the limit changed) pushes the schedule past Brek's Retry-After for everyone.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttemptInfo } from './client.ts';

/** The schedule's one item (no actor in it: erasure and the owner index never see it). */
export const QUOTA_KEY = { pk: 'QUOTA#brek', sk: 'QUOTA#brek' } as const;

export interface QuotaSettings {
  /** Brek's limit until it tells its own (x-ratelimit-limit): its documented example, 120. */
  limitPerMinute: number;
  /** The share of the limit the bridge plans to use: the rest absorbs clock and latency jitter. */
  share: number;
  /** Requests that may go at once after a quiet spell, as a share of the limit (at least 1). */
  burstShare: number;
}

const DEFAULT_QUOTA_SETTINGS: QuotaSettings = { limitPerMinute: 120, share: 0.9, burstShare: 0.05 };

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;
const MAX_RACES = 16;
/**
 * How far behind now the schedule may be and still be taken as busy: at a high limit the interval
 * is under a millisecond, so a schedule one worker just restarted is already "past" for the next,
 * and workers would race to restart it forever. Costs at most this much of extra burst.
 */
const LAG_MS = 50;

/** The pacing schedule shared by every worker (one item in the table). */
export class BrekQuota {
  private limit: number;
  /** The last 429's Retry-After seen by this process: its waiting turns hold off at once. */
  private blockedUntil = 0;
  /** The schedule as this process last saw it: which path to try first. */
  private lastSeenTat = 0;
  private readonly settings: QuotaSettings;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    settings: Partial<QuotaSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_QUOTA_SETTINGS, ...settings };
    this.limit = this.settings.limitPerMinute;
  }

  /** Milliseconds between two requests at the planned rate. */
  get intervalMs(): number {
    return 60_000 / (this.limit * this.settings.share);
  }

  /** How far the schedule may run ahead of now and a request still go at once: a burst of B requests is B − 1 intervals. */
  private get toleranceMs(): number {
    return (Math.max(1, Math.floor(this.limit * this.settings.burstShare)) - 1) * this.intervalMs;
  }

  /** The requests per minute the bridge plans for (a share of Brek's limit). */
  get plannedPerMinute(): number {
    return this.limit * this.settings.share;
  }

  /**
   * Takes `count` consecutive request slots, first come first served across every worker, and
   * returns when each may start (epoch ms). Undefined, with nothing taken, when the first would
   * start after `latest`: the queue is longer than the caller may wait.
   */
  async reserve(count: number, latest: number): Promise<number[] | undefined> {
    const interval = this.intervalMs;
    const tolerance = this.toleranceMs;
    for (let race = 0; race < MAX_RACES; race++) {
      const now = this.now();
      // One request in the usual case: the quiet path first unless this process last saw a queue.
      if (this.lastSeenTat < now - LAG_MS && (await this.restart(now, count, interval))) return slots(now, count, interval, tolerance, now);
      try {
        // Busy: the schedule is ahead of now; take the next `count` places after it.
        const { Attributes } = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: QUOTA_KEY,
            UpdateExpression: 'SET tat = tat + :span',
            ConditionExpression: 'tat >= :recent AND tat <= :latest',
            ExpressionAttributeValues: { ':span': count * interval, ':recent': now - LAG_MS, ':latest': latest + tolerance },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        const from = Number(Attributes?.tat);
        this.lastSeenTat = from + count * interval;
        return slots(from, count, interval, tolerance, now);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Neither busy within `latest` nor known quiet: read why.
      const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: QUOTA_KEY, ConsistentRead: true }));
      const tat = typeof Item?.tat === 'number' ? Item.tat : undefined;
      this.lastSeenTat = tat ?? 0;
      if (tat !== undefined && tat > latest + tolerance) return undefined;
      if ((tat === undefined || tat < now - LAG_MS) && (await this.restart(now, count, interval))) return slots(now, count, interval, tolerance, now);
    }
    throw new Error('the Brek quota schedule kept moving under this worker');
  }

  /** Quiet: the schedule restarts from now. False when it is not quiet after all. */
  private async restart(now: number, count: number, interval: number): Promise<boolean> {
    const restarted = await this.moveScheduleTo(now + count * interval, now - LAG_MS);
    // Not quiet: the next try takes the busy path.
    this.lastSeenTat = restarted ? now + count * interval : Number.MAX_SAFE_INTEGER;
    return restarted;
  }

  /** Sets the schedule to `tat` if it is unset or before `unlessFrom`; false when it was not. */
  private async moveScheduleTo(tat: number, unlessFrom: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: QUOTA_KEY,
          UpdateExpression: 'SET tat = :tat',
          ConditionExpression: 'attribute_not_exists(tat) OR tat < :from',
          ExpressionAttributeValues: { ':tat': tat, ':from': unlessFrom },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /** When this process last heard Brek say to wait: nobody here calls before it. */
  holdUntil(): number {
    return this.blockedUntil;
  }

  /** Learns from one try: Brek's own limit, and a 429's Retry-After (pushed on to every worker). */
  async observe(info: Pick<AttemptInfo, 'status' | 'rateLimit' | 'error'>): Promise<void> {
    const limit = info.rateLimit?.limit;
    if (limit !== undefined && Number.isFinite(limit) && limit > 0) this.limit = limit;
    if (info.status !== 429) return;
    const until = this.now() + (info.error?.retryAfterMs ?? this.intervalMs);
    this.blockedUntil = Math.max(this.blockedUntil, until);
    // The next slot anyone takes starts after Brek's wait (unless the schedule is already later).
    const after = until + this.toleranceMs;
    await this.moveScheduleTo(after, after);
  }
}

/** GCRA: request k of those taken from schedule time `from` may start at max(now, from + k·I − τ). */
function slots(from: number, count: number, interval: number, tolerance: number, now: number): number[] {
  return Array.from({ length: count }, (_, k) => Math.max(now, from + k * interval - tolerance));
}

/** Why a turn's Brek call did not go: the queue for Brek's quota is longer than the turn may wait. */
export class QuotaQueueFull extends Error {
  constructor(
    message: string,
    /** The invocation would end first (Lambda's time): retried by the stream, not apologised for. */
    readonly invocationEnding: boolean,
  ) {
    super(message);
    this.name = 'QuotaQueueFull';
  }
}

export interface TurnQueueOptions {
  /** Give up (an apology) rather than wait past this (epoch ms). */
  giveUpAt: number;
  /** The invocation's own end, less what the call and the reply need (epoch ms), when it has one. */
  invocationEndsAt?: number;
  /** The wait beyond which the traveller is told, once, that the answer will take a while. */
  noticeAfterMs: number;
  /** The schedule could not be read or moved (the table failing): the try goes unpaced. */
  onScheduleError?: (error: unknown) => void;
  /** Called when a slot is further than `noticeAfterMs` away (`first`: the first time for this turn). */
  onLongWait?: (slotAt: number, first: boolean) => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One turn's place in the queue for Brek: the Brek client's gate (core/brek/client.ts), asked
 * before every try. The turn's expected calls are reserved together (a first turn's session and
 * event, back to back), so its second call does not queue again behind everyone else's first.
 */
export class TurnQueue {
  private reserved: number[] = [];
  private planned: number;
  private told = false;
  /** How long this turn waited for its slots in all (ms), for the metrics. */
  waitedMs = 0;
  /** The turn found no place within its bounds. */
  gaveUp = false;

  constructor(
    private readonly quota: BrekQuota,
    private readonly options: TurnQueueOptions,
    expectedCalls = 1,
  ) {
    this.planned = expectedCalls;
  }

  /** Resolves when the next try may go; throws QuotaQueueFull when it cannot within the turn's bounds. */
  async beforeTry(): Promise<void> {
    const now = this.options.now ?? Date.now;
    if (this.reserved.length === 0) {
      const ending = this.options.invocationEndsAt;
      const latest = Math.min(this.options.giveUpAt, ending ?? Infinity);
      let taken: number[] | undefined;
      try {
        taken = await this.quota.reserve(Math.max(1, this.planned), latest);
      } catch (error) {
        // Pacing is advice: Brek still enforces its quota (and its 429 is waited out), so a turn
        // does not fail because the table briefly did.
        this.options.onScheduleError?.(error);
        return;
      }
      this.planned = 1;
      if (!taken) {
        this.gaveUp = true;
        const invocationEnding = ending !== undefined && ending < this.options.giveUpAt;
        throw new QuotaQueueFull(`Brek's quota is booked beyond what this turn may wait (${Math.round((latest - now()) / 1000)} s)`, invocationEnding);
      }
      this.reserved = taken;
    }
    const slot = Math.max(this.reserved.shift()!, this.quota.holdUntil());
    const wait = slot - now();
    if (wait <= 0) return;
    if (wait > this.options.noticeAfterMs) {
      await this.options.onLongWait?.(slot, !this.told);
      this.told = true;
    }
    const left = slot - now();
    if (left > 0) {
      this.waitedMs += left;
      await (this.options.sleep ?? defaultSleep)(left);
    }
  }

  /** After every try: Brek's limit and Retry-After, for every worker. */
  async afterTry(info: AttemptInfo): Promise<void> {
    await this.quota.observe(info);
  }
}
