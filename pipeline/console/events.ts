// What the console tells people about, and the port that tells them: the job runner calls `notify`
// when a deployment it started becomes ready, fails, or waits for approval; the notifications module
// (mail over SMTP, signed webhooks) implements it. Plain data, so both sides are tested apart.

/** Why someone is being told. */
export type NotificationKind = 'ready' | 'failed' | 'awaiting-approval';

export interface DeploymentNotice {
  kind: NotificationKind;
  stack: string;
  /** Ledger deployment id, e.g. `d-20261201-130448-75b1`. */
  deployment: string;
  version: string;
  /** Image digest (`sha256:…`). */
  digest: string;
  /** The signed-in user who asked for the deployment. */
  requester: string;
  /** The stack's `promotion.approvers` (who may approve); empty unless kind is `awaiting-approval`. */
  approvers: string[];
  /** The environment's public URL (the app), when known. */
  appUrl?: string;
  /** The console page of this deployment (absolute URL). */
  consoleUrl: string;
  /** One line: why it failed, when kind is `failed`. */
  reason?: string;
  /** ISO time the pipeline reported the outcome. */
  at: string;
}

export interface Notifier {
  /** Sends every notification this notice calls for; never throws (failures are reported through `onError`). */
  notify(notice: DeploymentNotice): Promise<void>;
}

export const silentNotifier: Notifier = { notify: async () => {} };
