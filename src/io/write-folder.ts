import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes every file into a sibling temporary folder, then renames it into place, so a crash or
 * a full disk never leaves a half-written model where the user asked for one.
 */
export async function writeFolderAtomically(target: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const dir = path.resolve(target);
  const temp = `${dir}.partial-${process.pid}-${Date.now()}`;
  try {
    for (const [rel, bytes] of files) {
      const file = path.join(temp, rel);
      if (!file.startsWith(temp + path.sep)) throw new Error(`refusing to write ${rel}: outside the export folder`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    const existing = await stat(dir).catch(() => null);
    if (existing) {
      // Keep the old folder until the new one is in place.
      const old = `${dir}.old-${process.pid}-${Date.now()}`;
      await rename(dir, old);
      await rename(temp, dir);
      await rm(old, { recursive: true, force: true });
    } else {
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(temp, dir);
    }
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}
