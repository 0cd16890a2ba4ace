import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildIrEvalSet } from '../../data/ir-dataset.ts';
import { CpuBackend } from '../../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../../io/folder-files.ts';
import { DEFAULT_HUB_URL, HubPushError, pushToHub, type PushProgress } from '../../io/hub/push.ts';
import { buildModelExport, trainingCardInfo, type ModelExport } from '../../io/model-export.ts';
import { ONNX_FILES, type OnnxDtype } from '../../io/onnx/bert-onnx.ts';
import { buildRecipe, recipeColumns } from '../../io/recipe.ts';
import { parseRunRecord, RUN_RECORD_FILE, type RunRecordFile } from '../../io/run-record.ts';
import { ALL_ONNX_DTYPES } from '../../io/st-export.ts';
import { writeFolderAtomically } from '../../io/write-folder.ts';
import type { LoadedModel } from '../../io/load-model.ts';
import { loadSentenceModel } from '../../io/load-model.ts';
import { verifyOnnxFiles } from '../../eval/onnx-verify.ts';
import { optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir } from '../node-runtime.ts';
import { readTrainingData } from './train.ts';
import { selectVerificationTexts } from '../../eval/onnx-texts.ts';

export const EXPORT_USAGE =
  'export --model DIR [--out DIR] [--onnx fp32,fp16,int8|none] [--base-model HUB_ID] ' +
  '[--push-to-hub ORG/NAME [--private] [--update] [--token-env HF_TOKEN] [--hub-url URL]] [--recipe DIR [--data FILE] [--eval-data FILE]]';

function parseOnnx(raw: string | undefined): readonly OnnxDtype[] {
  if (raw === undefined) return ALL_ONNX_DTYPES;
  if (raw === 'none') return [];
  const picked = raw.split(',').map((s) => s.trim());
  const bad = picked.filter((d) => !(ALL_ONNX_DTYPES as readonly string[]).includes(d));
  if (bad.length > 0 || picked.length === 0) throw new UsageError(`--onnx must be a comma-separated list of ${ALL_ONNX_DTYPES.join(', ')} (or none), got "${raw}"`);
  return picked as OnnxDtype[];
}

async function readRunRecord(modelDir: string): Promise<RunRecordFile | null> {
  const file = path.join(modelDir, RUN_RECORD_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (text === null) return null;
  try {
    return parseRunRecord(text, file);
  } catch (e) {
    throw new UsageError(`--model: ${(e as Error).message}`);
  }
}

/** "uploading model.safetensors: 42% (38.1 of 90.4 MB)" on a terminal; one line per phase in logs. */
function pushProgress(): (p: PushProgress) => void {
  let last = '';
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return (p) => {
    if (process.stderr.isTTY) {
      const pct = p.bytesTotal > 0 ? Math.floor((p.bytesSent / p.bytesTotal) * 100) : 0;
      process.stderr.write(`\r\x1b[K${p.phase}${p.file ? ` ${p.file}` : ''}: ${pct}% (${mb(p.bytesSent)} of ${mb(p.bytesTotal)} MB)`);
      if (p.phase === 'done') process.stderr.write('\n');
    } else if (p.phase !== last) {
      process.stderr.write(`push: ${p.phase} (${mb(p.bytesSent)} of ${mb(p.bytesTotal)} MB sent)\n`);
    }
    last = p.phase;
  };
}

/**
 * The export the page writes, verified the way the page verifies it: the folder is loaded back
 * (weights bit for bit, embeddings equal) and each ONNX file is run through transformers.js
 * against the engine.
 */
async function verifyExport(source: LoadedModel, exported: ModelExport, dir: string, backend: CpuBackend): Promise<string> {
  const reloaded = await loadSentenceModel(folderFiles(dir), backend);
  const [a, b] = [await source.model.store.readParams(), await reloaded.model.store.readParams()];
  if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) throw new Error(`${dir}: the weights read back differ from the ones exported`);
  for (const [rel, bytes] of exported.files) {
    const back = await readFile(path.join(dir, rel));
    if (Buffer.compare(back, Buffer.from(bytes)) !== 0) throw new Error(`${dir}: ${rel} reads back different from what was written`);
  }
  if (![...exported.files.keys()].some((f) => f.startsWith('onnx/'))) return 'weights read back bit for bit';
  const settings = { pooling: source.model.pooling.mode, includePrompt: source.model.pooling.includePrompt, normalize: source.model.normalize, queryTemplate: '{text}', corpusTemplate: '{text}' };
  const dtypes = ALL_ONNX_DTYPES.filter((d) => exported.files.has(ONNX_FILES[d]));
  // No eval set here: the check's sample sentences, embedded by the engine as they are.
  const texts = selectVerificationTexts(null, []);
  const corpus = await source.model.encode(texts.corpus);
  const report = await verifyOnnxFiles({
    files: exported.files, settings, texts, dtypes, maxSeqLength: source.model.maxSeqLength,
    engine: { queries: new Float32Array(0), corpus, dimension: source.model.dimension },
    templates: { query: { prefix: '', suffix: '' }, corpus: { prefix: '', suffix: '' } },
  });
  const bad = report.rows.filter((r) => !r.ok);
  if (bad.length > 0) throw new Error(`ONNX check failed: ${bad.map((r) => `${r.file}: ${r.message ?? `max |Δ| ${r.fittingMaxAbsDiff.toExponential(2)} over ${r.tolerance}`}`).join('; ')}`);
  return `weights read back bit for bit; ${report.rows.map((r) => `${r.dtype} ONNX max |Δ| ${r.fittingMaxAbsDiff.toExponential(1)}`).join(', ')} (${report.runtime})`;
}

