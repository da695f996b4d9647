// The fault model shared by the fake channel APIs (Slack, Teams, Twilio). A real platform fails in
// two very different ways, and an exactly-once protocol must tell them apart: it refuses before
// doing anything (a 429, a validation error: safe to retry), or it does the work and the answer
// is lost, late or an error (a retry would post twice). Faults are one-shot (queued, FIFO) or
// drawn by a seeded chaos policy, so a failing run replays with the same seed.
import { seededRandom as mulberry32 } from '../../sandbox/ids.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type FaultKind = 'refuse' | 'drop_after' | 'error_after' | 'slow_after';

const FAULT_KINDS: readonly FaultKind[] = ['refuse', 'drop_after', 'error_after', 'slow_after'];

export interface Fault {
  kind: FaultKind;
  /** refuse: the status answered (each fake has its default, 429); error_after: 500 or 503. */
  status?: number;
  /** refuse with 429: the Retry-After header, in seconds. */
  retryAfter?: number;
  /** refuse: the platform's error code (Slack `error`, Teams `error.code`). */
  error?: string;
  /** slow_after: how long the answer is held back (ms). */
  delayMs?: number;
}

/** A seeded chaos policy: a share of the matching requests fail, the kind drawn by weight. */
export interface Chaos {
  seed: number;
  /** 0..1: the share of matching requests that get a fault. */
  rate: number;
  /** Relative weights; kinds left out are never drawn. */
  kinds: Partial<Record<FaultKind, number>>;
  /** Which calls it applies to (the fake's method names); default: the fake's posting calls. */
  methods?: string[];
  /**
   * Per kind, the rest of the fault, or alternatives drawn evenly (e.g. `{ refuse: { status: 429,
   * retryAfter: 0 }, slow_after: { delayMs: 300 } }`). Kinds left out take the fake's own defaults.
   */
  templates?: FaultTemplates;
}

type FaultTemplate = Omit<Fault, 'kind'>;
export type FaultTemplates = Partial<Record<FaultKind, FaultTemplate | readonly FaultTemplate[]>>;

/** The sandbox's seeded PRNG (mulberry32): one implementation for every replayable fault. */
export { mulberry32 };

const DEFAULT_SLOW_MS = 1500;
const DEFAULT_ERROR_STATUS = 500;


export interface InjectedFault {
  method: string;
  fault: Fault;
  source: 'queued' | 'chaos';
}

/** What the next calls will suffer: queued one-shot faults first, then the chaos policy. */
export class FaultPlan {
  readonly injected: Record<FaultKind, number> = { refuse: 0, drop_after: 0, error_after: 0, slow_after: 0 };
  /** Every fault handed out, in order (a seed replayed over the same requests, in the same order, gives the same list). */
  readonly log: InjectedFault[] = [];
  private readonly queue: { fault: Fault; method?: string }[] = [];
  private policy?: { settings: Chaos; random: () => number };

  /**
   * `postingMethods`: what a fault with no method, and chaos with no `methods`, apply to.
   * `defaults`: how the fake fills in a chaos fault's kind (its usual refusal statuses and so on).
   */
  constructor(
    readonly postingMethods: readonly string[],
    private readonly defaults: FaultTemplates = {},
  ) {}

  /** Queue a one-shot fault for the next call of `method` (`'*'`: any call; none: any posting call). */
  push(fault: Fault, method?: string): void {
    this.queue.push({ fault, ...(method === undefined ? {} : { method }) });
  }

