// The router's nginx.conf as its own resource, so a switch is an in-place update of this resource and
// neither the router container nor a slot container is recreated. Docker provider container fields are
// replace-on-change (uploads included), hence a dynamic resource that writes the file into the running
// router with the docker CLI and reloads nginx: old workers finish their requests, new ones take over.
import * as pulumi from '@pulumi/pulumi';

/** Where the router reads its configuration (the official image's default, so plain `nginx` finds it). */
export const ROUTER_CONF_PATH = '/etc/nginx/nginx.conf';

/** How long the install waits for the reload to take effect before it fails. */
export const RELOAD_TIMEOUT_SECONDS = 10;

/**
 * The command that installs the config read from stdin into `container` and reloads nginx: written
 * beside the live file, checked with `nginx -t`, renamed over it, then `nginx -s reload`. A config
 * nginx rejects never replaces the running one.
 *
 * `nginx -s reload` only signals the master, so the command then waits until none of the workers that
 * were accepting connections before still does (a draining worker retitles itself "… is shutting
 * down", then exits): once it returns, every new request gets the new config, which the checks right
 * after a switch rely on. A reload nginx does not carry out fails the command after
 * RELOAD_TIMEOUT_SECONDS. Only sh, cat and sleep are used, which every nginx image has.
 */
export function installConfigCommand(container: string, confPath = ROUTER_CONF_PATH): string[] {
  const next = `${confPath}.next`;
  const accepting = '[ "$(cat $c 2>/dev/null)" = "nginx: worker process" ]'; // $c: /proc/<pid>/cmdline
  const tries = RELOAD_TIMEOUT_SECONDS * 10;
  const script = [
    `cat > ${next}`,
    `if ! nginx -t -q -c ${next}; then rm -f ${next}; exit 1; fi`,
    `mv ${next} ${confPath}`,
    `old=$(for c in /proc/[0-9]*/cmdline; do ${accepting} && echo $c; done; true)`,
    'nginx -s reload',
    'n=0',
    `while :; do busy=; for c in $old; do ${accepting} && busy=1; done; [ -z "$busy" ] && break; ` +
      `n=$((n+1)); if [ $n -ge ${tries} ]; then echo "nginx did not apply the new config within ${RELOAD_TIMEOUT_SECONDS}s: ` +
      `its old workers still accept connections" >&2; exit 1; fi; sleep 0.1; done`,
  ].join(' && ');
  return ['docker', 'exec', '-i', container, 'sh', '-c', script];
}

export interface RouterConfigArgs {
  /** ID of the running router container; a new container gets the config written again (replace). */
  container: pulumi.Input<string>;
  /** The complete nginx.conf (see renderNginxConfig). Changing only this updates in place. */
  config: pulumi.Input<string>;
}

/** What the provider receives (and stores as state): plain values, no closures over this module. */
export interface RouterConfigState {
  container: string;
  config: string;
  /** argv of installConfigCommand: computed here, so the serialized provider needs nothing else. */
  command: string[];
}

/**
 * Writes the router's nginx.conf into the running router container and reloads it.
 * Type token: `pulumi-nodejs:dynamic/slipway:RouterConfig`.
 */
export class RouterConfig extends pulumi.dynamic.Resource {
  declare readonly container: pulumi.Output<string>;
  declare readonly config: pulumi.Output<string>;

  constructor(name: string, args: RouterConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const command = pulumi.output(args.container).apply((id) => installConfigCommand(id));
    super(routerConfigProvider(), name, { container: args.container, config: args.config, command }, opts, 'slipway', 'RouterConfig');
  }
}

/**
 * Pulumi serializes these functions into the state and runs them in its dynamic-provider host, so
 * they use only their arguments and globals: the docker CLI is reached through `process`, not through
 * an import of this module (the host has no module scope to offer).
 */
export function routerConfigProvider(): pulumi.dynamic.ResourceProvider<RouterConfigState, RouterConfigState> {
  const install = async (s: RouterConfigState): Promise<void> => {
    const { spawn } = process.getBuiltinModule('node:child_process');
    const [bin, ...args] = s.command;
    if (!bin) throw new Error('router config: empty install command');
    await new Promise<void>((resolve, reject) => {
      const p = spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', (e) => reject(new Error(`router config: cannot run ${bin}: ${e.message}`)));
      p.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`router config: installing nginx.conf into container ${s.container} failed (exit ${code}): ${stderr.trim()}`)),
      );
      p.stdin.end(s.config);
    });
  };
  const state = (s: RouterConfigState): RouterConfigState => ({ container: s.container, config: s.config, command: s.command });
  return {
    async diff(_id, olds, news) {
      const replace = olds.container !== news.container;
      const changed = replace || olds.config !== news.config || JSON.stringify(olds.command) !== JSON.stringify(news.command);
      return { changes: changed, replaces: replace ? ['container'] : [], deleteBeforeReplace: false };
    },
    async create(inputs) {
      await install(inputs);
      return { id: `${inputs.container}:nginx.conf`, outs: state(inputs) };
    },
    async update(_id, _olds, news) {
      await install(news);
      return { outs: state(news) };
    },
    // Nothing to undo: the file lives and dies with the router container.
    async delete() {},
  };
}
