// A workspace that left (Slack's app_uninstalled or tokens_revoked): its installation and every
// item of its travellers are erased — off the acknowledgement's path. The ingress stores one
// request (its single write) and answers at once; the table's stream hands the request to the
// worker, which removes the installation (the channel's part) and deletes the travellers' items
// page by page from the owner index (store/erase.ts). A run that nears its time limit stores the
// next part of the request and ends; the stream hands that part on, so an erase of any size is
// finished in as many runs as it needs, each one bounded, and a run that fails is retried by the
// stream like a turn (deleting what is already gone is harmless).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import type { Installations, LeavingWorkspace } from './channel.ts';
import type { Channel } from './identity.ts';
import type { Logger } from './log.ts';
import { METRIC, type BridgeMetrics } from './metrics.ts';
import { eraseWorkspaceItems } from './store/erase.ts';
import { epochSeconds, ERASE_SK_PREFIX, type ItemKey } from './store/table.ts';

/** A request is deleted when its run ends; the TTL only bounds one an operator left behind. */
const REQUEST_TTL_MS = 7 * 24 * 3_600_000;

export interface WorkspaceEraseRecord extends ItemKey {
  type: 'erase_workspace';
  channel: Channel;
  workspace: LeavingWorkspace;
  /** The platform's reason (`app_uninstalled`, `tokens_revoked`). */
  reason: string;
  requestedAt: string;
  /** 0 for the request as stored by the ingress; each continuation the next number. */
  part: number;
  /** Items deleted by the parts before this one. */
  deletedBefore: number;
  expiresAt: number;
}

/** The actor-id prefix of a workspace's travellers: `slack:T123:` (core/identity.ts builds them so). */
function workspaceActorPrefix(channel: Channel, workspace: LeavingWorkspace): string {
  return `${channel}:${workspace.workspaceId}:`;
}

function requestKey(channel: Channel, workspace: LeavingWorkspace, requestId: string, part: number): ItemKey {
  return { pk: `ERASE#${workspaceActorPrefix(channel, workspace)}`, sk: `${ERASE_SK_PREFIX}${requestId}#${part}` };
}

/**
 * The ingress's one write for a workspace that left. `requestId` is the platform's event id, so a
 * re-delivered event finds its request already stored (`duplicate`) and is simply acknowledged.
 */
export async function requestWorkspaceErase(
  db: DynamoDBDocumentClient,
  tableName: string,
  request: { channel: Channel; workspace: LeavingWorkspace; reason: string; requestId?: string },
  now: number = Date.now(),
): Promise<{ outcome: 'accepted' | 'duplicate'; record: WorkspaceEraseRecord }> {
  const requestId = request.requestId?.replace(/[^\w.-]/g, '').slice(0, 100) || randomBytes(9).toString('base64url');
  const record: WorkspaceEraseRecord = {
    ...requestKey(request.channel, request.workspace, requestId, 0),
    type: 'erase_workspace',
    channel: request.channel,
    workspace: request.workspace,
    reason: request.reason,
    requestedAt: new Date(now).toISOString(),
    part: 0,
    deletedBefore: 0,
    expiresAt: epochSeconds(now + REQUEST_TTL_MS),
  };
  return { outcome: (await putOnce(db, tableName, record)) ? 'accepted' : 'duplicate', record };
}

async function putOnce(db: DynamoDBDocumentClient, tableName: string, record: WorkspaceEraseRecord): Promise<boolean> {
  try {
    await db.send(new PutCommand({ TableName: tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (error) {
    // Stored already (a re-delivery, or this very write retried after its answer was lost): the
    // stream has it either way.
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export interface WorkspaceEraseDeps {
  db: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  metrics?: BridgeMetrics;
  /** The channel's installations: the workspace's credential removed, cached tokens forgotten. */
  installations?: Partial<Record<Channel, Installations>>;
  /** Epoch ms after which a run stores its continuation and ends (the worker's time limit, less a margin). */
  deadline?: () => number | undefined;
  /** The local stack, which has no stream: handed each continuation to run next. */
  onContinued?: (next: WorkspaceEraseRecord) => void;
  /** Items per Query page; DynamoDB's own 1 MB pages when unset. */
  pageSize?: number;
  now?: () => number;
}

/** One run of an erase request: the installation, then the travellers' items until done or out of time. */
export async function runWorkspaceErase(request: WorkspaceEraseRecord, deps: WorkspaceEraseDeps): Promise<{ deleted: number; done: boolean }> {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ channel: request.channel, workspaceId: request.workspace.workspaceId, reason: request.reason, part: request.part });
  // First, so no turn of this workspace is answered (or sent to Brek) while its items go; once, by
  // the request's first part (a retry of that part does it again, which is harmless).
  if (request.part === 0) await deps.installations?.[request.channel]?.uninstall(request.workspace, request.reason);
  const deadline = deps.deadline?.();
  const { deleted, done } = await eraseWorkspaceItems(deps.db, deps.tableName, workspaceActorPrefix(request.channel, request.workspace), {
    ...(deadline === undefined ? {} : { deadline }),
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    now,
    logger: log,
  });
  deps.metrics?.add(METRIC.workspaceItemsErased, deleted, { channel: request.channel });
  const total = request.deletedBefore + deleted;
  if (!done) {
    const next: WorkspaceEraseRecord = {
      ...request,
      sk: request.sk.replace(/#\d+$/, `#${request.part + 1}`),
      part: request.part + 1,
      deletedBefore: total,
      expiresAt: epochSeconds(now() + REQUEST_TTL_MS),
    };
    await putOnce(deps.db, deps.tableName, next);
    log.info('workspace erase continues in another run', { itemsDeleted: deleted, itemsDeletedSoFar: total });
    deps.onContinued?.(next);
  } else log.info('workspace erased', { itemsDeleted: total, parts: request.part + 1 });
  // The request goes too once it is done (or handed on): nothing of the workspace is left behind.
  // A delete is not an insert, so the stream does not hand it to the worker again.
  await deps.db.send(new DeleteCommand({ TableName: deps.tableName, Key: { pk: request.pk, sk: request.sk } }));
  return { deleted, done };
}
