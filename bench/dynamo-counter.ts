// Counts the DynamoDB requests a client sends, by command, with SDK middleware at the
// "initialize" step: one count per `send`, before retries (a retried call is still one request of
// the design; the retry middleware sits further down the stack).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoCounter {
  total(): number;
  byCommand(): Record<string, number>;
  reset(): void;
}

export function countRequests(client: DynamoDBDocumentClient, name: string): DynamoCounter {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // The document client's commands run under the low-level command's name (PutItemCommand…).
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: `benchCounter-${name}` },
  );
  return {
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    byCommand: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    reset: () => counts.clear(),
  };
}
