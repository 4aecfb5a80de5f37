/**
 * The sync that `synchronous=FULL` runs inside every COMMIT in WAL mode, run on libuv's thread pool instead of the
 * event loop: `fdatasync` of the database's WAL file. group-commit.ts calls `sync()` after a group's COMMIT (made at
 * synchronous=NORMAL, which in WAL mode differs from FULL by exactly that one sync) and before any member is answered.
 * You probably don't need to edit this file.
 */
import { statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';

export interface WalSync {
  /** Makes everything written to the WAL so far durable. Throws if there is no WAL file to sync (never guesses). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The WAL of the SQLite file at `databasePath`. The file is opened once and again only if it was replaced (a new
 * inode: every connection closed and a new one created it); each time it is opened its folder is synced too, as
 * SQLite does when it creates the WAL, so the file's name is as durable as its contents.
 */
export function fileWalSync(databasePath: string): WalSync {
  const walPath = `${path.resolve(databasePath)}-wal`;
  let opened: { handle: FileHandle; inode: number } | null = null;

  async function reopen(inode: number): Promise<FileHandle> {
    await opened?.handle.close();
    opened = null;
    const handle = await open(walPath, 'r+');
    opened = { handle, inode: (await handle.stat()).ino };
    if (opened.inode !== inode) throw new Error(`${walPath} was replaced while it was being opened`);
    await syncFolder(path.dirname(walPath));
    return handle;
  }

  return {
    async sync() {
      const inode = statSync(walPath).ino;
      const handle = opened?.inode === inode ? opened.handle : await reopen(inode);
      await handle.datasync();
    },
    async close() {
      await opened?.handle.close();
      opened = null;
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
