import { writeFile } from 'node:fs/promises';
import { mineHardNegatives, minedTriplets, miningOptionsProblem, miningSet, tripletsJsonl } from '../../eval/hard-negatives.ts';
import { choiceOption, numberOption, optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir, nodeBackend } from '../node-runtime.ts';
import { readTrainingData } from './train.ts';
import { BACKEND_PREFERENCES } from '../../shared/names.ts';
import { DEFAULT_MINING_OPTIONS, type MiningOptions } from '../../shared/settings.ts';

export const MINE_USAGE =
  'mine --model DIR --data FILE.jsonl --out triplets.jsonl [--range-min N] [--range-max N] [--margin X] [--relative-margin X] [--max-score X] [--min-score X] ' +
  '[--num-negatives N] [--sampling-strategy top|random] [--seed N] [--query-prompt TEXT] [--corpus-prompt TEXT] [--batch-size N] [--backend auto|wasm|webgpu|cpu]';

/** A number option that may be left out (sentence-transformers' None). */
function optionalNumber(v: Record<string, string | boolean | undefined>, name: string, options: { min?: number; integer?: boolean } = {}): number | null {
  return v[name] === undefined ? null : numberOption(v, name, 0, options);
}

/**
 * sentence-transformers' mine_hard_negatives from the command line: every (anchor, positive) row
 * of --data gets negatives from its corpus (every positive and negative), written as
 * (anchor, positive, negative) JSONL, one row per negative (as_triplets=True).
 */
export async function runMine(argv: readonly string[]): Promise<void> {
  const v = parseOptions(argv, {
    model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' },
    'range-min': { type: 'string' }, 'range-max': { type: 'string' }, margin: { type: 'string' }, 'relative-margin': { type: 'string' },
    'max-score': { type: 'string' }, 'min-score': { type: 'string' }, 'num-negatives': { type: 'string' }, 'sampling-strategy': { type: 'string' },
    seed: { type: 'string' }, 'query-prompt': { type: 'string' }, 'corpus-prompt': { type: 'string' }, 'batch-size': { type: 'string' }, backend: { type: 'string' },
  }, 'mine');
  const modelDir = requireString(v, 'model', 'mine');
  const dataFile = requireString(v, 'data', 'mine');
  const out = requireString(v, 'out', 'mine');
  const options: MiningOptions = {
    rangeMin: numberOption(v, 'range-min', DEFAULT_MINING_OPTIONS.rangeMin, { integer: true, min: 0 }),
    // The CLI's default is the library's: no upper rank (the page bounds it for its table).
    rangeMax: optionalNumber(v, 'range-max', { integer: true, min: 1 }),
    margin: optionalNumber(v, 'margin'),
    relativeMargin: optionalNumber(v, 'relative-margin', { min: 0 }),
    maxScore: optionalNumber(v, 'max-score'),
    minScore: optionalNumber(v, 'min-score'),
    numNegatives: numberOption(v, 'num-negatives', DEFAULT_MINING_OPTIONS.numNegatives, { integer: true, min: 1 }),
    samplingStrategy: choiceOption(v, 'sampling-strategy', ['top', 'random'] as const, DEFAULT_MINING_OPTIONS.samplingStrategy),
    seed: numberOption(v, 'seed', DEFAULT_MINING_OPTIONS.seed, { integer: true, min: 0 }),
  };
  const problem = miningOptionsProblem(options);
  if (problem) throw new UsageError(`--${problem.split(' ')[0].replace(/_/g, '-')}: ${problem}`);
  const batchSize = numberOption(v, 'batch-size', 32, { integer: true, min: 1 });
  const backendKind = choiceOption(v, 'backend', BACKEND_PREFERENCES, 'auto');
  const data = await readTrainingData(dataFile);
  const shape = data.detection.ok ? data.detection.mapping.shape : null;
  if (shape !== 'pairs' && shape !== 'triplets') throw new UsageError(`--data: mining needs (anchor, positive) rows; ${dataFile} holds ${shape ?? 'no recognised'} data`);
  if (data.examples.length === 0) throw new UsageError(`--data: ${dataFile} has no rows to mine`);
  const set = miningSet(data.examples);
  if (set.corpus.length < 2) throw new UsageError(`--data: the corpus of ${dataFile} has ${set.corpus.length} document; mining needs others to pick negatives from`);
  const backend = await nodeBackend(backendKind);
  try {
    const { model } = await loadModelDir(modelDir, backend);
    const queries = await model.encode(set.queries, { batchSize, prompt: optionalString(v, 'query-prompt') });
    const corpus = await model.encode(set.corpus, { batchSize, prompt: optionalString(v, 'corpus-prompt') });
    const mined = mineHardNegatives(queries, corpus, model.dimension, set.pairs, options);
    const triplets = minedTriplets(set, mined);
    await writeFile(out, tripletsJsonl(triplets));
    const short = mined.filter((m) => m.negatives.length < options.numNegatives).length;
    process.stdout.write(`${JSON.stringify({ pairs: mined.length, corpus: set.corpus.length, triplets: triplets.length, pairsWithFewerNegatives: short, out })}\n`);
  } finally {
    backend.destroy();
  }
}
