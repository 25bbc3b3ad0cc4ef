/**
 * @module stores/blob-key
 * The one rule for blob keys, shared by every backend so that a key valid on `file:` is valid
 * on `s3://` and the reverse: `/`-separated segments, none empty, `.` or `..`. The `..` rule
 * is what keeps a file store inside its directory.
 */

/**
 * Throws when `key` is not a valid blob key; returns it otherwise.
 * @example assertBlobKey('images/a.png') // ok; assertBlobKey('../etc/passwd') throws
 */
export function assertBlobKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new Error('Blob key must be a non-empty string.');
  if (key.includes('\0') || key.includes('\\')) throw new Error(`Blob key '${key}' may not contain NUL or '\\'.`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Error(`Blob key '${key}' is invalid: segments between '/' must be non-empty and not '.' or '..' (no path traversal, no leading or doubled '/').`);
    }
  }
  return key;
}
