/**
 * The sync that `synchronous=FULL` runs inside every COMMIT in WAL mode, run on libuv's thread pool instead of the
 * event loop: `fdatasync` of the database's WAL file. group-commit.ts calls `sync()` after a group's COMMIT (made at
 * synchronous=NORMAL, which in WAL mode differs from FULL by exactly that one sync) and before any member is answered.
 * You probably don't need to edit this file.
 */
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';

export interface WalSync {
  /** Makes everything written to the WAL so far durable. Throws if there is no WAL file to sync (never guesses). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The WAL of the SQLite file at `databasePath`, opened at the first sync (its folder synced then too, as SQLite does
 * when it creates the WAL, so the file's name is as durable as its contents). Opened once: SQLite removes or replaces
 * a WAL only when the last connection to the database closes, and the server's own connection stays open until
 * `close()`, so no per-sync check of the file is needed.
 */
export function fileWalSync(databasePath: string): WalSync {
  const walPath = `${path.resolve(databasePath)}-wal`;
  let opened: Promise<FileHandle> | null = null;

  async function openWal(): Promise<FileHandle> {
    const handle = await open(walPath, 'r+');
    await syncFolder(path.dirname(walPath));
    return handle;
  }

  return {
    async sync() {
      opened ??= openWal();
      const handle = await opened.catch((error) => {
        opened = null; // no WAL to open: nothing is synced, the next call tries again
        throw error;
      });
      await handle.datasync();
    },
    async close() {
      const handle = await opened?.catch(() => null);
      opened = null;
      await handle?.close();
    },
  };
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
