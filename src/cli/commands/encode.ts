import { readFile, writeFile } from 'node:fs/promises';
import { choiceOption, numberOption, optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir, nodeBackend, requireFile } from '../node-runtime.ts';
import { BACKEND_PREFERENCES, POOLING_MODES } from '../../shared/names.ts';

export const ENCODE_USAGE =
  'encode --model DIR --input FILE(.txt|.jsonl) [--pooling MODE] [--prompt TEXT] [--normalize] [--batch-size N] [--backend auto|wasm|webgpu|cpu] --out FILE.json';

/** One text per line (.txt), or JSONL lines that are strings or objects with a "text" field. */
export function readTexts(content: string, file: string): string[] {
  const lines = content.split(/\r?\n/);
  if (!file.endsWith('.jsonl')) return lines.filter((l) => l.trim().length > 0);
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof value === 'string') texts.push(value);
    else if (typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string') {
      texts.push((value as { text: string }).text);
    } else throw new UsageError(`${file}:${i + 1}: expected a JSON string or an object with a string "text" field`);
  });
  return texts;
}

export async function runEncode(argv: readonly string[]): Promise<void> {
  const v = parseOptions(argv, {
    model: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' }, pooling: { type: 'string' },
    prompt: { type: 'string' }, normalize: { type: 'boolean' }, 'batch-size': { type: 'string' }, backend: { type: 'string' },
  }, 'encode');
  const modelDir = requireString(v, 'model', 'encode');
  const input = requireString(v, 'input', 'encode');
  const out = requireString(v, 'out', 'encode');
  const backendKind = choiceOption(v, 'backend', BACKEND_PREFERENCES, 'auto');
  const batchSize = numberOption(v, 'batch-size', 32, { integer: true, min: 1 });
  await requireFile(input, 'input');
  const texts = readTexts(await readFile(input, 'utf8'), input);
  if (texts.length === 0) throw new UsageError(`--input: ${input} has no texts`);

  const backend = await nodeBackend(backendKind);
  try {
    const { model } = await loadModelDir(modelDir, backend);
    const pooling = v.pooling === undefined ? model.pooling : { ...model.pooling, mode: choiceOption(v, 'pooling', POOLING_MODES, model.pooling.mode) };
    const normalize = v.normalize === true ? true : model.normalize;
    const prompt = optionalString(v, 'prompt');
    const started = performance.now();
    const embeddings = await model.encode(texts, { batchSize, prompt, pooling, normalize });
    const seconds = (performance.now() - started) / 1000;
    const D = model.dimension;
    const rows = texts.map((_, i) => Array.from(embeddings.subarray(i * D, i * D + D)));
    await writeFile(out, JSON.stringify({ model: modelDir, dimension: D, pooling: pooling.mode, normalize, prompt: prompt ?? null, backend: backend.adapter.summary, texts, embeddings: rows }));
    process.stderr.write(`encoded ${texts.length} texts in ${seconds.toFixed(2)} s on ${backend.adapter.summary} → ${out}\n`);
  } finally {
    backend.destroy();
  }
}
