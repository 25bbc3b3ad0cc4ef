/**
 * @module migrations/migration-lock
 * The one database-wide lock a migration run holds, kept as a row in
 * `scaigrid_migration_lock` with an owner and an expiry. A row, not `GET_LOCK` or
 * `LOCK TABLES`, because MariaDB Galera replicates neither: a row insert is certified across
 * the cluster, so two instances starting together on different nodes still exclude each
 * other, and the expiry lets the next instance take over from one that crashed.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../stores/types.js';

export const MIGRATION_LOCK_TABLE = 'scaigrid_migration_lock';
const LOCK_ID = 'migrate';

export const DEFAULT_LOCK_TTL_MS = 30_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export type MigrationLockErrorCode = 'MIGRATION_LOCK_TIMEOUT' | 'MIGRATION_LOCK_LOST';

/** The lock could not be taken in time, or was taken over while this run held it. */
export class MigrationLockError extends Error {
  readonly code: MigrationLockErrorCode;
  /** Who held the lock when we gave up (timeout) or who took it from us (lost), when known. */
  readonly holder: string | null;
  constructor(code: MigrationLockErrorCode, message: string, holder: string | null) {
    super(`[${code}] ${message}`);
    this.name = 'MigrationLockError';
    this.code = code;
    this.holder = holder;
  }
}

export interface MigrationLockOptions {
  /** Who is migrating, e.g. `hostname:pid`; shown to instances that wait for the lock. */
  owner: string;
  /** How long the lock stays valid without renewal; renewed every third of it. */
  ttlMs?: number;
  /** How long to wait for another instance's run to finish before failing. */
  timeoutMs?: number;
  log?: Logger;
}

export interface MigrationLock {
  /** The owner recorded in the lock row (the given owner plus a unique suffix). */
  readonly owner: string;
  /** True once a renewal found the row no longer ours (we stalled past the expiry). */
  readonly lost: boolean;
  /** Throws `MIGRATION_LOCK_LOST` if the lock was taken over; call before each step. */
  assertHeld(): void;
  /** Stops renewing and deletes the row if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

interface LockRow {
  owner: string;
  expires_at: number | string | bigint;
}

/** Creates the lock table if needed; concurrent callers are fine (`if not exists`). */
export async function ensureMigrationLockTable(database: Database): Promise<void> {
  const builder = database.db.schema
    .createTable(MIGRATION_LOCK_TABLE)
    .ifNotExists()
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('acquired_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull());
  await (database.dialect === 'mysql' ? builder.modifyEnd(sql`engine=InnoDB`) : builder).execute();
}

/**
 * Waits until this instance holds the migration lock, then keeps it alive until `release()`.
 * @example
 * const lock = await acquireMigrationLock(database, { owner: `${hostname()}:${process.pid}` });
 * try { await migrate(); } finally { await lock.release(); }
 */
export async function acquireMigrationLock(database: Database, options: MigrationLockOptions): Promise<MigrationLock> {
  const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  // Suffixed so that two instances given the same owner name (pid 1 in two containers)
  // never mistake each other's lock for their own.
  const owner = `${options.owner}#${randomUUID().slice(0, 8)}`;
  const db = database.db;

  await ensureMigrationLockTable(database);

  const deadline = Date.now() + timeoutMs;
  let delayMs = 50;
  let holder: LockRow | undefined;
  for (;;) {
    try {
      if (await tryAcquire(database, owner, ttlMs)) break;
      holder = await db
        .selectFrom(MIGRATION_LOCK_TABLE)
        .select(['owner', 'expires_at'])
        .where('id', '=', LOCK_ID)
        .executeTakeFirst();
    } catch (err) {
      // Two Galera nodes inserting the lock row at once: one loses certification with a
      // deadlock error. That is just "someone else got it"; wait and look again.
      if (!isContentionError(err)) throw err;
    }
    const now = Date.now();
    if (now >= deadline) {
      const who = holder ? `'${holder.owner}' (expires ${new Date(Number(holder.expires_at)).toISOString()})` : 'another instance';
      throw new MigrationLockError(
        'MIGRATION_LOCK_TIMEOUT',
        `Could not take the migration lock within ${timeoutMs} ms: it is held by ${who}. ` +
          `Wait for that run to finish, or if that instance is gone, wait for the lock to expire ` +
          `(or delete the row in ${MIGRATION_LOCK_TABLE}).`,
        holder?.owner ?? null,
      );
    }
    if (holder) options.log?.debug({ holder: holder.owner }, 'waiting for the migration lock');
    await sleep(Math.min(delayMs + Math.random() * delayMs, deadline - now));
    delayMs = Math.min(delayMs * 1.5, 1_000);
  }
  options.log?.debug({ owner, ttlMs }, 'migration lock acquired');
  return holdLock(database, owner, ttlMs, options.log);
}

/** One attempt: insert the row, or take over an expired one. True when the row is ours. */
async function tryAcquire(database: Database, owner: string, ttlMs: number): Promise<boolean> {
  const now = Date.now();
  const row = { id: LOCK_ID, owner, acquired_at: now, expires_at: now + ttlMs };
  // The primary key makes the insert atomic; ignoring the duplicate avoids parsing errors.
  const insert = database.db.insertInto(MIGRATION_LOCK_TABLE).values(row);
  const inserted = await (database.dialect === 'mysql' ? insert.ignore() : insert.onConflict((oc) => oc.doNothing())).executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
  // The expiry condition in the UPDATE itself makes the takeover atomic: of two instances
  // racing for an expired row, only one matches it.
  const taken = await database.db
    .updateTable(MIGRATION_LOCK_TABLE)
    .set({ owner, acquired_at: now, expires_at: now + ttlMs })
    .where('id', '=', LOCK_ID)
    .where('expires_at', '<', now)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

function holdLock(database: Database, owner: string, ttlMs: number, log: Logger | undefined): MigrationLock {
  let lost = false;
  let released = false;
  let renewing: Promise<void> = Promise.resolve();

  const renew = async (): Promise<void> => {
    try {
      const result = await database.db
        .updateTable(MIGRATION_LOCK_TABLE)
        .set({ expires_at: Date.now() + ttlMs })
        .where('id', '=', LOCK_ID)
        .where('owner', '=', owner)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1 && !released) {
        lost = true;
        log?.error({ owner }, 'migration lock was taken over by another instance');
      }
    } catch (err) {
      // A failed renewal is not yet a lost lock: the row is valid until its expiry.
      log?.warn({ err, owner }, 'could not renew the migration lock');
    }
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, Math.max(Math.floor(ttlMs / 3), 10));
  // The lock must never be what keeps a finished process alive.
  timer.unref();

  return {
    owner,
    get lost() {
      return lost;
    },
    assertHeld() {
      if (lost) {
        throw new MigrationLockError(
          'MIGRATION_LOCK_LOST',
          `The migration lock held by '${owner}' expired and was taken by another instance; stopping this run. ` +
            `Raise the lock TTL if migrations block the database for longer than it.`,
          null,
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      await database.db.deleteFrom(MIGRATION_LOCK_TABLE).where('id', '=', LOCK_ID).where('owner', '=', owner).execute();
      log?.debug({ owner }, 'migration lock released');
    },
  };
}

/** Errors that mean "another writer got there first", to be retried, not reported. */
function isContentionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'ER_LOCK_DEADLOCK' ||
    code === 'ER_LOCK_WAIT_TIMEOUT' ||
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_LOCKED'
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
