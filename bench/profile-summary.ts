/**
 * @module bench/profile-summary
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and lists where the time went: the top
 * functions by self time, and self time summed per package (or workspace folder), so the hot
 * spots of a load run can be read without opening DevTools. Frames in the server bundle (which
 * holds the workspace and most third-party packages) are mapped back through its source maps,
 * so a hot spot is named by its own file and package, not by the chunk it was bundled into.
 *
 * @example
 * npx tsx bench/profile-summary.ts bench/results/profiles/<run>/CPU.*.cpuprofile --top 30
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
  /** Samples per line of the script (1-based), taken while this frame was on top. */
  positionTicks?: { line: number; ticks: number }[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const sourceMaps = new Map<string, { map: SourceMap; dir: string } | null>();

/** The source map beside a bundled file (`<file>.map`), read once; null when there is none. */
function sourceMapOf(url: string): { map: SourceMap; dir: string } | null {
  let entry = sourceMaps.get(url);
  if (entry === undefined) {
    entry = null;
    if (url.startsWith('file://') && url.endsWith('.mjs')) {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) entry = { map: new SourceMap(JSON.parse(readFileSync(file, 'utf8'))), dir: dirname(file) };
    }
    sourceMaps.set(url, entry);
  }
  return entry;
}

/** What `SourceMap.findEntry` gives: empty where the position maps to nothing. */
type MapEntry = { originalSource?: string; originalLine?: number };

/** A source map entry's file as an absolute path (the map names it as a URL or relative to itself). */
function originalPath(source: { dir: string }, originalSource: string): string {
  return originalSource.startsWith('file://') ? fileURLToPath(originalSource) : resolve(source.dir, originalSource);
}

/** A path from its package folder on: `plugins/auth/src/…`, `node_modules/hono/…`. */
function shortPath(path: string): string {
  return path.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|plugins|packages)\//, '$1/');
}

/** The frame with its position in the original source when the script has a source map. */
function original(node: ProfileNode): ProfileNode {
  const { url, lineNumber, columnNumber } = node.callFrame;
  const source = sourceMapOf(url);
  if (!source) return node;
  const found = source.map.findEntry(lineNumber, columnNumber ?? 0) as MapEntry;
  if (!found.originalSource) return node;
  const path = originalPath(source, found.originalSource);
  return { ...node, callFrame: { ...node.callFrame, url: `file://${path}`, lineNumber: found.originalLine ?? lineNumber } };
}

