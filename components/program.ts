// The Pulumi program body: validate configuration, build one environment, return the stack outputs.
// index.ts runs it under the engine; `slipway plan` runs the same function under the SDK's mocks.
import * as pulumi from '@pulumi/pulumi';
import { loadRuntimeConfig, runtimeSecretValues } from '../stacks/runtime';
import type { SlipwayConfig, Slot } from '../stacks/schema';
import { configHash } from '../stacks/validate';
import { appConfigFor } from './appConfig';
import { AwsEnvironment } from './aws/environment';
import { DockerEnvironment } from './docker/environment';
import { idleSlotOf } from './slots';

/** What every stack exports. The pipeline reads these through the engine port. */
export interface StackOutputs {
  target: string;
  liveSlot: string;
  idleSlot: string;
  publicUrl: pulumi.Output<string>;
  testUrl: pulumi.Output<string>;
  blueArtifact: string;
  blueVersion: string;
  greenArtifact: string;
  greenVersion: string;
  configHash: string;
  /** Per slot, the CloudWatch alarms the pipeline reads as rollback signals (none on Docker). */
  alarmNames: pulumi.Output<Record<Slot, string[]>>;
  /** Where `slipway build` images are pushed for this environment (AWS only). */
  repositoryUrl: pulumi.Output<string>;
}

/** Builds the environment for an already validated configuration and the values of its app's secrets. */
export function defineEnvironment(config: SlipwayConfig, stack: string, secretValues: Record<string, string> = {}): StackOutputs {
  const appConfig = appConfigFor(config, secretValues);
  const env =
    config.target === 'aws'
      ? new AwsEnvironment(config.app.name, { config, stack, appConfig })
      : new DockerEnvironment(config.app.name, { config, stack, appConfig });
  return {
    target: config.target,
    liveSlot: config.release.live,
    idleSlot: idleSlotOf(config.release.live),
    publicUrl: env.publicUrl,
    testUrl: env.testUrl,
    // Empty string, not undefined: Pulumi drops undefined outputs and the pipeline reads all four.
    blueArtifact: config.release.blue.image ?? '',
    blueVersion: config.release.blue.version ?? '',
    greenArtifact: config.release.green.image ?? '',
    greenVersion: config.release.green.version ?? '',
    configHash: configHash(config),
    alarmNames:
      env instanceof AwsEnvironment
        ? pulumi.output({ blue: pulumi.all(env.alarmNames.blue), green: pulumi.all(env.alarmNames.green) })
        : pulumi.output({ blue: [], green: [] }),
    repositoryUrl: env instanceof AwsEnvironment ? env.repositoryUrl : pulumi.output(''),
  };
}

/** The whole program: an invalid configuration throws before any resource is registered. */
export function runProgram(): StackOutputs {
  const result = loadRuntimeConfig();
  if (!result.ok) throw new pulumi.RunError(`invalid stack configuration:\n${result.errors.join('\n')}`);
  return defineEnvironment(result.config, pulumi.getStack(), runtimeSecretValues(result.config));
}
