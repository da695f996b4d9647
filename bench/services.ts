// The bench's remote services in a process of their own — DynamoDB (dynalite) and Brek (the
// sandbox) — as they are separate services when deployed, so the bridge's process (ingress
// routes, worker, fake channel APIs) does not pay their CPU. Prints one JSON line with their URLs,
// then serves until stdin closes or it is killed.
import { startLocalDynamo } from '../dev/local-dynamo.ts';
import { sandboxConfigFromEnv } from '../sandbox/config.ts';
import { startSandbox } from '../sandbox/server.ts';

const dynamo = await startLocalDynamo();
const sandbox = await startSandbox(sandboxConfigFromEnv({ ...process.env, BREK_SANDBOX_PORT: '0' }));
process.stdout.write(`${JSON.stringify({ dynamoEndpoint: dynamo.endpoint, brekUrl: sandbox.url })}\n`);
const stop = async () => {
  await Promise.all([dynamo.close(), sandbox.close()]);
  process.exit(0);
};
process.stdin.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
process.stdin.resume();