/** Where a script URL belongs: `hono`, `plugins/auth`, `packages/kernel`, `node:internal`… */
function owner(url: string): string {
  if (!url) return '(native / VM)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url);
  if (pkg) return pkg[1];
  const ws = /\/((?:plugins|packages)\/[^/]+)\//.exec(url);
  if (ws) return ws[1];
  return url.replace(/^file:\/\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${shortPath(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

/** The first caller outside `node:` internals and natives: who is really paying for a hot leaf. */
function userCaller(id: number, parents: Map<number, number>, byId: Map<number, ProfileNode>): string | undefined {
  for (let p = parents.get(id); p !== undefined; p = parents.get(p)) {
    const url = byId.get(p)!.callFrame.url;
    if (url && !url.startsWith('node:')) return frameName(byId.get(p)!);
  }
  return undefined;
}

/** A span of CLOCK_MONOTONIC µs (the clock of process.hrtime and of V8 profiles). */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/** The windows in time order, overlapping ones joined, so one pass over the samples can test them. */
function disjoint(windows: readonly ProfileWindow[]): ProfileWindow[] {
  const out: ProfileWindow[] = [];
  for (const w of [...windows].sort((a, b) => a.fromUs - b.fromUs)) {
    const last = out.at(-1);
    if (last && w.fromUs <= last.toUs) last.toUs = Math.max(last.toUs, w.toUs);
    else out.push({ ...w });
  }
  return out;
}

/** Scripts' lines, read once. */
const scriptLines = new Map<string, string[]>();
/** The script's lines; none when it is gone or was written after `notAfterMs` (a bundle rebuilt since the run has other lines). */
function linesOf(url: string, notAfterMs = Number.POSITIVE_INFINITY): string[] {
  let lines = scriptLines.get(url);
  if (!lines) {
    const file = fileURLToPath(url);
    lines = existsSync(file) && statSync(file).mtimeMs <= notAfterMs ? readFileSync(file, 'utf8').split('\n') : [];
    scriptLines.set(url, lines);
  }
  return lines;
}

/**
 * Self time per source line of the workspace and the bundled libraries, from the profile's
 * ticks per line. V8 charges its builtins (JSON, `flatMap`, string building, Map lookups) to
 * the line that calls them, so this shows a dear call inside a function that the per-function
 * view shows only as that function's self time. Over the whole profile: ticks carry no time, so
 * boot and warm-up are in. Needs the bundle built with its lines (`build.mjs --readable`);
 * undefined when it was not.
 */
function hotLines(profile: Profile, top: number, profiledAtMs: number): string[] | undefined {
  const ticks = new Map<string, number>();
  const texts = new Map<string, string>();
  let busy = 0;
  for (const node of profile.nodes) {
    if (node.callFrame.functionName !== '(idle)') busy += node.hitCount ?? 0;
    const { url } = node.callFrame;
    const source = sourceMapOf(url);
    if (!source || !node.positionTicks || linesOf(url, profiledAtMs).length === 0) continue;
    for (const { line, ticks: n } of node.positionTicks) {
      const text = linesOf(url)[line - 1] ?? '';
      const found = source.map.findEntry(line - 1, Math.max(0, text.search(/\S/))) as MapEntry;
      // A line that holds several lines of source (a whitespace-minified bundle is one line per
      // module) cannot say which of them the ticks were on.
      const last = source.map.findEntry(line - 1, Math.max(0, text.length - 1)) as MapEntry;
      if (!found.originalSource || last.originalSource !== found.originalSource || last.originalLine !== found.originalLine) continue;
      const path = originalPath(source, found.originalSource);
      const key = `${shortPath(path)}:${(found.originalLine ?? 0) + 1}`;
      ticks.set(key, (ticks.get(key) ?? 0) + n);
      if (!texts.has(key)) texts.set(key, (linesOf(`file://${path}`)[found.originalLine ?? 0] ?? '').trim().slice(0, 90));
    }
  }
  if (ticks.size === 0) return undefined;
  return [...ticks]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, n]) => `  ${((100 * n) / busy).toFixed(1).padStart(5)}%  ${where}  ${texts.get(where)}`);
}

/**
 * Summarizes self time. `windows` keeps only the samples inside them: the load phase, leaving
 * boot out, or the spans of many probes (e.g. each first byte's way in), and then the header
 * also gives the busy time per window.
 */
export function summarizeProfile(file: string, top = 25, windows?: readonly ProfileWindow[]): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, original(n)]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const spans = windows && disjoint(windows);
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let span = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (spans) {
      // Samples come in time order: move past the windows that ended before this one.
      while (span < spans.length && spans[span]!.toUs < t) span++;
      if (span === spans.length || t < spans[span]!.fromUs) continue;
    }
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;

  const fns = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  const owners = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') continue;
    const key = frameName(node);
    fns.set(key, (fns.get(key) ?? 0) + us);
    const caller = !url || url.startsWith('node:') ? userCaller(id, parents, byId) : undefined;
    if (caller) {
      const m = callers.get(key) ?? new Map<string, number>();
      m.set(caller, (m.get(caller) ?? 0) + us);
      callers.set(key, m);
    }
    owners.set(owner(url), (owners.get(owner(url)) ?? 0) + us);
  }
  // Inclusive view: each sample charged to the innermost workspace frame on its stack, so a
  // plugin's cost includes the library and node internals it calls (ioredis, JSON, streams).
  const ownFns = new Map<string, number>();
  const ownPkgs = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    let charged: ProfileNode | undefined;
    for (let p: number | undefined = id; p !== undefined; p = parents.get(p)) {
      const node = byId.get(p)!;
      if (/^(plugins|packages)\//.test(owner(node.callFrame.url))) {
        charged = node;
        break;
      }
    }
    const fn = charged ? frameName(charged) : `(no workspace frame) ${owner(byId.get(id)!.callFrame.url)}`;
    const pkg = charged ? owner(charged.callFrame.url) : '(no workspace frame)';
    ownFns.set(fn, (ownFns.get(fn) ?? 0) + us);
    ownPkgs.set(pkg, (ownPkgs.get(pkg) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const perWindow = windows && windows.length > 1 ? `; ${Math.round(busy / windows.length)} µs busy per window over ${windows.length} windows` : '';
  const lines = [`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (idle excluded from the percentages)${perWindow}`, '', 'self time by function:'];
  for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const via = callers.get(k);
    const main = via && [...via].sort((a, b) => b[1] - a[1])[0];
    lines.push(`  ${pct(v)}  ${k}${main ? `  ← ${main[0]}` : ''}`);
  }
  lines.push('', 'self time by package:');
  for (const [k, v] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', 'time by innermost workspace function (with the libraries and internals it calls):');
  for (const [k, v] of [...ownFns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', 'time by workspace package (the same, per plugin or package):');
  for (const [k, v] of [...ownPkgs].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(v)}  ${k}`);
  const hot = hotLines(profile, top, statSync(file).mtimeMs);
  lines.push('', 'self time by source line (whole profile, boot and warm-up included):');
  if (hot) lines.push(...hot);
  else lines.push('  (none: the bundle is whitespace-minified, or was rebuilt after the run; `node packages/server/scripts/build.mjs --readable` before it)');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals) console.log(`${file}\n${summarizeProfile(file, Number(values.top))}\n`);
}
