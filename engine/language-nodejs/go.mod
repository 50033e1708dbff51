// The Node.js language host, built beside the CLI by npm run engine:build when the module proxy
// serves it. Its module has no tags of its own, so it is required at the pseudo-version of the commit
// behind the SDK's release tag (v3.248.0 = a88168d865b7, committed 2026-06-24 12:07:34 UTC). Its own
// replace directives point at the repository's pkg and sdk folders; here they pin the same release.
// No go.sum is kept: the build resolves it with -mod=mod, and a refusal is reported, not fatal.
module slipway.local/engine/language-nodejs

go 1.25.11

replace (
	github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
	github.com/pulumi/pulumi/pkg/v3 => github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

tool github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3

require github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20260624120734-a88168d865b7