export async function runExport(argv: readonly string[]): Promise<void> {
  const v = parseOptions(argv, {
    model: { type: 'string' }, out: { type: 'string' }, onnx: { type: 'string' }, 'base-model': { type: 'string' },
    'push-to-hub': { type: 'string' }, private: { type: 'boolean' }, update: { type: 'boolean' }, 'token-env': { type: 'string' }, 'hub-url': { type: 'string' },
    recipe: { type: 'string' }, data: { type: 'string' }, 'eval-data': { type: 'string' },
  }, 'export');
  const modelDir = requireString(v, 'model', 'export');
  const out = optionalString(v, 'out');
  const repo = optionalString(v, 'push-to-hub');
  const recipeDir = optionalString(v, 'recipe');
  if (!out && !repo && !recipeDir) throw new UsageError('export: give --out DIR, --push-to-hub ORG/NAME or --recipe DIR (or several)');
  for (const flag of ['private', 'update', 'token-env', 'hub-url'] as const) {
    if (v[flag] !== undefined && !repo) throw new UsageError(`export: --${flag} goes with --push-to-hub`);
  }
  for (const flag of ['data', 'eval-data'] as const) {
    if (v[flag] !== undefined && !recipeDir) throw new UsageError(`export: --${flag} goes with --recipe`);
  }
  const onnx = parseOnnx(optionalString(v, 'onnx'));
  // The token is read from the environment (never a flag: shell history and `ps` would keep it) and used for this push only.
  const tokenEnv = optionalString(v, 'token-env') ?? 'HF_TOKEN';
  let token: string | undefined;
  if (repo) {
    token = process.env[tokenEnv];
    if (!token) throw new UsageError(`--token-env ${tokenEnv}: the environment variable ${tokenEnv} is not set; put a Hugging Face write token in it (https://huggingface.co/settings/tokens)`);
  }

  const backend = new CpuBackend();
  const loaded = await loadModelDir(modelDir, backend);
  const record = await readRunRecord(modelDir);
  const baseModel = optionalString(v, 'base-model') ?? record?.baseModel ?? null;
  const shape = record?.dataShape ?? null;
  const training = record
    ? trainingCardInfo(
        { config: record.config, maxSeqLength: record.maxSeqLength, columns: record.columns },
        { name: path.basename(record.data), size: record.rows, ...(shape ? { shape } : {}) },
        { steps: record.steps, seconds: record.seconds, finalLoss: record.losses.at(-1)?.loss, hardware: record.hardware },
      )
    : undefined;
  const card = (modelId?: string) => ({ ...(modelId ? { modelId } : {}), ...(baseModel ? { baseModel } : {}), ...(training ? { training } : {}) });

  if (out) {
    const exported = await buildModelExport(loaded, { onnx, card: card() });
    await writeFolderAtomically(out, exported.files);
    const checked = await verifyExport(loaded, exported, out, backend);
    process.stderr.write(`exported ${out} (${exported.files.size} files); ${checked}\n`);
  }

  if (recipeDir) {
    if (!record) throw new UsageError(`--recipe: ${modelDir} has no ${RUN_RECORD_FILE} (train writes it); train this model with \`train\` first`);
    const dataFile = optionalString(v, 'data') ?? record.data;
    const data = await readTrainingData(dataFile);
    const dataShape = data.detection.ok ? data.detection.mapping.shape : null;
    if (!dataShape || dataShape === 'labeled-texts') throw new UsageError(`--data: ${dataFile} has no rows a loss trains on`);
    const evalFile = optionalString(v, 'eval-data');
    let evalSet = null;
    if (evalFile) {
      const evalData = await readTrainingData(evalFile);
      if (!evalData.detection.ok || !['pairs', 'triplets'].includes(evalData.detection.mapping.shape)) {
        throw new UsageError(`--eval-data: ${evalFile} needs (query, positive[, negative]) rows for a retrieval evaluation`);
      }
      evalSet = buildIrEvalSet(evalData.examples);
    }
    const prompt = record.config.columnPrompts?.[0] ?? '';
    const files = buildRecipe({
      baseModel: optionalString(v, 'base-model') ?? record.baseModel,
      run: { config: record.config, maxSeqLength: record.maxSeqLength, columns: recipeColumns(dataShape, data.examples[0].texts.length) },
      pooling: loaded.model.pooling,
      normalize: loaded.model.normalize,
      train: data.examples,
      evalSet,
      templates: { query: { prefix: prompt, suffix: '' }, document: { prefix: record.config.columnPrompts?.at(-1) ?? '', suffix: '' } },
      studio: { losses: record.losses },
    });
    await writeFolderAtomically(recipeDir, files);
    process.stderr.write(`wrote the recipe to ${recipeDir}: cd ${recipeDir} && pip install -r requirements.txt && accelerate launch --num_processes N train.py\n`);
  }

  if (repo) {
    // The pushed card names the repo, so its snippets load it by id.
    const exported = await buildModelExport(loaded, { onnx, card: card(repo) });
    // Checked on disk first, as --out is: nothing goes up that does not load back.
    const scratch = await mkdtemp(path.join(tmpdir(), 'embedding-studio-push-'));
    try {
      await writeFolderAtomically(path.join(scratch, 'model'), exported.files);
      await verifyExport(loaded, exported, path.join(scratch, 'model'), backend);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const hubUrl = optionalString(v, 'hub-url') ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL;
    try {
      const r = await pushToHub({ repo, files: exported.files, token, private: v.private === true, updateExisting: v.update === true, hubUrl, onProgress: pushProgress() });
      process.stderr.write(`pushed ${r.files} files (${(r.bytes / 1024 / 1024).toFixed(1)} MB) to ${r.url}${r.created ? ' (new repo)' : ''}, commit ${r.commitOid}\n`);
      process.stdout.write(`${r.url}\n`);
    } catch (e) {
      if (e instanceof HubPushError && ['no-token', 'bad-token', 'bad-name', 'exists', 'forbidden'].includes(e.code)) {
        const hint = e.code === 'exists' ? ' (--update adds a commit to it)' : '';
        throw new UsageError(`--push-to-hub ${repo}: ${e.message}${hint}`);
      }
      throw e;
    }
  }
}
