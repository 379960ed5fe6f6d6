import { describe, expect, it } from 'vitest';
import { alert, notice, pager, pill, secretsBox } from '../../src/ui/kit.ts';

const links = { label: 'History pages', at: (offset: number) => `/h?offset=${offset}`, words: ['← Newer', 'Older →'] as [string, string] };
const page = (offset: number, shown: number, totalCount: number) => ({ offset, count: 20, totalCount, items: Array.from({ length: shown }) });

describe('the UI kit', () => {
  it('writes attributes escaped, and a name alone for true', () => {
    expect(pill('5 missing', 'failed', { 'data-outcome': 'a"b<c' }).toString()).toBe(
      '<span class="pill pill-failed" data-outcome="a&quot;b&lt;c">5 missing</span>',
    );
    expect(alert('success', { body: 'x' }, { autofocus: true, id: undefined }).toString()).toBe('<div class="alert alert-success" autofocus>x</div>');
  });

  it('escapes what a page puts in a pill or an alert', () => {
    expect(pill('<b>').toString()).toBe('<span class="pill pill-neutral">&lt;b&gt;</span>');
    expect(notice('Saved <now>').toString()).toContain('<p>Saved &lt;now&gt;</p>');
  });

  it('pages: no link back from the first page, none on from the last, and the rows shown of how many', () => {
    const first = pager(page(0, 20, 45), links).toString();
    expect(first).toContain('Showing 1–20 of 45');
    expect(first).toContain('<span class="button is-disabled" aria-disabled="true">← Newer</span>');
    expect(first).toContain('<a class="button" rel="next" href="/h?offset=20">Older →</a>');
    const last = pager(page(40, 5, 45), links).toString();
    expect(last).toContain('Showing 41–45 of 45');
    expect(last).toContain('<a class="button" rel="prev" href="/h?offset=20">← Newer</a>');
    expect(last).toContain('<span class="button is-disabled" aria-disabled="true">Older →</span>');
  });

  it('pages past the end say nothing of rows and lead back', () => {
    const past = pager(page(60, 0, 45), links).toString();
    expect(past).toContain('<p class="pager-status" data-testid="pager-status"></p>');
    expect(past).toContain('href="/h?offset=40"');
  });

  it('says "it" of one secret and "them" of several', () => {
    const one = secretsBox({ title: 'Key made', values: [{ label: 'The key:', value: 'k1' }] }).toString();
    expect(one).toContain('Copy it now: it will not be shown again.');
    const two = secretsBox({
      title: 'Webhook',
      values: [
        { label: 'Key:', value: 'k' },
        { label: 'Secret:', value: 's' },
      ],
    }).toString();
    expect(two).toContain('Copy them now: they will not be shown again.');
    expect(two.match(/data-testid="secret-value"/g)).toHaveLength(2);
  });
});
