import { describe, expect, it } from 'vitest';
import { formatDateTime, formatSignedPoints, relativeTime } from '../../src/ui/format.ts';
import { escapeHtml, html } from '../../src/ui/html.ts';

describe('html template', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const evil = `<script>alert("x")</script>' onmouseover='x' \`&`;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &#96;&amp;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &#96;&amp;</p>',
    );
  });

  it('keeps nested templates as markup, renders arrays item by item, and nothing for null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.toString()).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
  });

  it('does not treat a string that looks like markup as markup', () => {
    const pretend = { value: '<b>', toString: () => '<b>' };
    expect(html`${pretend}`.toString()).toBe('&lt;b&gt;');
    expect(escapeHtml('plain text 123')).toBe('plain text 123');
  });
});

describe('card formats', () => {
  const now = new Date('2030-01-10T12:00:00Z');
  it('says exactly how far a date is', () => {
    expect(relativeTime(new Date('2030-01-10T12:20:00Z'), now)).toBe('in 20 minutes');
    expect(relativeTime(new Date('2030-01-11T11:00:00Z'), now)).toBe('in 23 hours');
    expect(relativeTime(new Date('2030-01-22T12:00:00Z'), now)).toBe('in 12 days');
    expect(relativeTime(new Date('2030-01-08T12:00:00Z'), now)).toBe('2 days ago');
    expect(relativeTime(new Date('2030-01-09T13:00:00Z'), now)).toBe('23 hours ago');
  });
  it('signs point changes and prints times in the zone asked for (UTC unless said), the zone named once per page', () => {
    expect(formatSignedPoints(1500)).toBe('+1,500');
    expect(formatSignedPoints(-20)).toBe('-20');
    expect(formatDateTime(new Date('2030-03-05T07:04:00Z'))).toBe('5 Mar 2030, 07:04');
    expect(formatDateTime(new Date('2030-03-05T07:04:00Z'), 'Europe/Stockholm')).toBe('5 Mar 2030, 08:04');
  });
});
