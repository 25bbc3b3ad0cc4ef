/**
 * @module stores/s3-blob-store
 * The production object store: a bucket on any S3-compatible server (Garage, MinIO, AWS),
 * through @aws-sdk/client-s3. Configured from `s3://bucket?endpoint=…&region=…&forcePathStyle=true`;
 * credentials come from the standard AWS environment/profile chain unless the URL carries
 * `accessKeyId` and `secretAccessKey`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BlobInfo, BlobPutOptions, BlobStore } from './types.js';
import { assertBlobKey } from './blob-key.js';
import { redactUrl } from './redact-url.js';

/** A BlobStore over one bucket. */
export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly client: S3Client;

  constructor(bucket: string, client: S3Client) {
    this.bucket = bucket;
    this.client = client;
  }

  /**
   * Builds the store from an `s3://` URL.
   * @example S3BlobStore.fromUrl('s3://blobs?endpoint=http://127.0.0.1:3900&region=garage&forcePathStyle=true')
   */
  static fromUrl(url: string): S3BlobStore {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`Blob store URL '${redactUrl(url)}' is not a valid URL. Expected s3://bucket?endpoint=…&region=…`);
    }
    const bucket = parsed.hostname;
    if (!bucket) throw new Error(`Blob store URL '${redactUrl(url)}' names no bucket. Expected s3://bucket?endpoint=…`);
    const param = (name: string) => parsed.searchParams.get(name) ?? undefined;
    const accessKeyId = param('accessKeyId');
    const secretAccessKey = param('secretAccessKey');
    const client = new S3Client({
      region: param('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: param('endpoint'),
      forcePathStyle: param('forcePathStyle') === 'true',
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      // Recent SDKs add CRC checksums to every request by default; several S3-compatible servers reject them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3BlobStore(bucket, client);
  }

  async put(key: string, body: Uint8Array | string, options: BlobPutOptions = {}): Promise<void> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    // An explicit length keeps the SDK from treating an empty body as a stream of unknown length.
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key), Body: bytes, ContentLength: bytes.byteLength, ContentType: options.contentType }),
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key) }));
      return result.Body ? await result.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 deletes are idempotent: a missing key is not an error, same as the file store.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key) }));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    const found: BlobInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) found.push({ key: object.Key, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /** Releases the SDK's sockets. */
  close(): void {
    this.client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
