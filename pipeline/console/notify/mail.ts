// Sends the mails messages.ts composes, over SMTP with nodemailer. Every wait is bounded (connecting,
// the greeting, an idle socket, and the whole send), TLS is never dropped once asked for, and a
// failure comes back as one line — naming the recipient and the server, never the password — instead
// of an exception: a mail that cannot be sent must not break the deployment it is about.
import { createTransport } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { networkProblem } from '../../release/http';
import { clip } from '../../../stacks/show';
import type { SmtpConfig } from './config';
import type { Mail } from './messages';

export interface MailTimeouts {
  /** To open the TCP (or TLS) connection. */
  connectionMs: number;
  /** From connecting to the server's greeting. */
  greetingMs: number;
  /** Longest silence from the server once connected. */
  socketMs: number;
  /** One whole send, from connecting to the server's last answer. */
  totalMs: number;
}

export const MAIL_TIMEOUTS: MailTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 20_000, totalMs: 60_000 };

export interface MailSender {
  /** Sends one mail; resolves to undefined once the server accepted it, or to one line saying why not. */
  send(mail: Mail): Promise<string | undefined>;
}

/** The nodemailer transport options for `smtp`: pure, so the bounds and TLS choices are tested as data. */
export function transportOptions(smtp: SmtpConfig, password: string | undefined, timeouts: MailTimeouts): SMTPTransportOptions {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // starttls: the server must offer STARTTLS, or nothing is sent (no silent plain-text fallback).
    requireTLS: smtp.starttls,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: password ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2' },
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.connectionMs,
    // Nodemailer's own logging stays off: its debug output would show the AUTH exchange.
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export function createMailSender(smtp: SmtpConfig, password: string | undefined, timeouts: MailTimeouts = MAIL_TIMEOUTS): MailSender {
  const transport = createTransport(transportOptions(smtp, password, timeouts));
  const server = `${smtp.host}:${smtp.port}`;
  const secrets = secretForms(smtp.user, password);
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from: smtp.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          // RFC 3834: out-of-office replies and the like are not sent back to an automatic message.
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal: AbortSignal.timeout(timeouts.totalMs),
        });
        return undefined;
      } catch (e) {
        return scrub(`mail to ${mail.to} via ${server}: ${smtpProblem(e, timeouts, smtp.user)}`, secrets);
      }
    },
  };
}

interface SmtpError {
  code?: unknown;
  originalCode?: unknown;
  timeoutType?: unknown;
  response?: unknown;
  message?: unknown;
}

/** A short phrase for a failed send, decided by nodemailer's error codes, never by message text. */
export function smtpProblem(err: unknown, timeouts: MailTimeouts, user?: string): string {
  const e = (err !== null && typeof err === 'object' ? err : {}) as SmtpError;
  const said = typeof e.response === 'string' && e.response !== '' ? ` (server said: ${clip(e.response, 200)})` : '';
  const message = typeof e.message === 'string' ? clip(e.message.split('\n')[0] ?? '', 200) : clip(String(err), 200);
  switch (e.code) {
    case 'EABORT':
      return `gave up after ${seconds(timeouts.totalMs)}`;
    case 'ETIMEDOUT':
      switch (e.timeoutType) {
        case 'CONNECT_TIMEOUT':
          return `no connection within ${seconds(timeouts.connectionMs)}`;
        case 'GREETING_TIMEOUT':
          return `the server sent no greeting within ${seconds(timeouts.greetingMs)}`;
        case 'SOCKET_TIMEOUT':
          return `the server went silent for ${seconds(timeouts.socketMs)}`;
        case 'UPGRADE_TIMEOUT':
          return 'the TLS upgrade timed out';
        default:
          return `timed out (${message})`;
      }
    case 'ESOCKET':
    case 'ECONNECTION':
    case 'EDNS':
      if (typeof e.originalCode !== 'string') return `connection failed (${message})`;
      // A TLS client meeting a plain server (or the reverse): say which setting to look at.
      if (e.originalCode.startsWith('ERR_SSL_')) return `TLS failed (${e.originalCode}): is the port one for TLS from the first byte (secure: true)?`;
      return networkProblem({ code: e.originalCode });
    case 'ETLS':
      return `TLS failed: ${message}`;
    case 'EAUTH':
      return `login as ${JSON.stringify(clip(user ?? ''))} refused${said}`;
    case 'ENOAUTH':
      return 'the server asks for a login; set user and passwordEnv';
    case 'EENVELOPE':
      return `recipient or sender refused${said}`;
    case 'EMESSAGE':
      return `message refused${said}`;
    default:
      return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${message}${said}`;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

// The password as it could appear in a server's echo: itself, and the base64 of the AUTH PLAIN and
// AUTH LOGIN exchanges. A line that contains one of them has it replaced before anyone sees it.
function secretForms(user: string | undefined, password: string | undefined): string[] {
  if (!password) return [];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [password, b64(password), b64(`\0${user ?? ''}\0${password}`), b64(`${user ?? ''}\0${user ?? ''}\0${password}`)];
}

function scrub(line: string, secrets: readonly string[]): string {
  return secrets.reduce((l, s) => l.split(s).join('[secret]'), line);
}
