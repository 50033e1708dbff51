// slipway:domain (AWS only): the DNS name an environment serves HTTPS on, and where its certificate
// comes from — an ACM certificate Slipway requests and validates in a Route 53 zone, or one you have.
import { z } from 'zod';
import { acmCertificateArn } from './arns';
import { str } from './fields';
import { show } from './show';

/** Ports of an environment with a domain: HTTPS for production, HTTP only to redirect to it. */
export const HTTPS_PORT = 443;
export const HTTP_PORT = 80;

/** A Route 53 hosted zone id: `Z` and up to 31 upper-case letters and digits. */
export const HOSTED_ZONE_ID_RE = /^Z[A-Z0-9]{1,31}$/;

/** ACM refuses a certificate whose first domain name is longer than this (RFC 5280's CN limit). */
export const ACM_DOMAIN_NAME_MAX = 64;

const DNS_NAME_MAX = 253;
const DNS_LABEL_MAX = 63;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why `name` is not a fully qualified DNS name a certificate and an alias record can carry, or undefined. */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length > DNS_NAME_MAX) return `${show(name)} is longer than ${DNS_NAME_MAX} characters (the limit for a DNS name)`;
  if (name.endsWith('.')) return `${show(name)} ends with a dot; write the name without it`;
  const labels = name.split('.');
  if (labels.length < 2) return `${show(name)} is not a fully qualified DNS name (e.g. shop.example.com)`;
  if (labels.some((l) => l === '')) return `${show(name)} has an empty label (two dots in a row, or a leading dot)`;
  const long = labels.find((l) => l.length > DNS_LABEL_MAX);
  if (long) return `${show(name)} has a label longer than ${DNS_LABEL_MAX} characters`;
  if (!labels.every((l) => DNS_LABEL.test(l))) {
    return `${show(name)} is not a DNS name: labels of lower-case letters, digits and hyphens, not starting or ending with a hyphen`;
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return `${show(name)} ends in a numeric label: an IP address is not a DNS name`;
  return undefined;
}

export const domain = z
  .strictObject({
    name: str('a DNS name')
      .check(
        z.superRefine((v, ctx) => {
          const problem = dnsNameProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, input: v });
        }),
      )
      .describe('DNS name the environment serves, e.g. `shop.example.com`: production on `https://<name>`, the idle slot on `https://<name>:<network.testListenerPort>`.'),
    zoneId: str('a Route 53 hosted zone id')
      .regex(HOSTED_ZONE_ID_RE, { error: (i) => `${show(i.input)} is not a Route 53 hosted zone id (Z and 1-31 upper-case letters or digits)` })
      .optional()
      .describe('Route 53 hosted zone of `name`: Slipway requests an ACM certificate for `name`, validates it by DNS in this zone and points `name` at the load balancer. Give this or `certificateArn`.'),
    certificateArn: acmCertificateArn
      .optional()
      .describe('An ACM certificate for `name` in the stack\'s region, used as is; pointing `name` at the load balancer is then yours to do. Give this or `zoneId`.'),
  })
  .check(
    z.superRefine((d, ctx) => {
      if (d.zoneId !== undefined && d.certificateArn !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['certificateArn'], message: 'give zoneId (Slipway requests the certificate) or certificateArn (your certificate), not both', input: d.certificateArn });
      } else if (d.zoneId === undefined && d.certificateArn === undefined) {
        ctx.addIssue({ code: 'custom', path: ['zoneId'], message: 'missing; give zoneId (Slipway requests and validates a certificate in that Route 53 zone) or certificateArn (a certificate you have)', input: d });
      } else if (d.zoneId !== undefined && d.name.length > ACM_DOMAIN_NAME_MAX) {
        ctx.addIssue({
          code: 'custom',
          path: ['name'],
          message: `${show(d.name)} is ${d.name.length} characters; ACM requests a certificate for at most ${ACM_DOMAIN_NAME_MAX} (bring your own with certificateArn)`,
          input: d.name,
        });
      }
    }),
  )
  .optional()
  .describe('HTTPS on a DNS name (AWS): without it the environment serves plain HTTP on the load balancer\'s own name');

/** Where the test listener clashes with the ports a domain takes (443, and 80 which redirects). */
export function domainPortProblem(config: { domain?: unknown; network: { testListenerPort: number } }): string | undefined {
  if (config.domain === undefined || config.network.testListenerPort !== HTTPS_PORT) return undefined;
  return `${HTTPS_PORT} is the HTTPS production listener port when slipway:domain is set`;
}
