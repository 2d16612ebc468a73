/**
 * Schema migrations, applied in order. `PRAGMA user_version` holds how many have been applied;
 * each runs in its own IMMEDIATE transaction together with the user_version bump, so a crash
 * or a second process (the CLI opening the database while the server starts) can never apply
 * one twice or leave one half done. Never edit a shipped migration: append a new one.
 *
 * Keys and bucket names are TEXT with BINARY collation: SQLite compares their UTF-8 bytes
 * with memcmp, which is the order S3 lists in.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** What it does, for error messages. */
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'initial schema',
    up(db) {
      db.exec(`
        CREATE TABLE buckets (
          name        TEXT NOT NULL COLLATE BINARY PRIMARY KEY,
          created_at  TEXT NOT NULL,
          cors        TEXT
        );

        CREATE TABLE objects (
          bucket         TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),
          key            TEXT NOT NULL COLLATE BINARY,
          blob_id        TEXT NOT NULL,
          size           INTEGER NOT NULL,
          etag           TEXT NOT NULL,
          last_modified  TEXT NOT NULL,
          metadata       TEXT NOT NULL,
          part_sizes     TEXT,
          PRIMARY KEY (bucket, key)
        );

        CREATE TABLE uploads (
          upload_id           TEXT NOT NULL PRIMARY KEY,
          bucket              TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),
          key                 TEXT NOT NULL COLLATE BINARY,
          initiated           TEXT NOT NULL,
          metadata            TEXT NOT NULL,
          checksum_algorithm  TEXT
        );
        CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, upload_id);

        CREATE TABLE parts (
          upload_id      TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
          part_number    INTEGER NOT NULL,
          blob_id        TEXT NOT NULL,
          size           INTEGER NOT NULL,
          etag           TEXT NOT NULL,
          md5_hex        TEXT NOT NULL,
          last_modified  TEXT NOT NULL,
          checksum       TEXT,
          PRIMARY KEY (upload_id, part_number)
        );

        CREATE TABLE tokens (
          access_key_id  TEXT NOT NULL PRIMARY KEY,
          secret         TEXT NOT NULL,
          name           TEXT NOT NULL,
          access         TEXT NOT NULL CHECK (access IN ('read', 'write', 'read-write')),
          buckets        TEXT NOT NULL,
          prefix         TEXT,
          expires_at     TEXT,
          revoked_at     TEXT,
          created_at     TEXT NOT NULL,
          root           INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE settings (
          key    TEXT NOT NULL PRIMARY KEY,
          value  TEXT NOT NULL
        );
      `);
    },
  },
  {
    // src/log/request-log.ts. AUTOINCREMENT: ids never come back after old rows are pruned,
    // so `signet log --follow` can read "rows after the last id seen".
    name: 'request log',
    up(db) {
      db.exec(`
        CREATE TABLE request_log (
          id             INTEGER PRIMARY KEY AUTOINCREMENT,
          time           TEXT NOT NULL,
          request_id     TEXT NOT NULL,
          method         TEXT NOT NULL,
          path           TEXT NOT NULL,
          bucket         TEXT,
          key            TEXT,
          auth_kind      TEXT,
          access_key_id  TEXT,
          operation      TEXT,
          status         INTEGER NOT NULL,
          error_code     TEXT,
          steps          TEXT,
          duration_ms    REAL NOT NULL,
          bytes_in       INTEGER NOT NULL,
          bytes_out      INTEGER NOT NULL
        );
        CREATE INDEX request_log_by_request_id ON request_log (request_id);
      `);
    },
  },
];

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database schema is version ${found} but this signet knows only up to ${known}: ` +
        'use the signet version that created this data directory, or another --data-dir',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration not yet applied. Returns the resulting version. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  for (;;) {
    if (schemaVersion(db) >= migrations.length) break;
    const applyNext = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const version = schemaVersion(db);
      if (version >= migrations.length) return;
      migrations[version].up(db);
      db.pragma(`user_version = ${version + 1}`);
    });
    applyNext.immediate();
  }
  const version = schemaVersion(db);
  if (version > migrations.length) throw new SchemaTooNewError(version, migrations.length);
  return version;
}
