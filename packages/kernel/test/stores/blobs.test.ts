import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
// s3rver ships no types; its surface here is the constructor, run() and close().
// @ts-expect-error untyped module
import S3rver from 's3rver';
import { openBlobStore, prefixedBlobStore } from '../../src/stores/blobs.js';
import { S3BlobStore } from '../../src/stores/s3-blob-store.js';
import type { BlobStore } from '../../src/stores/types.js';

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

// The same behaviour is required of every backend.
function contract(name: string, open: () => BlobStore) {
  describe(name, () => {
    it('puts, gets, checks, lists and deletes objects, with / in keys', async () => {
      const store = open();
      expect(await store.get('missing')).toBeNull();
      expect(await store.exists('missing')).toBe(false);
      await store.put('a/b/c.txt', 'hello', { contentType: 'text/plain' });
      await store.put('a/d.bin', new Uint8Array([0, 1, 2, 255]));
      await store.put('top', '');
      expect(text(await store.get('a/b/c.txt'))).toBe('hello');
      expect(Array.from((await store.get('a/d.bin'))!)).toEqual([0, 1, 2, 255]);
      expect(await store.get('top')).toEqual(new Uint8Array());
      expect(await store.exists('a/b/c.txt')).toBe(true);
      expect(await store.list()).toEqual([
        { key: 'a/b/c.txt', size: 5 },
        { key: 'a/d.bin', size: 4 },
        { key: 'top', size: 0 },
      ]);
      expect((await store.list('a/b')).map((i) => i.key)).toEqual(['a/b/c.txt']);
      await store.put('a/b/c.txt', 'replaced');
      expect(text(await store.get('a/b/c.txt'))).toBe('replaced');
      await store.delete('a/b/c.txt');
      await store.delete('a/b/c.txt');
      expect(await store.get('a/b/c.txt')).toBeNull();
      expect((await store.list()).map((i) => i.key)).toEqual(['a/d.bin', 'top']);
    });

    it('refuses path traversal and malformed keys', async () => {
      const store = open();
      for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '', './x', 'a\\b']) {
        await expect(store.put(key, 'x'), key).rejects.toThrow(/Blob key/);
        await expect(store.get(key), key).rejects.toThrow(/Blob key/);
      }
    });

    it('scopes a prefixed view to its prefix', async () => {
      const store = open();
      const files = prefixedBlobStore(store, 'files');
      const audit = prefixedBlobStore(store, 'audit/');
      await files.put('x/1.txt', 'one');
      await audit.put('x/1.txt', 'other');
      expect(text(await store.get('files/x/1.txt'))).toBe('one');
      expect(text(await files.get('x/1.txt'))).toBe('one');
      expect(await files.list()).toEqual([{ key: 'x/1.txt', size: 3 }]);
      expect(await files.list('x/')).toEqual([{ key: 'x/1.txt', size: 3 }]);
      expect(await files.list('y')).toEqual([]);
      expect(await audit.exists('x/1.txt')).toBe(true);
      await files.delete('x/1.txt');
      expect(await files.exists('x/1.txt')).toBe(false);
      expect(await audit.exists('x/1.txt')).toBe(true);
      await expect(files.get('../audit/x/1.txt')).rejects.toThrow(/Blob key/);
    });
  });
}

describe('openBlobStore (file:, embedded)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sg-blobs-'));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  contract('file store', () => openBlobStore(`file:${join(root, `s${++n}`)}`));

  it('creates its directory lazily and leaves no temporary files', async () => {
    const dir = join(root, 'lazy', 'blobs');
    const store = openBlobStore(`file:${dir}`);
    expect(await store.list()).toEqual([]);
    expect(readdirSync(root)).not.toContain('lazy');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('same', `v${i}`)));
    expect(readdirSync(dir)).toEqual(['same']);
  });

  it('rejects unknown schemes without printing credentials', () => {
    expect(() => openBlobStore('gs://user:pw@bucket')).toThrow(/'gs'.*file:.*s3:\/\//);
    expect(() => openBlobStore('gs://user:pw@bucket')).not.toThrow(/pw@/);
  });
});

describe('openBlobStore (s3://, against s3rver on 127.0.0.1)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sg-s3rver-'));
  let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
  let endpoint = '';
  const bucket = `sg-test-${Date.now()}`;
  const url = (path = '') =>
    `s3://${bucket}${path}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true&accessKeyId=S3RVER&secretAccessKey=S3RVER`;
  const opened: S3BlobStore[] = [];

  beforeAll(async () => {
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    const admin = S3BlobStore.fromUrl(url());
    await admin.client.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.close();
  });
  afterAll(async () => {
    for (const store of opened) store.close();
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  let n = 0;
  contract('s3 store', () => {
    // Each test gets its own prefix of the bucket, through the URL path.
    const store = openBlobStore(url(`/run${++n}`));
    return store;
  });

  it('reads credentials from the URL and keeps the content type', async () => {
    const store = S3BlobStore.fromUrl(url());
    opened.push(store);
    expect(store.bucket).toBe(bucket);
    await store.put('typed.json', '{}', { contentType: 'application/json' });
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const head = await store.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'typed.json' }));
    expect(head.ContentType).toBe('application/json');
    await store.delete('typed.json');
  });
});
