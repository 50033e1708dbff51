// A deployment notice for the notification tests, and the users the console would know.
import type { DeploymentNotice } from '../../pipeline/console/events';

export const DIGEST = `sha256:${'4f'.repeat(32)}`;

export function notice(more: Partial<DeploymentNotice> = {}): DeploymentNotice {
  return {
    kind: 'ready',
    stack: 'staging',
    deployment: 'd-20261201-130448-75b1',
    version: '1.4.0',
    digest: DIGEST,
    requester: 'alice',
    approvers: [],
    appUrl: 'https://shop-staging.example.com',
    consoleUrl: 'https://console.example.com/deployments/d-20261201-130448-75b1',
    at: '2026-12-01T13:04:48.000Z',
    ...more,
  };
}

export const EMAILS: Record<string, string> = { alice: 'alice@example.com', bob: 'bob@example.com', carol: 'carol@example.com' };
export const emailOf = (user: string): string | undefined => EMAILS[user];
