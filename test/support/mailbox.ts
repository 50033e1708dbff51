// A real SMTP server on 127.0.0.1 for tests (the smtp-server package, in-process): it receives what the
// code under test sends over a real socket and keeps each message with its envelope, decoded enough to
// assert on — subject, plain text and HTML parts. It can require a login, and refuse recipients.
//
//   const box = await startMailbox({ users: { slipway: 'pw' } });
//   afterAll(() => box.close());
//   … send to 127.0.0.1:box.port …
//   box.mails[0].subject
import { SMTPServer } from 'smtp-server';
import { freePort } from './ports';

export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM, RCPT TO). */
  from: string;
  to: string[];
  /** The user the client logged in as, if it did. */
  user?: string;
  /** The message as it came over the wire. */
  raw: string;
  /** Top-level headers, names lower-cased, folded lines joined. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  /** The text/html part, decoded ('' when none). */
  html: string;
}

export interface MailboxOptions {
  /** Require a login with one of these user → password pairs. Default: no login. */
  users?: Record<string, string>;
  /** Recipients answered with 550. */
  refuse?: string[];
}

export interface Mailbox {
  port: number;
  mails: ReceivedMail[];
  /** Every login tried, in order: the user name and whether it was accepted. */
  logins: { user: string; ok: boolean }[];
  close(): Promise<void>;
}

export async function startMailbox(opts: MailboxOptions = {}): Promise<Mailbox> {
  const port = await freePort();
  const mails: ReceivedMail[] = [];
  const logins: { user: string; ok: boolean }[] = [];
  const users = opts.users;
  const server = new SMTPServer({
    logger: false,
    // Plain SMTP on loopback: the test server has no certificate a client would trust.
    disabledCommands: users ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authOptional: !users,
    onAuth(auth, _session, cb) {
      const ok = users !== undefined && auth.username !== undefined && users[auth.username] === auth.password;
      logins.push({ user: auth.username ?? '', ok });
      return ok ? cb(null, { user: auth.username }) : cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      if (opts.refuse?.includes(address.address)) {
        const err = new Error('No such user here') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      return cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const user = typeof session.user === 'string' ? session.user : undefined;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), ...(user ? { user } : {}), raw, ...parseMime(raw) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    mails,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers, subject, and the decoded text and HTML parts of a message (enough MIME for our mails). */
export function parseMime(raw: string): { headers: Record<string, string>; subject: string; text: string; html: string } {
  const { headers, body } = splitPart(raw);
  const parts = leafParts(headers, body);
  const text = parts.find((p) => p.type === 'text/plain')?.body ?? '';
  const html = parts.find((p) => p.type === 'text/html')?.body ?? '';
  return { headers, subject: headers.subject ?? '', text, html };
}

function splitPart(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function leafParts(headers: Record<string, string>, body: string): { type: string; body: string }[] {
  const type = (headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
    if (!boundary) return [];
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .flatMap((p) => {
        const part = splitPart(p.replace(/^\r\n/, ''));
        return leafParts(part.headers, part.body.replace(/\r\n$/, ''));
      });
  }
  return [{ type, body: decode(body, headers['content-transfer-encoding'] ?? '7bit') }];
}

function decode(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const soft = body.replace(/=\r\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft[i] === '=' ? /^[0-9A-F]{2}$/i.exec(soft.slice(i + 1, i + 3))?.[0] : undefined;
        if (hex) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
      }
      return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
    }
    default:
      return body.replace(/\r\n/g, '\n');
  }
}
