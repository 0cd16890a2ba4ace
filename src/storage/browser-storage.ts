/** The studio's storage in a browser (the studio worker): IndexedDB, OPFS and Web Locks. */
import { RunLocks, type LockManagerLike } from './locks.ts';
import { opfsRoot, RunFiles, type DirectoryLike } from './opfs.ts';
import { StudioStorage } from './studio-storage.ts';
import { idbStores, openStudioDb } from './studio-db.ts';

export function browserStudioStorage(): StudioStorage {
  const nav = globalThis.navigator as (Navigator & { locks?: LockManagerLike }) | undefined;
  let root: Promise<DirectoryLike> | null = null;
  return new StudioStorage({
    stores: () => openStudioDb().then(idbStores),
    files: new RunFiles(() => (root ??= opfsRoot(nav?.storage))),
    locks: new RunLocks(nav?.locks ?? null),
    storageManager: nav?.storage ?? null,
  });
}
