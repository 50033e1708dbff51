// Free TCP ports on 127.0.0.1 for servers a test starts (or has Docker publish) a moment later.
// Picked below Linux's ephemeral range (32768-60999), where the kernel hands out the source ports of
// outgoing connections, so a port found free is not taken by some client before the server binds it;
// held open until all `n` are found, so they are distinct.
import { createServer, type Server } from 'node:net';

const LOW = 20000;
const HIGH = 32000;

export async function freePorts(n: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > 200) throw new Error(`no ${n} free ports between ${LOW} and ${HIGH} on 127.0.0.1 after 200 tries`);
      const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
      if (ports.includes(port)) continue;
      const srv = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) {
        held.push(srv);
        ports.push(port);
      }
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
