// What `slipway plan` shows of a load balancer's listeners: where each one's traffic goes, so a
// reviewer sees HTTPS with its certificate on 443 and port 80 only redirecting.
import { describe, expect, it } from 'vitest';
import { actionText, keyInputs, renderPlan } from '../pipeline/cli/commands/plan';
import { plan } from './mocks';

describe('slipway plan, listeners', () => {
  it('prod: HTTPS on 443 and on the test port with the certificate, port 80 only redirecting', async () => {
    const lines = renderPlan(await plan('prod')).filter((l) => l.includes('aws:lb/listener:Listener')).map((l) => l.trim()).sort();
    expect(lines).toEqual([
      'aws:lb/listener:Listener  shop-lb-http  loadBalancerArn=<computed:shop-lb-alb.arn> port=80 protocol=HTTP  → redirect to HTTPS:443 (301)',
      'aws:lb/listener:Listener  shop-lb-https  certificateArn=<computed:shop-certificate-cert.arn> loadBalancerArn=<computed:shop-lb-alb.arn> port=443 protocol=HTTPS sslPolicy=ELBSecurityPolicy-TLS13-1-2-2021-06  → forward shop-lb-blue 100%, shop-lb-green 0%',
      'aws:lb/listener:Listener  shop-lb-test  certificateArn=<computed:shop-certificate-cert.arn> loadBalancerArn=<computed:shop-lb-alb.arn> port=8443 protocol=HTTPS sslPolicy=ELBSecurityPolicy-TLS13-1-2-2021-06  → forward shop-lb-green',
    ]);
  });

  it('names target groups by resource or by ARN, and other actions by type', () => {
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-prod-blue/0123456789abcdef';
    expect(actionText([{ type: 'forward', targetGroupArn: arn }])).toBe('forward shop-prod-blue');
    expect(actionText([{ type: 'fixed-response', fixedResponse: { statusCode: '503' } }])).toBe('fixed-response');
    expect(actionText([{ type: 'redirect', redirect: { statusCode: 'HTTP_302' } }])).toBe('redirect to #{protocol}:#{port} (302)');
    expect(actionText(undefined)).toBeUndefined();
  });

  it('cuts a JSON document even when it holds placeholders; a placeholder alone is never cut', () => {
    const policy = JSON.stringify({ Statement: [{ Resource: '<computed:shop-access-logs-bucket.arn>/alb/AWSLogs/<computed:caller-identity.accountId>/*' }] });
    expect(keyInputs({ policy })).toBe(`policy=${policy.slice(0, 59)}…`);
    const long = `<computed:${'x'.repeat(70)}.arn>`;
    expect(keyInputs({ arn: long })).toBe(`arn=${long}`);
  });
});
