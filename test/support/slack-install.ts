// The deployed install function (functions/slack-oauth.ts) loaded as Lambda would run it: its
// variables stubbed (a local table, a fake Slack and a fake KMS), the module imported afresh, and
// function-URL events built for it. The caller ends with `vi.unstubAllEnvs()`.
import { vi } from 'vitest';
import type { FakeSlack } from '../../dev/fakes/slack.ts';

export interface InstallFunctionSetup {
  tableName: string;
  dynamoEndpoint: string;
  slack: FakeSlack;
  stateSecret: string;
  redirectUri: string;
  kms: { keyId: string; endpoint: string };
  /** The Host header of every event (the function URL's). */
  host: string;
}

/** Distribution's variables for an app registered with the fake Slack. */
export function fakeSlackDistribution(slack: FakeSlack, stateSecret: string): Record<string, string> {
  return {
    SLACK_CLIENT_ID: slack.oauth.clientId,
    SLACK_CLIENT_SECRET: slack.oauth.clientSecret,
    SLACK_STATE_SECRET: stateSecret,
    SLACK_API_URL: slack.apiUrl.replace(/\/$/, ''),
    SLACK_OAUTH_AUTHORIZE_URL: slack.oauth.authorizeUrl,
  };
}

export async function loadInstallFunction(setup: InstallFunctionSetup) {
  const env = {
    TABLE_NAME: setup.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: setup.dynamoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...fakeSlackDistribution(setup.slack, setup.stateSecret),
    SLACK_REDIRECT_URI: setup.redirectUri,
    INSTALLATION_KMS_KEY_ID: setup.kms.keyId,
    AWS_ENDPOINT_URL_KMS: setup.kms.endpoint,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const { handler } = await import('../../functions/slack-oauth.ts');
  const event = (path: string, query = '', cookies?: string[]) => ({
    rawPath: path,
    rawQueryString: query,
    headers: { host: setup.host },
    ...(cookies ? { cookies } : {}),
    requestContext: { http: { method: 'GET', path } },
  });
  return { handler, event };
}
