import * as pulumi from '@pulumi/pulumi';
import type { DockerConfig } from '../../stacks/schema';

export interface DockerEnvironmentArgs {
  config: DockerConfig;
  stack: string;
}

export class DockerEnvironment extends pulumi.ComponentResource {
  readonly publicUrl: pulumi.Output<string>;
  readonly testUrl: pulumi.Output<string>;
  constructor(name: string, args: DockerEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:docker:Environment', name, {}, opts);
    this.publicUrl = pulumi.output('http://todo');
    this.testUrl = pulumi.output('http://todo');
    this.registerOutputs({ publicUrl: this.publicUrl, testUrl: this.testUrl });
  }
}
