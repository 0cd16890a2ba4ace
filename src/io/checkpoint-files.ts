import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Checkpoint, CheckpointError } from '../model/checkpoint.ts';
import { CHECKPOINT_STATE_FILE, CHECKPOINT_TENSORS_FILE, checkpointFiles, parseCheckpointFiles } from './checkpoint-bytes.ts';
import { writeFolderAtomically } from './write-folder.ts';

/**
 * A checkpoint folder: `state.json` (everything but tensors) and `tensors.safetensors` with the
 * flat `params`, `adam_m` and `adam_v` buffers (F32, bit-exact). Folders are written whole into
 * a temporary sibling and swapped in, so the previous checkpoint survives a crash or a full disk.
 */

export const CHECKPOINT_DIR = 'checkpoint';
export { CHECKPOINT_STATE_FILE, CHECKPOINT_TENSORS_FILE, checkpointFiles, parseCheckpointFiles };

/** Writes `dir` (state.json + tensors.safetensors) atomically, replacing an earlier checkpoint. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await writeFolderAtomically(dir, checkpointFiles(checkpoint));
}

export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const [stateBytes, tensorBytes] = await Promise.all([
    readFile(path.join(dir, CHECKPOINT_STATE_FILE)),
    readFile(path.join(dir, CHECKPOINT_TENSORS_FILE)),
  ]).catch((e: unknown) => {
    throw new CheckpointError(`${dir} is not a checkpoint folder: ${(e as Error).message}`);
  });
  return parseCheckpointFiles(new Uint8Array(stateBytes), new Uint8Array(tensorBytes), dir);
}

/**
 * The checkpoint folder for `dir`: `dir` itself when it holds state.json, else `dir/checkpoint`
 * (a training output folder). null when neither does.
 */
export async function findCheckpointDir(dir: string): Promise<string | null> {
  for (const candidate of [dir, path.join(dir, CHECKPOINT_DIR)]) {
    const info = await stat(path.join(candidate, CHECKPOINT_STATE_FILE)).catch(() => null);
    if (info?.isFile()) return candidate;
  }
  return null;
}
