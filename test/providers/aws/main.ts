// pulumi-resource-aws, the test double: a resource plugin the Pulumi engine launches (through
// test/providers/bin/pulumi-resource-aws) so the AWS stacks' programs can run `up`, `preview`, `refresh`
// and `destroy` through the real engine without an AWS account. Nothing is created anywhere: an object
// exists only in Pulumi's state, with the ID and outputs AWS would give it. It reports the @pulumi/aws
// version package-lock.json installs.
//
// Assumptions, and where they come from:
// - Types and functions: exactly those components/aws/*.ts use (resources.ts AWS_TYPES and
//   invokeResult); anything else fails check (or invoke) naming the type, so a new resource in the
//   program cannot pass unnoticed.
// - IDs and outputs follow AWS's shapes (`vpc-` + 17 hex, `subnet-`, `sg-`, `sgr-`, `igw-`, `nat-`,
//   `eipalloc-`, `rtb-`, `rtbassoc-`, route `r-<table><digits>`; ARNs for load balancers, target groups,
//   listeners (ID = ARN, as in terraform-provider-aws), ECS clusters/services/task definitions, IAM
//   roles, ECR repositories (ID = name, repositoryUrl `<account>.dkr.ecr.<region>.amazonaws.com/<name>`),
//   log groups and alarms). arnSuffix and dnsName as elbv2 reports them. The random parts derive from a
//   hash of the URN, so runs are repeatable; the account is 123456789012.
// - Region: the provider configuration's `region` (aws:region), else us-east-1. Zones `<region>a/b/c`,
//   zone IDs like `use1-az1`, partition `aws`.
// - Names: a missing autonamed `name` gets Pulumi's shape `<logical name>-<7 hex>` (stable here, random
//   in Pulumi), cut to the type's length limit (32 for load balancers and target groups).
// - Diff compares the old inputs with the new ones; a changed input updates in place except the ones
//   listed in `replaceOn`, which force a replacement: taken from terraform-provider-aws's ForceNew
//   attributes (load balancer name/internal/load_balancer_type checked in
//   internal/service/elbv2/load_balancer.go; VPC cidr_block, subnet vpc_id/cidr_block/availability_zone,
//   security group name/description/vpc_id, target group name/port/protocol/vpc_id/target_type, listener
//   load_balancer_arn, role name/path, policy attachment role/policy_arn, ECS service name/cluster/launch
//   type, names of clusters, repositories, log groups and alarms, from the same provider's schemas as
//   documented). A task definition is immutable: every change but tags replaces it. Never
//   delete-before-replace, as the real provider: a replaced object with a fixed name would clash in AWS,
//   which the double does not model (it keeps no registry of names).
// - Update keeps the computed outputs and takes the new inputs; read returns the state as given (no
//   drift: nothing changes behind Pulumi's back); delete does nothing.
// - CheckConfig and DiffConfig stay unimplemented (the engine accepts the configuration as given); the
//   real provider's credential checks are absent, by design.
import { serve } from '../serve';
import { awsProvider } from './provider';

await serve(awsProvider(), process.argv.slice(2));
