/**
 * A pre-training stage on a lent GPU, in one `run` call (scripts/device-pretrain.sh), and back:
 *
 *   npm run make:builtin-model -- --pretrain mine-model --stage 7          # the stage's data, here
 *   scripts/pack-device-kit.sh --pretrain 7                               # calls device-kit below
 *   run(command: "bash scripts/device-pretrain.sh", carry: [".cache/device-kit"], timeout_s: 590)
 *   npm run make:builtin-model -- --pretrain import-device <files_at> --stage 7
 *   npm run make:builtin-model -- --pretrain export --hardware TEXT        # evaluated here, as always
 *
 * `device-kit` writes what the device script needs to start the stage exactly as `train --stage N`
 * would (the same CLI arguments, from stageTrainArgs) and the hashes it checks there; the device
 * measures its own speed and sizes the run to its time. `import-device` checks and reassembles the
 * checkpoint the device sent back (in pieces: a file that comes back is at most 16 MiB) into the
 * stage's output folder, where `train --stage N` resumes it on the CPU and `export` finds it.
 */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_DIR, CHECKPOINT_STATE_FILE, parseCheckpointFiles, readCheckpoint, writeCheckpoint } from '../src/io/checkpoint-files.ts';
import { BUILTIN_MODEL_DIR } from './make-builtin-model.ts';
import { prepareStart, type Stage, stageByNumber, stageNumber, stageTrainArgs } from './pretrain-builtin.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the device finds the start model: the committed folder, which travels with the tree. */
const DEVICE_START_MODEL = path.relative(ROOT, BUILTIN_MODEL_DIR);
export const DEVICE_STAGE_FILE = 'pretrain.json';
const DEVICE_ARGS_FILE = 'train-args.txt';
const TENSOR_PIECE = /^tensors\.part-\d+$/;

