/**
 * @module bench/smaps
 * Where a process's resident memory is, from `/proc/<pid>/smaps`: the node binary's own pages,
 * other files (shared libraries, native addons), glibc's malloc arenas, and the remaining
 * anonymous memory (V8's heap, thread stacks, ...). A thread's malloc arena is a mapping that
 * glibc aligns to 64 MB (HEAP_MAX_SIZE on 64-bit), so it is told apart by its address; the main
 * thread's arena is `[heap]`.
 */

export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  /** The file, or `[heap]`, `[stack]`, ...; '' for anonymous memory. */
  name: string;
  rssKb: number;
}

export interface RssBreakdown {
  totalKb: number;
  nodeBinaryKb: number;
  otherFilesKb: number;
  /** The main thread's arena (`[heap]`) and each other thread's, largest first. */
  mallocArenasKb: number[];
  /** Anonymous memory that is not a malloc arena: V8's heap above all. */
  otherAnonymousKb: number;
}

const ARENA_ALIGNMENT = 64n * 1024n * 1024n;
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/;

export function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) mappings.push({ start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), perms: header[3]!, name: header[4]!.trim(), rssKb: 0 });
    else if (line.startsWith('Rss:') && mappings.length > 0) mappings.at(-1)!.rssKb = Number(line.split(/\s+/)[1]);
  }
  return mappings;
}

export function breakdown(mappings: readonly Mapping[], nodeBinary: string): RssBreakdown {
  const result: RssBreakdown = { totalKb: 0, nodeBinaryKb: 0, otherFilesKb: 0, mallocArenasKb: [], otherAnonymousKb: 0 };
  let mainArenaKb = 0;
  const threadArenas = new Map<bigint, number>();
  for (const m of mappings) {
    result.totalKb += m.rssKb;
    if (m.name === nodeBinary) result.nodeBinaryKb += m.rssKb;
    else if (m.name === '[heap]') mainArenaKb += m.rssKb;
    else if (m.name.startsWith('/')) result.otherFilesKb += m.rssKb;
    else if (m.name === '' && m.perms.startsWith('rw') && m.start % ARENA_ALIGNMENT === 0n) threadArenas.set(m.start, m.rssKb);
    else result.otherAnonymousKb += m.rssKb;
  }
  result.mallocArenasKb = [mainArenaKb, ...[...threadArenas.values()].sort((a, b) => b - a)];
  return result;
}
