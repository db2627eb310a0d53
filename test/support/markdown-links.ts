/**
 * Checks the links of a markdown document against a repository: every relative link must name a
 * file or directory of it, every `#anchor` a heading of its (markdown) target, and no link may
 * leave it. Links in code (fenced blocks, inline code) are examples, not links, and are skipped.
 *
 * Anchors follow GitHub's heading ids (github-slugger): lower case, punctuation and symbols
 * dropped, spaces to dashes, `-1`, `-2`… for repeated headings.
 */
import { dirname, join, normalize } from 'node:path';

/** Hosts a document may link to outside the repository. None: everything it needs is in it. */
export const ALLOWED_EXTERNAL_HOSTS: readonly string[] = [];

export interface Repo {
  /** A file or directory (repository-relative, `/`-separated) exists in the repository. */
  exists(path: string): boolean;
  /** The text of a markdown file, for its headings. */
  read(path: string): string;
}

/** A fenced code block: ``` or ~~~ up to the same fence. */
const FENCED_BLOCK = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm;

/** Markdown without fenced code blocks and inline code spans (their "links" are examples). */
function prose(markdown: string): string {
  return markdown.replace(FENCED_BLOCK, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** GitHub's id of a heading with this (rendered) text. */
export function headingSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown file offers: heading ids (repeats numbered) and explicit `id`/`name`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, raw] of markdown.replace(FENCED_BLOCK, '').matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    const text = raw!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
      .replace(/<[^>]+>/g, '') // inline HTML
      .replace(/[`*]/g, ''); // code and emphasis marks
    const base = headingSlug(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const [, id] of markdown.matchAll(/<[a-z]+[^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(id!);
  return anchors;
}

/** Link targets in a markdown text: inline links and images, reference definitions, autolinks, bare URLs. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const [, target] of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
    targets.push(target!);
  }
  for (const [, target] of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)) targets.push(target!);
  for (const [, target] of text.matchAll(/<((?:[a-z][a-z0-9+.-]*):[^\s>]+)>/gi)) targets.push(target!);
  // GFM turns bare URLs in prose into links; those of links, definitions and autolinks were taken above.
  const outsideLinks = text
    .replace(/\]\([^)]*\)/g, '](…)')
    .replace(/^ {0,3}\[[^\]]+\]:.*$/gm, '')
    .replace(/<[a-z][a-z0-9+.-]*:[^\s>]+>/gi, '');
  for (const [url] of outsideLinks.matchAll(/\b(?:https?:\/\/|www\.)[^\s<>)\]]+/gi)) targets.push(url);
  return targets;
}

/** What is wrong with the links of `file` (repository-relative), one line per problem. */
export function linkProblems(file: string, markdown: string, repo: Repo): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    const external = /^(?:[a-z][a-z0-9+.-]*:|\/\/|www\.)/i.exec(target);
    if (external) {
      const host = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/:?#]+)/i.exec(target)?.[1] ?? target;
      if (!ALLOWED_EXTERNAL_HOSTS.includes(host.toLowerCase())) {
        problems.push(`${file}: ${target} leaves the repository`);
      }
      continue;
    }
    if (target === '') {
      problems.push(`${file}: an empty link target`);
      continue;
    }
    if (target.startsWith('/')) {
      problems.push(`${file}: ${target} is absolute; link relative to the file`);
      continue;
    }
    const [rawPath = '', anchor] = target.split('#', 2) as [string, string | undefined];
    let path: string;
    try {
      path = rawPath === '' ? file : normalize(join(dirname(file), decodeURIComponent(rawPath))).replace(/\/$/, '');
    } catch {
      problems.push(`${file}: ${target} is not a valid URL path`);
      continue;
    }
    if (path === '..' || path.startsWith('../')) {
      problems.push(`${file}: ${target} points outside the repository`);
      continue;
    }
    if (!repo.exists(path)) {
      problems.push(`${file}: ${target} — no ${path} in the repository`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!path.endsWith('.md')) {
      problems.push(`${file}: ${target} — anchors are checked only into markdown files`);
    } else if (!anchorsOf(repo.read(path)).has(decodeURIComponent(anchor))) {
      problems.push(`${file}: ${target} — ${path} has no heading #${anchor}`);
    }
  }
  return problems;
}
