import * as pulumi from '@pulumi/pulumi';
import type { AwsConfig } from '../../stacks/schema';

export interface AwsEnvironmentArgs {
  config: AwsConfig;
  stack: string;
}

export class AwsEnvironment extends pulumi.ComponentResource {
  readonly publicUrl: pulumi.Output<string>;
  readonly testUrl: pulumi.Output<string>;
  constructor(name: string, args: AwsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Environment', name, {}, opts);
    this.publicUrl = pulumi.output('http://todo');
    this.testUrl = pulumi.output('http://todo');
    this.registerOutputs({ publicUrl: this.publicUrl, testUrl: this.testUrl });
  }
}
