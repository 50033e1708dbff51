// A local stand-in for the official nginx image, for tests against a real Docker engine with no
// registry: this machine's nginx binary, the libraries it links against, and the few programs the
// router's `docker exec` install command runs (sh, cat, mv, rm, sleep), imported as a one-layer image.
// Like the official image it reads /etc/nginx/nginx.conf, logs to the container's stdout/stderr and
// starts with `nginx -g 'daemon off;'` as its default command, which the router container relies on.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { imageExists, importRootfs, sharedLibraries, type BaseImage } from './docker';
import { NGINX_BIN } from './nginx';

/** Programs the router's install command (and a shell in the container) needs besides nginx. */
export const NGINX_IMAGE_TOOLS = ['sh', 'cat', 'mv', 'rm', 'sleep'] as const;

/** The official image's default command: nginx in the foreground as PID 1. */
export const NGINX_IMAGE_CMD = ['nginx', '-g', 'daemon off;'] as const;

/**
 * What the image serves when nothing replaced its nginx.conf: one port, a 404 that names itself, so
 * a test can tell "my config was not installed" from any answer the router gives.
 */
export const NGINX_IMAGE_DEFAULT_CONF = [
  'events {}',
  'http {',
  '  server {',
  '    listen 80;',
  '    location / { return 404 "default nginx.conf of the test image\\n"; }',
  '  }',
  '}',
  '',
].join('\n');

/**
 * The local nginx image, imported once and reused: tagged with the host's nginx version, so an nginx
 * upgrade gives a new image. Installs Debian's nginx first when it is missing (needs root).
 */
export async function ensureNginxImage(tag?: string): Promise<BaseImage> {
  await ensureHostNginx();
  const image = tag ?? `slipway-test/nginx:${await hostNginxVersion()}`;
  if (await imageExists(image)) return { image, created: false };

  const work = mkdtempSync(join(tmpdir(), 'slipway-nginx-image-'));
  try {
    const root = join(work, 'rootfs');
    const dir = (path: string, mode = 0o755) => {
      mkdirSync(join(root, path), { recursive: true });
      chmodSync(join(root, path), mode);
    };
    const put = (from: string, to: string) => {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      copyFileSync(from, join(root, to)); // follows symlinks: the real file under the linked name
    };
    const link = (target: string, path: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      symlinkSync(target, join(root, path));
    };

    const binaries: [string, string][] = [[NGINX_BIN, '/usr/sbin/nginx']];
    for (const tool of NGINX_IMAGE_TOOLS) binaries.push([await which(tool), `/bin/${tool}`]);
    const libs = new Set<string>();
    for (const [from, to] of binaries) {
      put(from, to);
      chmodSync(join(root, to), 0o755);
      for (const lib of await sharedLibraries(from)) libs.add(lib);
    }
    for (const lib of libs) put(lib, lib);

    // Run as root (no `user` directive), nginx's workers switch to its compiled-in user and group:
    // nobody/nogroup for Debian's build. glibc reads these files without an nsswitch.conf, but say so.
    dir('/etc/nginx');
    writeFileSync(join(root, 'etc/nginx/nginx.conf'), NGINX_IMAGE_DEFAULT_CONF);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');

    // The paths the router's config names (CONTAINER_RUNTIME) and Debian's compiled-in ones.
    dir('/run');
    dir('/run/lock');
    link('../run', '/var/run');
    link('../run/lock', '/var/lock');
    dir('/var/cache/nginx');
    dir('/var/lib/nginx');
    dir('/usr/share/nginx');
    dir('/var/log/nginx');
    // As in the official image: the logs are the container's output (`docker logs`).
    link('/dev/stdout', '/var/log/nginx/access.log');
    link('/dev/stderr', '/var/log/nginx/error.log');
    dir('/tmp', 0o1777);
    dir('/root', 0o700);

    await importRootfs(
      root,
      work,
      image,
      ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'EXPOSE 80', `CMD ${JSON.stringify(NGINX_IMAGE_CMD)}`],
      `nginx ${await hostNginxVersion()} from the test host`,
    );
    return { image, created: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `nginx/1.22.1` → `1.22.1`, from `nginx -v` (which prints on stderr). */
export async function hostNginxVersion(): Promise<string> {
  const r = await execa(NGINX_BIN, ['-v'], { reject: false });
  const m = /nginx\/(\S+)/.exec(`${r.stderr}\n${r.stdout}`);
  if (!m?.[1]) throw new Error(`cannot read the nginx version from \`${NGINX_BIN} -v\`: ${String(r.stderr || r.message).trim()}`);
  return m[1];
}

/** Installs Debian's nginx when the binary is missing; one clear error when that is impossible. */
async function ensureHostNginx(): Promise<void> {
  if (existsSync(NGINX_BIN)) return;
  const install = () =>
    execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx'], {
      reject: false,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  let r = await install();
  if (r.exitCode !== 0) {
    await execa('apt-get', ['update', '-qq'], { reject: false });
    r = await install();
  }
  if (r.exitCode !== 0 || !existsSync(NGINX_BIN)) {
    const why = String(r.stderr || r.message).trim().split('\n').pop();
    throw new Error(`nginx is not at ${NGINX_BIN} and \`apt-get install -y nginx\` failed (${why}); install it as root or set NGINX_BIN`);
  }
}

async function which(program: string): Promise<string> {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (existsSync(join(dir, program))) return join(dir, program);
  }
  throw new Error(`${program} not found in /usr/bin, /bin, /usr/sbin or /sbin: the nginx test image needs it`);
}