/** What the kit says about its stage; the device copies it back beside the checkpoint. */
export interface DeviceStage {
  readonly stage: string;
  /** The most steps the device may size the run to. */
  readonly maxSteps: number;
  /** Relative to the repository: the folder the device starts from. */
  readonly startModel: string;
  readonly startModelSha256: string;
  /** Relative to the repository: the rows (the kit carries them compressed). */
  readonly data: string;
  readonly dataSha256: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const fileSha256 = (file: string): string => sha256(readFileSync(file));

function requireDeviceStage(stage: Stage): void {
  if (!stage.onDevice) throw new Error(`${stage.name} is not a GPU stage; train it here with --pretrain train --stage N`);
}

/**
 * `device-kit --stage N --kit DIR`: the stage's CLI arguments (one per line; the device fills in
 * @REPO@, @DATA@, @OUT@ and @STEPS@) and its pretrain.json. The stage starts from the committed
 * folder, as the same stage here would: its copy here must hold the same weights.
 */
export function writeDeviceStage(args: readonly string[]): void {
  const stage = stageByNumber(args);
  requireDeviceStage(stage);
  const kitAt = args.indexOf('--kit');
  if (kitAt < 0) throw new Error('device-kit needs --kit DIR');
  const kit = path.resolve(args[kitAt + 1]);
  if (!existsSync(stage.data)) throw new Error(`${stage.name}: ${path.relative(ROOT, stage.data)} is missing: run --pretrain mine-model --stage ${stageNumber(stage)} first`);
  const committed = path.join(ROOT, DEVICE_START_MODEL, 'model.safetensors');
  prepareStart(stage);
  const startSha = fileSha256(committed);
  if (fileSha256(path.join(stage.model, 'model.safetensors')) !== startSha) {
    throw new Error(`${path.relative(ROOT, stage.model)} holds other weights than ${DEVICE_START_MODEL}: the device starts from the committed folder; remove the copy (or commit the model it came from)`);
  }
  const template = stageTrainArgs(stage, { model: `@REPO@/${DEVICE_START_MODEL}`, data: '@DATA@', out: '@OUT@', backend: 'webgpu', steps: '@STEPS@' });
  const description: DeviceStage = {
    stage: stage.name, maxSteps: stage.steps, startModel: DEVICE_START_MODEL, startModelSha256: startSha,
    data: path.relative(ROOT, stage.data), dataSha256: fileSha256(stage.data),
  };
  writeFileSync(path.join(kit, DEVICE_ARGS_FILE), `${template.join('\n')}\n`);
  writeFileSync(path.join(kit, DEVICE_STAGE_FILE), `${JSON.stringify(description, null, 2)}\n`);
  console.log(`${stage.name}: up to ${stage.steps} steps on the device, from ${DEVICE_START_MODEL} (sha256 ${startSha.slice(0, 12)}…)`);
}

/** The pieces of tensors.safetensors, in order, joined; checked against the sum the device wrote. */
export function joinTensorPieces(dir: string): Uint8Array {
  const pieces = readdirSync(dir).filter((f) => TENSOR_PIECE.test(f)).sort();
  if (pieces.length === 0) throw new Error(`${dir} holds no tensors.part-NN pieces: did the device run write a checkpoint? (see its log.txt)`);
  const joined = Buffer.concat(pieces.map((f) => readFileSync(path.join(dir, f))));
  const sums = path.join(dir, 'SHA256SUMS');
  if (!existsSync(sums)) throw new Error(`${dir}/SHA256SUMS is missing: cannot check the ${pieces.length} pieces`);
  const want = /^([0-9a-f]{64})\s/m.exec(readFileSync(sums, 'utf8'))?.[1];
  if (want !== sha256(joined)) throw new Error(`${dir}: the ${pieces.length} tensor pieces join to other bytes than the device's SHA256SUMS says (a piece missing or cut short?)`);
  return joined;
}

/** `import-device DIR --stage N`: the device's checkpoint → the stage's output folder here. */
export async function importDeviceRun(args: readonly string[]): Promise<void> {
  const dir = args[0] && !args[0].startsWith('--') ? path.resolve(args[0]) : null;
  if (!dir) throw new Error('import-device needs the folder the device run sent back: import-device DIR --stage N');
  const stage = stageByNumber(args);
  requireDeviceStage(stage);
  const description = JSON.parse(readFileSync(path.join(dir, DEVICE_STAGE_FILE), 'utf8')) as DeviceStage;
  if (description.stage !== stage.name) throw new Error(`${dir} holds a run of ${description.stage}, not ${stage.name}`);
  if (fileSha256(stage.data) !== description.dataSha256) throw new Error(`${path.relative(ROOT, stage.data)} is not the file the device trained on (sha256 differs): re-mine it as the kit was made`);
  prepareStart(stage);
  if (fileSha256(path.join(stage.model, 'model.safetensors')) !== description.startModelSha256) {
    throw new Error(`${path.relative(ROOT, stage.model)} holds other weights than the device started from`);
  }
  const checkpoint = parseCheckpointFiles(new Uint8Array(readFileSync(path.join(dir, CHECKPOINT_STATE_FILE))), joinTensorPieces(dir), dir);
  const target = path.join(stage.out, CHECKPOINT_DIR);
  if (existsSync(path.join(target, CHECKPOINT_STATE_FILE))) {
    const here = await readCheckpoint(target);
    if (here.state.step >= checkpoint.state.step) throw new Error(`${path.relative(ROOT, target)} is already at step ${here.state.step} (the device's is at ${checkpoint.state.step}): nothing imported`);
  }
  await writeCheckpoint(target, checkpoint);
  const log = existsSync(path.join(dir, 'log.txt')) ? readFileSync(path.join(dir, 'log.txt'), 'utf8') : '';
  const facts = log.split('\n').filter((l) => /^(backend:|trained |probe:|sized:)/.test(l));
  console.log(`${stage.name}: imported step ${checkpoint.state.step} of ${checkpoint.state.totalSteps} into ${path.relative(ROOT, target)}`);
  for (const line of facts) console.log(`  ${line}`);
  if (checkpoint.state.step < checkpoint.state.totalSteps) console.log(`  not finished: --pretrain train --stage ${stageNumber(stage)} resumes it here (wasm); a device run always starts the stage afresh`);
}
