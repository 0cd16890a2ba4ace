import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type CheckpointState } from '../model/checkpoint.ts';
import { findCheckpointDir, readCheckpoint, writeCheckpoint } from './checkpoint-files.ts';

// A disk that fills up on demand: writeFile fails for tensors.safetensors while `diskFull` is set.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    writeFile: (async (file: string, ...rest: unknown[]) => {
      if (disk.full && String(file).endsWith('tensors.safetensors')) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${String(file)}'`), { code: 'ENOSPC' });
      }
      return (fs.writeFile as (...a: unknown[]) => Promise<void>)(file, ...rest);
    }) as typeof fs.writeFile,
  };
});

function fakeCheckpoint(step: number, fill: number): Checkpoint {
  const n = 128;
  const state = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step, totalSteps: 10,
    config: { loss: { id: 'mnrl', scale: 20, tripletMargin: 5, matryoshkaDims: [] }, optimizer: { lr: 1e-3 }, scheduler: 'linear', warmupSteps: 0, batchSize: 4, epochs: 1, shuffle: true, seed: 1 },
    schedule: { kind: 'linear', warmupSteps: 0, totalSteps: 10 },
    optimizer: { stepsTaken: step },
    rng: { dropout: 123, order: 456 },
    data: { examples: 40, fingerprint: 'abcd0123', epoch: 0, epochStartRngState: 42, cursor: step * 4 },
    model: { size: n, layout: '00000000', maxSeqLength: 32, hiddenDropout: 0.1, attentionDropout: 0.1 },
    losses: Array.from({ length: step }, (_, i) => ({ step: i + 1, epoch: i / 10, loss: 1 / (i + 1), lr: 1e-3, gradNorm: 2 })),
    meta: { model: '/m', data: '/d.jsonl' },
  } as unknown as CheckpointState;
  const t = (k: number) => Float32Array.from({ length: n }, (_, i) => fill + k + i * 1e-3);
  return { state, tensors: { params: t(0), m: t(1), v: t(2) } };
}

describe('checkpoint folders', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-ckpt-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes state.json and tensors.safetensors and reads them back bit for bit', async () => {
    const target = path.join(dir, 'out', 'checkpoint');
    const c = fakeCheckpoint(3, 0.5);
    await writeCheckpoint(target, c);
    expect((await readdir(target)).sort()).toEqual(['state.json', 'tensors.safetensors']);
    const back = await readCheckpoint(target);
    expect(back.state).toEqual(c.state);
    expect(Array.from(back.tensors.m)).toEqual(Array.from(c.tensors.m));
    expect(await findCheckpointDir(path.join(dir, 'out'))).toBe(target);
    expect(await findCheckpointDir(target)).toBe(target);
    expect(await findCheckpointDir(dir)).toBeNull();
  });

  it('keeps the previous checkpoint intact when the disk fills up mid-write', async () => {
    const target = path.join(dir, 'crash', 'checkpoint');
    await writeCheckpoint(target, fakeCheckpoint(2, 1));
    disk.full = true;
    try {
      await expect(writeCheckpoint(target, fakeCheckpoint(4, 2))).rejects.toThrow(/ENOSPC/);
    } finally {
      disk.full = false;
    }
    const still = await readCheckpoint(target);
    expect(still.state.step).toBe(2);
    expect(still.tensors.params[0]).toBe(1);
    // No half-written folder is left beside it.
    expect(await readdir(path.dirname(target))).toEqual(['checkpoint']);
    // And the next write replaces it whole.
    await writeCheckpoint(target, fakeCheckpoint(6, 3));
    expect((await readCheckpoint(target)).state.step).toBe(6);
    expect(await readdir(path.dirname(target))).toEqual(['checkpoint']);
  });

  it('names what is wrong with a broken checkpoint folder', async () => {
    const target = path.join(dir, 'broken');
    await writeCheckpoint(target, fakeCheckpoint(1, 0));
    await writeFile(path.join(target, 'state.json'), '{"format": "embedding-studio-checkpoint", "version": 1, "step": -1}');
    await expect(readCheckpoint(target)).rejects.toThrow(/step must be a non-negative integer/);
    await expect(readCheckpoint(path.join(dir, 'nowhere'))).rejects.toThrow(/is not a checkpoint folder/);
    const mismatched = path.join(dir, 'mismatched');
    await writeCheckpoint(mismatched, fakeCheckpoint(5, 0));
    const other = path.join(dir, 'other');
    await writeCheckpoint(other, fakeCheckpoint(4, 0));
    const { copyFile } = await import('node:fs/promises');
    await copyFile(path.join(other, 'tensors.safetensors'), path.join(mismatched, 'tensors.safetensors'));
    await expect(readCheckpoint(mismatched)).rejects.toThrow(/from step 4, state.json from step 5/);
  });
});
