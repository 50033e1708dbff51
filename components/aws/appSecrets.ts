// The app's secrets on AWS: one Secrets Manager secret per slot that runs a release, holding that slot's
// values as JSON (`{"DATABASE_URL": "…"}`). The task definition hands each value to the container
// through `secrets` (`valueFrom: <arn>:NAME::`), never `environment`, and the task execution role may
// read exactly these secrets.
//
// Per slot, not per environment: ECS reads a secret whenever it starts a task (a scale-out, a replaced
// task), so one shared secret would change the live slot's values the moment a new one is written.
// Per slot, not per name: a slot that keeps its own configuration (components/appConfig.ts) may still
// need a name the current configuration dropped; its one secret keeps every key it was deployed with.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { SLOTS, type Slot } from '../../stacks/schema';

export interface AppSecretsArgs {
  /**
   * Per slot: `needed` when its tasks read a secret (it runs a release, and the configuration has
   * secrets or the slot keeps an older one that may have); `keep` when it keeps its own configuration,
   * so its secret's value is left as it is.
   */
  slots: Record<Slot, { needed: boolean; keep: boolean }>;
  /** Physical secret names, e.g. `slipway/shop/prod/blue`. */
  names: Record<Slot, string>;
  /** The current configuration's secret values, marked secret. */
  values: pulumi.Output<Record<string, string>>;
  /** Name of the task execution role, which gets `secretsmanager:GetSecretValue` on these secrets. */
  executionRole: pulumi.Input<string>;
  /** Tags per slot. */
  tags: Record<Slot, Record<string, string>>;
}

/** The execution role's only permission here: reading these secrets' values, nothing else. */
export function secretsReadPolicy(arns: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [...arns] }],
  });
}

/** `arn…:secret:name-AbCdEf:NAME::` — one JSON key of a secret, at its current version. */
export function secretValueFrom(secretArn: string, name: string): string {
  return `${secretArn}:${name}::`;
}

export class AppSecrets extends pulumi.ComponentResource {
  /** Each needing slot's secret ARN. */
  readonly arns: Partial<Record<Slot, pulumi.Output<string>>>;
  /** Each needing slot's secret value: its task definition is registered after it is written. */
  readonly written: Partial<Record<Slot, pulumi.Resource>>;
  /** The execution role's read policy: services start tasks only once it exists. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:AppSecrets', name, {}, opts);
    this.arns = {};
    this.written = {};
    for (const slot of SLOTS.filter((s) => args.slots[s].needed)) {
      const secret = new aws.secretsmanager.Secret(
        `${name}-${slot}`,
        {
          name: args.names[slot],
          description: `Secret environment variables of the ${slot} slot (JSON, one key per variable)`,
          // Deleted at once, not after a recovery window: the values live in the stack file, and the name
          // must be free again when the slot needs a secret next.
          recoveryWindowInDays: 0,
          tags: args.tags[slot],
        },
        { parent: this },
      );
      const version = new aws.secretsmanager.SecretVersion(
        `${name}-${slot}-value`,
        { secretId: secret.id, secretString: args.values.apply((v) => JSON.stringify(v)) },
        { parent: this, ...(args.slots[slot].keep ? { ignoreChanges: ['secretString'] } : {}) },
      );
      this.arns[slot] = secret.arn;
      this.written[slot] = version;
    }
    const arns = Object.values(this.arns);
    this.ready =
      arns.length === 0
        ? []
        : [
            new aws.iam.RolePolicy(
              `${name}-read`,
              { name: 'read-app-secrets', role: args.executionRole, policy: pulumi.all(arns).apply(secretsReadPolicy) },
              { parent: this },
            ),
          ];
    this.registerOutputs({ arns: this.arns });
  }
}
