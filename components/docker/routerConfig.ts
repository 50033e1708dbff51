// The router's routes as their own resource, so a switch is an in-place update of this resource and
// neither the router container nor a slot container is recreated. Docker provider container fields are
// replace-on-change (uploads included), hence a dynamic resource that applies the routes to the running
// HAProxy through its runtime API: no reload, no connection closed, requests in flight finish.
import * as pulumi from '@pulumi/pulumi';
import { renderRoutes, routeCommands, type Routes } from './haproxyConfig';

/** The runtime API, on the router container's own loopback: nothing outside the container reaches it. */
export const RUNTIME_API = { host: '127.0.0.1', port: 9999 } as const;

/** The routes map, beside the official image's haproxy.cfg. */
export const ROUTES_PATH = '/usr/local/etc/haproxy/routes.map';

/** How long the install waits for the runtime API (a router that just started) before it fails. */
export const RUNTIME_API_TIMEOUT_SECONDS = 10;

/**
 * The command that applies the routes map read from stdin to `container`: `commands` (see
 * routeCommands) go to the runtime API on `apiPort`, whose answer ends with the map HAProxy now holds;
 * only when that map holds every line of the new file does the file replace the old one (atomically,
 * so a restarted router starts with the routes it served). A failed switch changes neither. The answer
 * is printed for the provider to check again. Runs as root because the official image's files belong
 * to root while HAProxy runs as its own user. Needs bash (its /dev/tcp) in the image: the official
 * Debian-based haproxy images have it; they have neither socat nor nc.
 */
export function installRoutesCommand(container: string, routesFile: string, commands: string, apiPort: number): string[] {
  const tries = RUNTIME_API_TIMEOUT_SECONDS * 10;
  const script = [
    'cat > "$1.next" || exit 1',
    'n=0',
    `until { exec 3<>"/dev/tcp/127.0.0.1/$3"; } 2>/dev/null; do n=$((n+1)); if [ $n -ge ${tries} ]; then rm -f "$1.next"; ` +
      `echo "the HAProxy runtime API on 127.0.0.1:$3 did not answer within ${RUNTIME_API_TIMEOUT_SECONDS}s" >&2; exit 1; fi; sleep 0.1; done`,
    'printf "%s\\n" "$2" >&3',
    `answer=; while :; do IFS= read -r -t ${RUNTIME_API_TIMEOUT_SECONDS} line <&3; rc=$?; [ $rc -eq 0 ] || break; answer+="$line"$'\\n'; done`,
    `if [ $rc -gt 128 ]; then rm -f "$1.next"; echo "the HAProxy runtime API on 127.0.0.1:$3 accepted the connection but did not answer within ${RUNTIME_API_TIMEOUT_SECONDS}s" >&2; exit 1; fi`,
    'printf "%s" "$answer"',
    // `show map` lines are `0x… key value`: every `key value` of the file must be one of them.
    'while read -r k v; do [ -z "$k" ] && continue; case "$answer" in *" $k $v"$\'\\n\'*) ;; ' +
      '*) rm -f "$1.next"; echo "HAProxy does not hold $k -> $v after the change" >&2; exit 1;; esac; done < "$1.next"',
    'mv "$1.next" "$1"',
  ].join('\n');
  return ['docker', 'exec', '-i', '-u', '0', container, 'bash', '-c', script, 'slipway-routes', routesFile, commands, String(apiPort)];
}

export interface RouterConfigArgs {
  /** ID of the running router container; a new container gets the routes applied again (replace). */
  container: pulumi.Input<string>;
  /** What each route serves (see routesFor). Changing only this updates in place: a switch. */
  routes: Routes;
}

/** What the provider receives (and stores as state): plain values, no closures over this module. */
export interface RouterConfigState {
  container: string;
  routes: Routes;
  routesText: string;
  command: string[];
}

/**
 * Applies the routes to the running router container.
 * Type token: `pulumi-nodejs:dynamic/slipway:RouterConfig`.
 */
export class RouterConfig extends pulumi.dynamic.Resource {
  declare readonly container: pulumi.Output<string>;
  declare readonly routes: pulumi.Output<Routes>;

  constructor(name: string, args: RouterConfigArgs, opts?: pulumi.CustomResourceOptions) {
    // The map text and the command are computed here, so the serialized provider needs nothing else.
    const command = pulumi
      .output(args.container)
      .apply((id) => installRoutesCommand(id, ROUTES_PATH, routeCommands(ROUTES_PATH, args.routes), RUNTIME_API.port));
    const inputs = { container: args.container, routes: args.routes, routesText: renderRoutes(args.routes), command };
    super(routerConfigProvider(), name, inputs, opts, 'slipway', 'RouterConfig');
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
    const fail = (why: string) => new Error(`router config: applying routes to container ${s.container} failed: ${why}`);
    const stdout = await new Promise<string>((resolve, reject) => {
      const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      // A backstop: the script bounds its own waits; docker exec itself might not return.
      const limitS = 60;
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(fail(`no answer within ${limitS}s`));
      }, limitS * 1000);
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', (e) => {
        clearTimeout(timer);
        reject(fail(`cannot run ${bin}: ${e.message}`));
      });
      p.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) return resolve(out);
        const hint = /executable file not found|no such file/i.test(err) ? ' (the router image needs bash: use an official Debian-based haproxy image)' : '';
        reject(fail(`exit ${code}: ${err.trim().split('\n').slice(-3).join(' ')}${hint}`));
      });
      p.stdin.end(s.routesText);
    });
    // The runtime API ends its answer with the map it now holds; anything else is an error it reported.
    const held: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const m = /^0x[0-9a-f]+ (\S+) (\S+)$/.exec(line.trim());
      if (m) held[m[1]!] = m[2]!;
    }
    for (const [route, backend] of Object.entries(s.routes)) {
      if (held[route] !== backend) {
        throw fail(`HAProxy holds ${route} -> ${held[route] ?? 'nothing'}, not ${backend}; its answer: ${JSON.stringify(stdout.trim().slice(0, 300))}`);
      }
    }
  };
  const state = (s: RouterConfigState): RouterConfigState => ({ container: s.container, routes: s.routes, routesText: s.routesText, command: s.command });
  return {
    async diff(_id, olds, news) {
      const replace = olds.container !== news.container;
      const changed = replace || JSON.stringify(state(olds)) !== JSON.stringify(state(news));
      return { changes: changed, replaces: replace ? ['container'] : [], deleteBeforeReplace: false };
    },
    async create(inputs) {
      await install(inputs);
      return { id: `${inputs.container}:routes`, outs: state(inputs) };
    },
    async update(_id, _olds, news) {
      await install(news);
      return { outs: state(news) };
    },
    // Nothing to undo: the map lives and dies with the router container.
    async delete() {},
  };
}
