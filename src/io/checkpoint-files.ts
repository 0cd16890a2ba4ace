import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Checkpoint, CheckpointError, parseCheckpointState } from '../model/checkpoint.ts';
import { parseSafetensors, writeSafetensors } from './safetensors.ts';
import { writeFolderAtomically } from './write-folder.ts';

/**
 * A checkpoint folder: `state.json` (everything but tensors) and `tensors.safetensors` with the
 * flat `params`, `adam_m` and `adam_v` buffers (F32, bit-exact). Folders are written whole into
 * a temporary sibling and swapped in, so the previous checkpoint survives a crash or a full disk.
 */

export const CHECKPOINT_DIR = 'checkpoint';
export const CHECKPOINT_STATE_FILE = 'state.json';
export const CHECKPOINT_TENSORS_FILE = 'tensors.safetensors';

const TENSOR_NAMES = { params: 'params', m: 'adam_m', v: 'adam_v' } as const;

/** The folder's files as path → bytes; `prefix` (e.g. "checkpoint/") nests them in a larger write. */
export function checkpointFiles(checkpoint: Checkpoint, prefix = ''): Map<string, Uint8Array> {
  const { state, tensors } = checkpoint;
  const files = new Map<string, Uint8Array>();
  files.set(`${prefix}${CHECKPOINT_STATE_FILE}`, new TextEncoder().encode(`${JSON.stringify(state, null, 1)}\n`));
  files.set(
    `${prefix}${CHECKPOINT_TENSORS_FILE}`,
    writeSafetensors(
      (Object.keys(TENSOR_NAMES) as (keyof typeof TENSOR_NAMES)[]).map((k) => ({ name: TENSOR_NAMES[k], shape: [tensors[k].length], data: tensors[k] })),
      { format: state.format, step: String(state.step) },
    ),
  );
  return files;
}

/** Parses the two files' bytes back into a checkpoint. */
export function parseCheckpointFiles(stateBytes: Uint8Array, tensorBytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(stateBytes));
  } catch (e) {
    throw new CheckpointError(`${source}/${CHECKPOINT_STATE_FILE} is not valid JSON: ${(e as Error).message}`);
  }
  const state = parseCheckpointState(raw, `${source}/${CHECKPOINT_STATE_FILE}`);
  const file = parseSafetensors(tensorBytes, `${source}/${CHECKPOINT_TENSORS_FILE}`);
  const get = (name: string): Float32Array => {
    const t = file.tensors.get(name);
    if (!t || t.dtype !== 'F32') throw new CheckpointError(`${source}/${CHECKPOINT_TENSORS_FILE} has no F32 tensor "${name}"`);
    return t.data;
  };
  if (file.metadata.step !== undefined && file.metadata.step !== String(state.step)) {
    throw new CheckpointError(`${source}: ${CHECKPOINT_TENSORS_FILE} is from step ${file.metadata.step}, ${CHECKPOINT_STATE_FILE} from step ${state.step}`);
  }
  return { state, tensors: { params: get(TENSOR_NAMES.params), m: get(TENSOR_NAMES.m), v: get(TENSOR_NAMES.v) } };
}

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
