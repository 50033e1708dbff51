// The plain `pulumi` CLI on a project copy. The CLI built here has no Node.js language host (its Go
// module is not served; see the README), so the program Pulumi.yaml names is served the way the
// Automation API serves inline programs: its LanguageServer on loopback, handed to the CLI as --client.
// Everything else (flags, backend, plugins, output) is the CLI's own.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import type { PulumiFn } from '@pulumi/pulumi/automation';
import { inlineProgram } from '../../pipeline/engine/program';
import { ROOT } from '../mocks';

// grpc-js and the generated service come with @pulumi/pulumi; resolved through it, not declared by us.
const fromSdk = createRequire(createRequire(import.meta.url).resolve('@pulumi/pulumi'));
const grpc = fromSdk('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const langrpc = fromSdk('@pulumi/pulumi/proto/language_grpc_pb') as { LanguageRuntimeService: import('@grpc/grpc-js').ServiceDefinition };
// Internal to the SDK (its typings hide it), but it is what LocalWorkspace runs for inline programs.
const { LanguageServer } = fromSdk('@pulumi/pulumi/automation/server') as {
  LanguageServer: new (program: PulumiFn) => { onPulumiExit(hasError: boolean): void };
};

const ENV_SH = join(ROOT, 'test', 'providers', 'env.sh');

export async function pulumi(dir: string, args: string[], env: Record<string, string> = {}) {
  const server = new grpc.Server();
  const language = new LanguageServer(inlineProgram(dir));
  server.addService(langrpc.LanguageRuntimeService, language as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  try {
    const res = await execa('bash', ['-c', `. "${ENV_SH}" && exec pulumi "$@"`, 'pulumi', ...args, `--client=127.0.0.1:${port}`, '--non-interactive'], {
      cwd: dir,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: { PULUMI_HOME: join(dir, '.pulumi-home'), PULUMI_CONFIG_PASSPHRASE: '', ...env },
    });
    language.onPulumiExit(res.exitCode !== 0);
    return res;
  } finally {
    server.forceShutdown();
  }
}