  /** Replace the chaos policy (null: none); its PRNG restarts from the seed. */
  chaos(settings: Chaos | null): void {
    this.policy = settings ? { settings, random: mulberry32(settings.seed) } : undefined;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** The fault for this call, if any (consumes a queued one). */
  next(method: string): Fault | undefined {
    const index = this.queue.findIndex((entry) => (entry.method === undefined ? this.postingMethods.includes(method) : entry.method === '*' || entry.method === method));
    if (index >= 0) {
      const [{ fault }] = this.queue.splice(index, 1) as [{ fault: Fault }];
      return this.record(method, fault, 'queued');
    }
    const fault = this.draw(method);
    return fault ? this.record(method, fault, 'chaos') : undefined;
  }

  private draw(method: string): Fault | undefined {
    if (!this.policy) return undefined;
    const { settings, random } = this.policy;
    if (!(settings.methods ?? this.postingMethods).includes(method)) return undefined;
    // Three draws per matching request, whether it fails or not, so the sequence depends only on
    // the seed and the order of the matching requests.
    const hit = random();
    const pick = random();
    const variant = random();
    if (hit >= settings.rate) return undefined;
    const weighted = FAULT_KINDS.map((kind) => [kind, Math.max(0, settings.kinds[kind] ?? 0)] as const).filter(([, weight]) => weight > 0);
    const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0) return undefined;
    let point = pick * total;
    let kind = weighted.at(-1)![0];
    for (const [candidate, weight] of weighted) {
      point -= weight;
      if (point < 0) {
        kind = candidate;
        break;
      }
    }
    const template = settings.templates?.[kind] ?? this.defaults[kind];
    const options = alternatives(template);
    const chosen = options.length ? options[Math.min(options.length - 1, Math.floor(variant * options.length))] : undefined;
    return { ...chosen, kind };
  }

  private record(method: string, fault: Fault, source: InjectedFault['source']): Fault {
    this.injected[fault.kind] += 1;
    this.log.push({ method, fault, source });
    return fault;
  }
}

function alternatives(template: FaultTemplate | readonly FaultTemplate[] | undefined): readonly FaultTemplate[] {
  if (template === undefined) return [];
  return isTemplateList(template) ? template : [template];
}

function isTemplateList(template: FaultTemplate | readonly FaultTemplate[]): template is readonly FaultTemplate[] {
  return Array.isArray(template);
}

/** An HTTP answer: status, JSON body (a string is sent as is), headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  res.end(text);
}

/** How one fake words a refusal and a server error. */
export interface FaultAnswers {
  refuse(fault: Fault): Answer;
  serverError(status: number): Answer;
}

/** What became of a call: `delivered` false only when refused before the work. */
export type FaultOutcome = 'answered' | 'refused' | 'dropped' | 'errored' | 'delayed';

/**
 * Answers a call under a fault: `refuse` answers the refusal and never calls `work`; the other
 * kinds run `work` (the message is posted), then drop the connection, answer a 5xx, or answer
 * normally only after `delayMs`. No fault: `work`'s answer.
 */
export function applyFault(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined, work: () => Answer, answers: FaultAnswers): FaultOutcome {
  if (fault?.kind === 'refuse') {
    writeAnswer(res, answers.refuse(fault));
    return 'refused';
  }
  const answer = work();
  switch (fault?.kind) {
    case undefined:
      writeAnswer(res, answer);
      return 'answered';
    case 'drop_after':
      // No status line at all: the client sees the connection reset, as when a proxy dies.
      (res.socket ?? req.socket).destroy();
      return 'dropped';
    case 'error_after':
      writeAnswer(res, answers.serverError(fault.status ?? DEFAULT_ERROR_STATUS));
      return 'errored';
    case 'slow_after': {
      const timer = setTimeout(() => writeAnswer(res, answer), fault.delayMs ?? DEFAULT_SLOW_MS);
      // A client that gave up closes the socket; nobody is left to answer.
      res.once('close', () => clearTimeout(timer));
      return 'delayed';
    }
  }
}

/** How a call's fault is recorded: `refuse:429`, `refuse:channel_not_found`, `error_after:503`, `drop_after`. */
export function faultLabel(fault: Fault, refusedWith?: string | number): string {
  if (fault.kind === 'refuse') return `refuse:${refusedWith ?? fault.error ?? fault.status ?? 429}`;
  if (fault.kind === 'error_after') return `error_after:${fault.status ?? DEFAULT_ERROR_STATUS}`;
  return fault.kind;
}

/** Old `fail()` shapes had no `kind`: they were all refusals. */
export function isFault(value: object): value is Fault {
  return 'kind' in value && typeof (value as { kind?: unknown }).kind === 'string';
}
