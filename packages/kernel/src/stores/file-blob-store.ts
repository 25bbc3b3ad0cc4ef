/**
 * @module stores/file-blob-store
 * The embedded object store: one file per key under a directory (`file:./data/blobs`), with
 * `/` in keys as subdirectories. Writes go to a temporary sibling and are renamed into place,
 * so a reader never sees half an object. The directory is created on first write.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BlobInfo, BlobPutOptions, BlobStore } from './types.js';
import { assertBlobKey } from './blob-key.js';

const TEMP_SUFFIX = /\.~tmp-[0-9a-f]{12}$/;

/** A BlobStore over a directory; content types are not kept (files have none). */
export class FileBlobStore implements BlobStore {
  readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  async put(key: string, body: Uint8Array | string, _options?: BlobPutOptions): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.~tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(temp, body);
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const buffer = await readFile(this.pathOf(key));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const found: BlobInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || TEMP_SUFFIX.test(entry.name)) continue;
      // `parentPath` is Node ≥20.12; `path` is its older name.
      const parent = (entry as { parentPath?: string }).parentPath ?? (entry as { path?: string }).path ?? this.root;
      const key = relative(this.root, join(parent, entry.name)).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const { size } = await stat(join(parent, entry.name)).catch(() => ({ size: -1 }));
      if (size >= 0) found.push({ key, size });
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, assertBlobKey(key));
    // The key rule already forbids `..`; this is the belt to its braces.
    if (!path.startsWith(this.root + sep)) throw new Error(`Blob key '${key}' resolves outside ${this.root}.`);
    return path;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
