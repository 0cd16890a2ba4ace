import { type Checkpoint, CheckpointError, parseCheckpointState } from '../model/checkpoint.ts';
import { parseSafetensors, writeSafetensors } from './safetensors.ts';

/**
 * Checkpoints as bytes, with no file-system access, so the browser worker and the CLI share them.
 * Two layouts: a folder (`state.json` + `tensors.safetensors`, readable with any tool — the CLI's)
 * and one self-contained `checkpoint.safetensors` whose metadata carries the state (the studio's:
 * one file can be swapped in atomically in the origin-private file system, a pair cannot).
 * Tensors are the flat `params`, `adam_m` and `adam_v` buffers, F32, bit-exact.
 */

export const CHECKPOINT_STATE_FILE = 'state.json';
export const CHECKPOINT_TENSORS_FILE = 'tensors.safetensors';
export const CHECKPOINT_SINGLE_FILE = 'checkpoint.safetensors';

const TENSOR_NAMES = { params: 'params', m: 'adam_m', v: 'adam_v' } as const;
/** Metadata key of the single-file layout's state JSON. */
const STATE_KEY = 'embedding_studio_state';

function tensorFile(checkpoint: Checkpoint, extraMetadata: Record<string, string> = {}): Uint8Array {
  const { state, tensors } = checkpoint;
  return writeSafetensors(
    (Object.keys(TENSOR_NAMES) as (keyof typeof TENSOR_NAMES)[]).map((k) => ({ name: TENSOR_NAMES[k], shape: [tensors[k].length], data: tensors[k] })),
    { format: state.format, step: String(state.step), ...extraMetadata },
  );
}

function tensorsOf(tensorBytes: Uint8Array, source: string) {
  const file = parseSafetensors(tensorBytes, source);
  const get = (name: string): Float32Array => {
    const t = file.tensors.get(name);
    if (!t || t.dtype !== 'F32') throw new CheckpointError(`${source} has no F32 tensor "${name}"`);
    return t.data;
  };
  return { metadata: file.metadata, tensors: { params: get(TENSOR_NAMES.params), m: get(TENSOR_NAMES.m), v: get(TENSOR_NAMES.v) } };
}

function parseStateJson(text: string, source: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  return parseCheckpointState(raw, source);
}

/** The folder's files as path → bytes; `prefix` (e.g. "checkpoint/") nests them in a larger write. */
export function checkpointFiles(checkpoint: Checkpoint, prefix = ''): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set(`${prefix}${CHECKPOINT_STATE_FILE}`, new TextEncoder().encode(`${JSON.stringify(checkpoint.state, null, 1)}\n`));
  files.set(`${prefix}${CHECKPOINT_TENSORS_FILE}`, tensorFile(checkpoint));
  return files;
}

/** Parses the folder layout's two files back into a checkpoint. */
export function parseCheckpointFiles(stateBytes: Uint8Array, tensorBytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const state = parseStateJson(new TextDecoder().decode(stateBytes), `${source}/${CHECKPOINT_STATE_FILE}`);
  const { metadata, tensors } = tensorsOf(tensorBytes, `${source}/${CHECKPOINT_TENSORS_FILE}`);
  if (metadata.step !== undefined && metadata.step !== String(state.step)) {
    throw new CheckpointError(`${source}: ${CHECKPOINT_TENSORS_FILE} is from step ${metadata.step}, ${CHECKPOINT_STATE_FILE} from step ${state.step}`);
  }
  return { state, tensors };
}

/** The single-file layout: tensors plus the state in the safetensors metadata. */
export function encodeCheckpointFile(checkpoint: Checkpoint): Uint8Array {
  return tensorFile(checkpoint, { [STATE_KEY]: JSON.stringify(checkpoint.state) });
}

export function decodeCheckpointFile(bytes: Uint8Array, source = CHECKPOINT_SINGLE_FILE): Checkpoint {
  const { metadata, tensors } = tensorsOf(bytes, source);
  const text = metadata[STATE_KEY];
  if (text === undefined) throw new CheckpointError(`${source} is a safetensors file but not an Embedding Studio checkpoint (no "${STATE_KEY}" metadata)`);
  const state = parseStateJson(text, `${source} (state)`);
  if (metadata.step !== String(state.step)) throw new CheckpointError(`${source}: its tensors are from step ${metadata.step}, its state from step ${state.step}`);
  return { state, tensors };
}
