// The README and docs/ kept honest: short README, links that resolve, a layout that names every
// top-level folder, only commands package.json has, commands pasteable as written, and an
// adding-a-channel page that names every file a channel folder holds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const README = 'README.md';
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const PAGES = [README, ...DOCS, 'adapters/README.md'];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Fence {
  lang: string;
  lines: string[];
}

/** The fenced code blocks of a page, each with its info string's language. */
function fences(text: string): Fence[] {
  const blocks: Fence[] = [];
  let open: Fence | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*```\s*([\w-]*)/.exec(line);
    if (marker && !open) open = { lang: marker[1]!.toLowerCase(), lines: [] };
    else if (marker && open) {
      blocks.push(open);
      open = undefined;
    } else open?.lines.push(line);
  }
  return blocks;
}

/** The page's prose: fenced blocks and inline code removed (a link there is not a link). */
function prose(text: string): string {
  return text.replace(/^\s*```[\s\S]*?^\s*```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsIn(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of text.replace(/^\s*```[\s\S]*?^\s*```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    // As rendered: a link shows its text, a code span its content.
    const shown = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const base = shown
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every markdown link target in a page's prose that is not a URL. */
function relativeLinks(file: string): string[] {
  return [...prose(read(file)).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Every code span and code-block line of a page: where commands are shown. */
function codeShown(text: string): string[] {
  const spans = [...text.replace(/^\s*```[\s\S]*?^\s*```/gm, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...spans, ...fences(text).flatMap((fence) => fence.lines)];
}

/** npm's own commands a page may show besides the scripts (`npm run <script>` is checked by name). */
const NPM_COMMANDS = new Set(['ci', 'install', 'i']);

describe('README.md and docs/', () => {
  it('README.md is at most 250 lines', () => {
    expect(read(README).split('\n').length).toBeLessThanOrEqual(250);
  });

  it('every relative link resolves to a file, and every #anchor to a heading', () => {
    expect(DOCS.length).toBeGreaterThan(0);
    const broken: string[] = [];
    for (const file of PAGES) {
      for (const target of relativeLinks(file)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const linked = path ? relative(ROOT, resolve(dirname(join(ROOT, file)), decodeURI(path))) : file;
        if (!existsSync(join(ROOT, linked))) {
          broken.push(`${file}: ${target} (no ${linked})`);
          continue;
        }
        if (anchor !== undefined) {
          if (!linked.endsWith('.md') || statSync(join(ROOT, linked)).isDirectory()) broken.push(`${file}: ${target} (an anchor into a file with no headings)`);
          else if (!anchorsIn(read(linked)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${linked}; it has ${[...anchorsIn(read(linked))].join(', ')})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the check itself resolves anchors as GitHub does', () => {
    expect([...anchorsIn('## The proof (`test/reliability/`)\n## Brek\'s quota, paced\n## A\n## A')]).toEqual(['the-proof-testreliability', 'breks-quota-paced', 'a', 'a-1']);
  });

  it("the README's layout names every top-level folder, and sst.config.ts", () => {
    const layout = /^## Layout\n([\s\S]*?)(?=^## )/m.exec(read(README))?.[1] ?? '';
    expect(layout, 'README.md has a "## Layout" section').not.toBe('');
    // Tracked folders and new ones not ignored: what a clone (or the next commit) has.
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const folders = [...new Set(files.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!))].filter((folder) => !folder.startsWith('.'));
    expect(folders).toContain('core');
    for (const name of [...folders.map((folder) => `${folder}/`), 'sst.config.ts']) expect(layout, name).toContain(`\`${name}\``);
  });

  it('every npm command shown is a script of package.json (or npm ci / npm install)', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const unknown: string[] = [];
    for (const file of PAGES) {
      for (const code of codeShown(read(file))) {
        for (const [shown, command, script] of code.matchAll(/\bnpm\s+(run(?:-script)?|[a-z][\w:-]*)(?:\s+([\w:-]+))?/g)) {
          const name = command === 'run' || command === 'run-script' ? script : command;
          if (command !== 'run' && command !== 'run-script' && NPM_COMMANDS.has(command!)) continue;
          if (!name || !(name in scripts)) unknown.push(`${file}: ${shown}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('no command line in a sh or bash block ends in a # comment (comments go on their own line)', () => {
    const commented: string[] = [];
    for (const file of PAGES) {
      for (const fence of fences(read(file)).filter((block) => ['sh', 'bash', 'shell', 'console'].includes(block.lang))) {
        for (const line of fence.lines) {
          if (/^\s*(#|$)/.test(line)) continue;
          // Quoted text may hold a '#' (a JSON body, a filter pattern); what is left must not.
          const unquoted = line.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "''");
          if (/(^|\s)#/.test(unquoted)) commented.push(`${file}: ${line}`);
        }
      }
    }
    expect(commented).toEqual([]);
  });

  it('docs/adding-a-channel.md names every file of adapters/slack/', () => {
    const page = read('docs/adding-a-channel.md');
    const files = readdirSync(join(ROOT, 'adapters/slack'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(page, `adapters/slack/${file}`).toContain(`\`${file}\``);
  });
});
