import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every relative link in README.md and docs/*.md points at a file that exists, and at a heading of it when it names one. */

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

// Written on other branches at the same time as the README links them; they arrive with those merges.
const COMING = new Set(['docs/sync-assurance.md', 'docs/reconciliation.md', 'docs/member-levels.md']);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(file: string): Set<string> {
  let fenced = false;
  const found = new Set<string>();
  for (const line of readFileSync(path.join(root, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && line.match(/^#{1,6} (.*)$/);
    if (heading) found.add(slug(heading[1]!));
  }
  return found;
}

describe('documentation links', () => {
  for (const page of pages) {
    it(`${page} links only to files and headings that exist`, () => {
      const text = readFileSync(path.join(root, page), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = file ? path.relative(root, path.resolve(path.dirname(path.join(root, page)), file)) : page;
        if (COMING.has(resolved)) continue;
        if (!existsSync(path.join(root, resolved))) broken.push(target!);
        else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(target!);
      }
      expect(broken).toEqual([]);
    });
  }
});
