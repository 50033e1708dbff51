// Who is told what, and the words: pure, no server.
import { describe, expect, it } from 'vitest';
import { audience, compose, escapeHtml, mailsFor, subjectFor } from '../../pipeline/console/notify/messages';
import { DIGEST, emailOf, notice } from './fixtures';

describe('who is told', () => {
  it('the requester alone when ready or failed', () => {
    expect(audience(notice())).toEqual([{ user: 'alice', role: 'requester' }]);
    expect(audience(notice({ kind: 'failed', approvers: ['bob'] }))).toEqual([{ user: 'alice', role: 'requester' }]);
  });

  it('the requester and each approver once when waiting for approval', () => {
    expect(audience(notice({ kind: 'awaiting-approval', approvers: ['bob', 'carol', 'bob'] }))).toEqual([
      { user: 'alice', role: 'requester' },
      { user: 'bob', role: 'approver' },
      { user: 'carol', role: 'approver' },
    ]);
  });

  it('a requester who is also an approver gets the approver mail only', () => {
    expect(audience(notice({ kind: 'awaiting-approval', approvers: ['alice', 'bob'] }))).toEqual([
      { user: 'alice', role: 'approver' },
      { user: 'bob', role: 'approver' },
    ]);
  });

  it('someone without a usable address is reported, the others are still told', () => {
    const plan = mailsFor(notice({ kind: 'awaiting-approval', approvers: ['bob', 'dave', 'eve'] }), (u) => (u === 'eve' ? 'eve@example.com\r\nBcc: x@evil.example' : emailOf(u)), 'shop');
    expect(plan.mails.map((m) => [m.to, m.role])).toEqual([
      ['alice@example.com', 'requester'],
      ['bob@example.com', 'approver'],
    ]);
    expect(plan.problems).toEqual([
      'no e-mail address for the approver "dave"; not told',
      'the approver "eve" has "eve@example.com Bcc: x@evil.example", which is not an e-mail address; not told',
    ]);
  });

  it('two users sharing an address get one mail', () => {
    const plan = mailsFor(notice({ kind: 'awaiting-approval', approvers: ['bob', 'carol'] }), (u) => (u === 'alice' ? 'alice@example.com' : 'team@example.com'));
    expect(plan.mails.map((m) => m.to)).toEqual(['alice@example.com', 'team@example.com']);
  });

  it('a user list that throws is reported, not thrown', () => {
    const plan = mailsFor(notice(), () => {
      throw new Error('user file unreadable');
    });
    expect(plan).toEqual({ mails: [], problems: ['no e-mail address for the requester "alice": the user list failed (user file unreadable)'] });
  });
});

describe('subject lines', () => {
  it('say what, which version and where', () => {
    expect(subjectFor(notice(), 'requester', 'shop')).toBe('shop 1.4.0 is ready on staging');
    expect(subjectFor(notice({ kind: 'failed' }), 'requester', 'shop')).toBe('shop 1.4.0 failed on staging');
    expect(subjectFor(notice({ kind: 'awaiting-approval' }), 'requester', 'shop')).toBe('shop 1.4.0 is waiting for approval on staging');
    expect(subjectFor(notice({ kind: 'awaiting-approval' }), 'approver', 'shop')).toBe('shop 1.4.0 on staging is waiting for your approval');
  });

  it('read "version …" when the app name is not known', () => {
    expect(subjectFor(notice(), 'requester')).toBe('version 1.4.0 is ready on staging');
  });

  it('stay on one line whatever the notice holds', () => {
    expect(subjectFor(notice({ version: '1.4.0\r\nBcc: x@evil.example' }), 'requester', 'shop')).toBe('shop 1.4.0 Bcc: x@evil.example is ready on staging');
  });
});

describe('bodies', () => {
  it('hold version, digest, stack, the app and console URLs, and the reason of a failure', () => {
    const m = compose(notice({ kind: 'failed', reason: 'smoke check /healthz answered 503' }), 'requester', 'shop');
    for (const part of [m.text, m.html]) {
      expect(part).toContain('1.4.0');
      expect(part).toContain(DIGEST);
      expect(part).toContain('staging');
      expect(part).toContain('https://shop-staging.example.com');
      expect(part).toContain('https://console.example.com/deployments/d-20261201-130448-75b1');
      expect(part).toContain('smoke check /healthz answered 503');
    }
    expect(m.text).toContain('The deployment of shop 1.4.0 to staging failed: smoke check /healthz answered 503.');
  });

  it('tell an approver where to approve, and who asked', () => {
    const m = compose(notice({ kind: 'awaiting-approval', approvers: ['bob'] }), 'approver', 'shop');
    expect(m.text).toContain('alice asks to release shop 1.4.0 on staging.');
    expect(m.text).toContain('Approve or reject it in the console: https://console.example.com/deployments/d-20261201-130448-75b1');
    expect(m.html).toContain('<a href="https://console.example.com/deployments/d-20261201-130448-75b1">Approve or reject it in the console</a>');
  });

  it('say so when the app URL is not known yet', () => {
    expect(compose(notice({ appUrl: undefined }), 'requester').text).toMatch(/^App: +not known yet$/m);
  });

  it('escape every value in HTML: a <script> in a reason is text, not markup', () => {
    const reason = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
    const m = compose(notice({ kind: 'failed', reason, requester: '<b>mallory</b>' }), 'requester', 'shop');
    expect(m.html).not.toContain('<script');
    expect(m.html).not.toContain('<img');
    expect(m.html).not.toContain('<b>');
    expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
    expect(m.html).toContain('&lt;b&gt;mallory&lt;/b&gt;');
    // The plain text shows it as written.
    expect(m.text).toContain(reason);
  });

  it('link only http(s) URLs', () => {
    const m = compose(notice({ appUrl: 'javascript:alert(1)', consoleUrl: 'javascript:alert(2)' }), 'requester', 'shop');
    expect(m.html).not.toContain('href="javascript');
    expect(m.html).toContain('javascript:alert(1)');
  });

  it('cut a very long reason and keep it on one line', () => {
    const m = compose(notice({ kind: 'failed', reason: `first\nsecond ${'x'.repeat(2000)}` }), 'requester');
    const line = m.text.split('\n').find((l) => l.startsWith('Reason:'))!;
    expect(line).toMatch(/^Reason: +first second x+…$/);
    expect(line.length).toBeLessThan(520);
  });

  it('escapeHtml covers the five characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
