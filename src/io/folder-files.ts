import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFiles } from './load-model.ts';

/** A model folder on disk (Node only). */
export function folderFiles(dir: string): ModelFiles {
  const read = async (rel: string): Promise<Buffer | null> => {
    try {
      return await readFile(path.join(dir, rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
  return {
    name: dir,
    readText: async (rel) => (await read(rel))?.toString('utf8') ?? null,
    readBytes: async (rel) => {
      const b = await read(rel);
      return b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : null;
    },
  };
}
