// A local stand-in for the official haproxy image, for tests against a real Docker engine with no
// registry: this machine's haproxy binary (Debian's), the libraries it links against, and the programs
// the router's `docker exec` install command runs (bash, cat, mv, rm, sleep), imported as a one-layer image.
// Like the official image it reads /usr/local/etc/haproxy/haproxy.cfg, runs HAProxy as the
// unprivileged user `haproxy` in master-worker mode in the foreground and logs to the container's
// output. (Its STOPSIGNAL, SIGUSR1, `docker import` cannot set; the router container sets it itself.)
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { imageExists, importRootfs, sharedLibraries, type BaseImage } from './docker';
import { ensureHostHaproxy, HAPROXY_BIN, hostHaproxyVersion } from './haproxy';

/** Programs the router's install command (and a shell in the container) needs besides haproxy. */
export const HAPROXY_IMAGE_TOOLS = ['bash', 'sh', 'cat', 'mv', 'rm', 'sleep'] as const;

/** Bumped whenever the image's contents change (a tool added), so a stale local image is not reused. */
const LAYOUT = 2;

/** What the official image runs (its entrypoint adds `-W -db` to `haproxy -f …`). */
export const HAPROXY_IMAGE_CMD = ['haproxy', '-W', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg'] as const;

/** The official image's user and group id for `haproxy`. */
const HAPROXY_UID = 99;

/**
 * What the image serves when nothing replaced its haproxy.cfg: one port, a 404 that names itself, so
 * a test can tell "my config was not installed" from any answer the router gives.
 */
export const HAPROXY_IMAGE_DEFAULT_CONF = [
  'defaults',
  '  mode http',
  '  timeout connect 1s',
  '  timeout client 5s',
  '  timeout server 5s',
  'frontend default',
  '  bind :8080',
  '  http-request return status 404 content-type text/plain string "default haproxy.cfg of the test image"',
  '',
].join('\n');

/**
 * The local haproxy image, imported once and reused: tagged with the host's haproxy version, so an
 * upgrade gives a new image. Installs Debian's haproxy first when it is missing (needs root).
 */
export async function ensureHaproxyImage(tag?: string): Promise<BaseImage> {
  await ensureHostHaproxy();
  const image = tag ?? `slipway-test/haproxy:${await hostHaproxyVersion()}-${LAYOUT}`;
  if (await imageExists(image)) return { image, created: false };

  const work = mkdtempSync(join(tmpdir(), 'slipway-haproxy-image-'));
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

    const binaries: [string, string][] = [[HAPROXY_BIN, '/usr/local/sbin/haproxy']];
    for (const tool of HAPROXY_IMAGE_TOOLS) binaries.push([await which(tool), `/bin/${tool}`]);
    const libs = new Set<string>();
    for (const [from, to] of binaries) {
      put(from, to);
      chmodSync(join(root, to), 0o755);
      for (const lib of await sharedLibraries(from)) libs.add(lib);
    }
    for (const lib of libs) put(lib, lib);

    dir('/usr/local/etc/haproxy');
    dir('/etc');
    writeFileSync(join(root, 'usr/local/etc/haproxy/haproxy.cfg'), HAPROXY_IMAGE_DEFAULT_CONF);
    writeFileSync(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nhaproxy:x:${HAPROXY_UID}:${HAPROXY_UID}::/var/lib/haproxy:/bin/false\n`);
    writeFileSync(join(root, 'etc/group'), `root:x:0:\nhaproxy:x:${HAPROXY_UID}:\n`);
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    dir('/var/lib/haproxy');
    dir('/run');
    dir('/tmp', 0o1777);
    dir('/root', 0o700);

    await importRootfs(
      root,
      work,
      image,
      [
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        `USER ${HAPROXY_UID}`,
        'WORKDIR /var/lib/haproxy',
        `CMD ${JSON.stringify(HAPROXY_IMAGE_CMD)}`,
      ],
      `haproxy ${await hostHaproxyVersion()} from the test host`,
    );
    return { image, created: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function which(program: string): Promise<string> {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (existsSync(join(dir, program))) return join(dir, program);
  }
  const r = await execa('sh', ['-c', `command -v ${program}`], { reject: false });
  if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new Error(`${program} not found in /usr/bin, /bin, /usr/sbin or /sbin: the haproxy test image needs it`);
}
