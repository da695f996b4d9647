// The ingress every channel shares: verify → normalise → one inbox write → acknowledge. The
// channel supplies the first two and its acknowledgement; nothing here is slow (no Brek call, no
// channel API call), so Slack's 3-second and Twilio's 15-second limits are never at risk.
import { json, MAX_BODY_BYTES, type HttpRequest, type HttpResponse } from './http.ts';
import type { LeavingWorkspace } from './channel.ts';
import type { Channel } from './identity.ts';
import type { InboundTurn } from './inbound.ts';
import type { Logger } from './log.ts';
import { METRIC, type BridgeMetrics } from './metrics.ts';
import type { InboxRecord, InboxStore } from './store/inbox.ts';
import type { DeliveryStatus, ThreadRecord } from './store/threads.ts';
import type { WorkspaceEraseRecord } from './workspace-erase.ts';

export type Verdict = { ok: true } | { ok: false; reason: string };

export type Normalized =
  /** Answer directly, store nothing (url_verification, events we do not handle). */
  | { type: 'respond'; response: HttpResponse; note?: string }
  /** A traveller's turn: stored once, then acknowledged. */
  | { type: 'turn'; turn: InboundTurn }
  /**
   * A workspace left (the app uninstalled, its tokens revoked): one erase request is stored and
   * acknowledged; the worker erases its installation and travellers' data (core/workspace-erase.ts).
   * `requestId` (the platform's event id) makes a re-delivery find its request stored.
   */
  | { type: 'erase_workspace'; workspace: LeavingWorkspace; reason: string; requestId?: string; response: HttpResponse }
  /**
   * The platform's word on a message the bridge sent (a Twilio status callback): never a turn,
   * kept on that conversation's thread for a trace, then acknowledged.
   */
  | { type: 'delivery_status'; thread: { actorId: string; conversationId: string }; status: Omit<DeliveryStatus, 'at'>; response: HttpResponse }
  /**
   * A question about a thread as it stands (a Teams card refresh): answered from the thread's
   * record, read once; nothing stored, no turn, no Brek call.
   */
  | { type: 'thread_state'; thread: { actorId: string; conversationId: string }; answer: (thread: ThreadRecord | undefined) => HttpResponse }
  /** A bad body: a clear 4xx, nothing stored. */
  | { type: 'reject'; status: 400 | 404 | 405 | 415 | 422; reason: string };

export interface ChannelIngress {
  channel: Channel;
  /** Authenticity first: nothing parsed from an unverified request is acted on. */
  verify(request: HttpRequest, now: number): Verdict | Promise<Verdict>;
  normalize(request: HttpRequest, now: number): Normalized;
  /** The answer once the turn is stored (or found already stored). */
  acknowledge(outcome: 'accepted' | 'duplicate', turn: InboundTurn): HttpResponse;
}

export interface IngressDeps {
  inbox: Pick<InboxStore, 'accept' | 'noteDeliveryStatus' | 'requestWorkspaceErase'> & Partial<Pick<InboxStore, 'thread'>>;
  logger: Logger;
  now?: () => number;
  /**
   * The local stack's stand-in for the table stream: the stored record, handed to its worker.
   * Duplicates too: a message stored by an earlier delivery whose answer was lost (the platform
   * re-delivered it) may have no worker on it yet — deployed, the stream has it regardless.
   */
  onStored?: (record: InboxRecord, outcome: 'accepted' | 'duplicate') => void;
  /** The local stack's stand-in for the stream, for a workspace's erase request (newly stored only). */
  onEraseRequested?: (request: WorkspaceEraseRecord) => void;
  /** Counts accepted, duplicate and forged requests per channel; the caller flushes. */
  metrics?: BridgeMetrics;
}

export async function handleIngress(request: HttpRequest, ingress: ChannelIngress, deps: IngressDeps): Promise<HttpResponse> {
  const now = (deps.now ?? Date.now)();
  const log = deps.logger.child({ channel: ingress.channel });
  if (request.method !== 'POST') return json(405, { error: 'method_not_allowed', message: 'Use POST.' }, { allow: 'POST' });
  if (request.body.length > MAX_BODY_BYTES) return json(413, { error: 'payload_too_large', message: 'Bodies over 1 MiB are refused.' });

  let verdict: Verdict;
  try {
    verdict = await ingress.verify(request, now);
  } catch (error) {
    verdict = { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  if (!verdict.ok) {
    deps.metrics?.add(METRIC.signatureRejected, 1, { channel: ingress.channel });
    log.warn('request rejected: not authentic', { reason: verdict.reason });
    return json(401, { error: 'unauthorized', message: 'Request signature could not be verified.' });
  }

  let normalized: Normalized;
  try {
    normalized = ingress.normalize(request, now);
  } catch (error) {
    // A body that breaks the parser is the sender's fault, never a 5xx that invites retries.
    log.warn('request rejected: unreadable body', { error });
    return json(400, { error: 'bad_request', message: 'The request body could not be read.' });
  }
  if (normalized.type === 'reject') {
    log.warn('request rejected', { status: normalized.status, reason: normalized.reason });
    return json(normalized.status, { error: 'bad_request', message: normalized.reason });
  }
  if (normalized.type === 'erase_workspace') {
    // Stored and acknowledged: the erase itself (any size) is the worker's, never the platform's wait.
    const { outcome, record } = await deps.inbox.requestWorkspaceErase({
      channel: ingress.channel,
      workspace: normalized.workspace,
      reason: normalized.reason,
      ...(normalized.requestId ? { requestId: normalized.requestId } : {}),
    });
    log.info('workspace left: erase requested', { reason: normalized.reason, workspaceId: normalized.workspace.workspaceId, outcome });
    if (outcome === 'accepted') deps.onEraseRequested?.(record);
    return normalized.response;
  }
  if (normalized.type === 'delivery_status') {
    const kept = await deps.inbox.noteDeliveryStatus(normalized.thread, { ...normalized.status, at: now });
    if (normalized.status.status === 'failed' || normalized.status.status === 'undelivered') {
      deps.metrics?.add(METRIC.deliveryFailed, 1, { channel: ingress.channel, code: normalized.status.errorCode ?? 'none' });
    }
    log.info('delivery status received', { messageId: normalized.status.messageId, status: normalized.status.status, ...(normalized.status.errorCode ? { errorCode: normalized.status.errorCode } : {}), kept });
    return normalized.response;
  }
  if (normalized.type === 'thread_state') {
    const thread = await deps.inbox.thread?.(normalized.thread);
    return normalized.answer(thread);
  }
  if (normalized.type === 'respond') {
    if (normalized.note) log.debug('request answered without a turn', { note: normalized.note });
    return normalized.response;
  }

  const turn = normalized.turn;
  const { outcome, record } = await deps.inbox.accept(turn);
  log.info(outcome === 'accepted' ? 'turn accepted' : 'duplicate delivery acknowledged', {
    channelMessageId: turn.channelMessageId,
    actorId: turn.actorId,
  });
  deps.metrics?.add(outcome === 'accepted' ? METRIC.inboundAccepted : METRIC.inboundDuplicate, 1, { channel: ingress.channel });
  deps.onStored?.(record, outcome);
  return ingress.acknowledge(outcome, turn);
}
