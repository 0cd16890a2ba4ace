import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryDisk } from './memory-opfs.ts';
import { readFileChecked, RunFiles, writeFileAtomic } from './opfs.ts';
import { StorageFullError } from './quota.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const PATH = 'runs/r1/weights.safetensors';
/** A summary that compares fast (toEqual walks megabyte arrays element by element). */
function look(b: Uint8Array | null) {
  if (b === null) return null;
  let min = 255, max = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] < min) min = b[i];
    if (b[i] > max) max = b[i];
  }
  return { length: b.length, min, max };
}

describe('atomic weight files', () => {
  for (const mode of [
    { name: 'with move()', options: {} },
    { name: 'with a move() that will not replace', options: { moveReplaces: false } },
    { name: 'without move() (copy)', options: { supportsMove: false } },
    { name: 'with in-place writes (sync access handles)', options: { inPlaceWrites: true } },
  ]) {
    it(`replaces the file and leaves no temporary behind, ${mode.name}`, async () => {
      const disk = new MemoryDisk(mode.options);
      const files = new RunFiles(async () => disk.root);
      await files.writeWeights('r1', bytes(100, 1));
      const second = await files.writeWeights('r1', bytes(120, 2));
      expect(second.method).toBe(mode.options.supportsMove === false ? 'copy' : 'move');
      expect(disk.read(PATH)).toEqual(bytes(120, 2));
      expect(disk.paths()).toEqual([PATH]);
      expect(disk.used).toBe(120);
      expect(await files.readWeights('r1', 120)).toEqual(bytes(120, 2));
    });

    it(`keeps the previous file whole when the disk fills mid-write, ${mode.name}`, async () => {
      const disk = new MemoryDisk(mode.options);
      const files = new RunFiles(async () => disk.root);
      await files.writeWeights('r1', bytes(10 * 1024 * 1024, 7));
      // Room for part of the new file only: the quota error comes mid-write (8 MiB chunks).
      disk.quota = disk.used + 12 * 1024 * 1024;
      const error = await files.writeWeights('r1', bytes(20 * 1024 * 1024, 9)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageFullError);
      expect((error as Error).message).toMatch(/Not enough storage space for saving the weights of run r1/);
      expect((error as Error).message).toMatch(/previously saved file is untouched/);
      expect(look(disk.read(PATH))).toEqual(look(bytes(10 * 1024 * 1024, 7)));
      expect(disk.paths()).toEqual([PATH]);
      expect(disk.used).toBe(10 * 1024 * 1024);
    });
  }

  it('keeps the old file when the copy fallback itself runs out of room', async () => {
    const disk = new MemoryDisk({ supportsMove: false });
    const dir = await disk.root.getDirectoryHandle('d', { create: true });
    await writeFileAtomic(dir, 'w', bytes(1000, 1));
    // The temporary fits, the copy next to it does not.
    disk.quota = disk.used + 1500;
    await expect(writeFileAtomic(dir, 'w', bytes(1200, 2))).rejects.toBeInstanceOf(StorageFullError);
    expect(disk.read('d/w')).toEqual(bytes(1000, 1));
    expect(disk.paths()).toEqual(['d/w']);
  });

  it('reads a complete temporary when a tab closed before the rename', async () => {
    const disk = new MemoryDisk();
    const dir = await disk.root.getDirectoryHandle('d', { create: true });
    const tmp = await dir.getFileHandle('w.tmp', { create: true });
    const w = await tmp.createWritable();
    await w.write(bytes(64, 3));
    await w.close();
    expect(await readFileChecked(dir, 'w', 64)).toEqual(bytes(64, 3));
    expect(await readFileChecked(dir, 'w')).toBeNull();
    expect(await readFileChecked(dir, 'w', 65)).toBeNull();
  });

  it('passes other errors through unchanged and deletes a run folder', async () => {
    const disk = new MemoryDisk();
    const files = new RunFiles(async () => disk.root);
    await files.writeWeights('a', bytes(5, 1));
    await files.writeWeights('b', bytes(5, 2));
    await files.deleteRun('a');
    await files.deleteRun('never-saved');
    expect(disk.paths()).toEqual(['runs/b/weights.safetensors']);
    expect(await files.readWeights('a')).toBeNull();
  });

  it('whatever the quota, the file afterwards is the old or the new one, never a mix', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom({}, { supportsMove: false }, { moveReplaces: false }, { inPlaceWrites: true }),
        async (room, oldSize, newSize, options) => {
          const disk = new MemoryDisk(options);
          const dir = await disk.root.getDirectoryHandle('d', { create: true });
          await writeFileAtomic(dir, 'w', bytes(oldSize, 1));
          disk.quota = disk.used + room;
          const ok = await writeFileAtomic(dir, 'w', bytes(newSize, 2)).then(() => true, (e: unknown) => {
            expect(e).toBeInstanceOf(StorageFullError);
            return false;
          });
          expect(disk.read('d/w')).toEqual(ok ? bytes(newSize, 2) : bytes(oldSize, 1));
          expect(disk.paths()).toEqual(['d/w']);
        },
      ),
      { numRuns: 200 },
    );
  });
});
