/**
 * @module stores/blobs
 * Opens the object store by URL (`file:./data/blobs` embedded, `s3://bucket?…` in production)
 * and scopes a store to a key prefix, which is how each module gets its own `<module-id>/` space.
 */
import type { BlobInfo, BlobPutOptions, BlobStore } from './types.js';
import { FileBlobStore } from './file-blob-store.js';
import { assertBlobKey } from './blob-key.js';
import { redactUrl, urlScheme } from './redact-url.js';

/**
 * Opens the store named by `url`; nothing is touched until the first call.
 * @example const blobs = openBlobStore('file:./data/blobs'); await blobs.put('a/b.txt', 'hi');
 */
export function openBlobStore(url: string): BlobStore {
  const scheme = urlScheme(url);
  if (scheme === 'file') {
    // `file:./rel`, `file:/abs` and `file:///abs` all name a directory.
    const directory = url.slice('file:'.length).replace(/^\/\/(?=[./])/, '');
    if (directory === '') throw new Error(`Blob store URL '${url}' names no directory. Use file:./data/blobs.`);
    return new FileBlobStore(directory);
  }
  if (scheme === 's3') {
    const store = lazyS3BlobStore(url);
    // `s3://bucket/some/prefix` keeps the gateway's objects under that prefix of a shared bucket.
    const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '');
    return path ? prefixedBlobStore(store, path) : store;
  }
  throw new Error(
    `Unsupported blob store URL scheme '${scheme}' in '${redactUrl(url)}'. Use file:./data/blobs or s3://bucket?endpoint=…&region=…`,
  );
}

/**
 * A view of `store` where every key is `<prefix>/<key>`; `list` returns keys without the prefix.
 * @example prefixedBlobStore(blobs, 'files').put('a.txt', 'x') // stores 'files/a.txt'
 */
export function prefixedBlobStore(store: BlobStore, prefix: string): BlobStore {
  const base = assertBlobKey(prefix.replace(/\/+$/, ''));
  const full = (key: string) => `${base}/${assertBlobKey(key)}`;
  return Object.freeze({
    // async, so that an invalid key rejects like it does on the stores themselves instead of throwing.
    put: async (key: string, body: Uint8Array | string, options?: BlobPutOptions) => store.put(full(key), body, options),
    get: async (key: string) => store.get(full(key)),
    delete: async (key: string) => store.delete(full(key)),
    exists: async (key: string) => store.exists(full(key)),
    async list(listPrefix = ''): Promise<BlobInfo[]> {
      const items = await store.list(`${base}/${listPrefix}`);
      return items.map((item) => ({ key: item.key.slice(base.length + 1), size: item.size }));
    },
  });
}

/** The S3 SDK is large; it is loaded on the first blob call, not at boot. */
function lazyS3BlobStore(url: string): BlobStore {
  let store: Promise<BlobStore> | undefined;
  const open = () => (store ??= import('./s3-blob-store.js').then(({ S3BlobStore }) => S3BlobStore.fromUrl(url)));
  return {
    put: async (key, body, options) => (await open()).put(key, body, options),
    get: async (key) => (await open()).get(key),
    delete: async (key) => (await open()).delete(key),
    exists: async (key) => (await open()).exists(key),
    list: async (prefix) => (await open()).list(prefix),
  };
}
