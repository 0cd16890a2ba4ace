import { buildIrEvalSet } from '../../data/ir-dataset.ts';
import { computeRankings, informationRetrievalMetrics, IR_MAX_K } from '../../eval/ir-metrics.ts';
import { choiceOption, numberOption, optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir, nodeBackend } from '../node-runtime.ts';
import { readTrainingData } from './train.ts';
import { BACKEND_PREFERENCES } from '../../shared/names.ts';

export const EVAL_USAGE =
  'eval --model DIR --data FILE.jsonl [--query-prompt TEXT] [--corpus-prompt TEXT] [--batch-size N] [--backend auto|wasm|webgpu|cpu]';

/**
 * Retrieval metrics as sentence-transformers' InformationRetrievalEvaluator computes them: the
 * queries are the anchors, the corpus is every positive and negative in the file.
 */
export async function runEval(argv: readonly string[]): Promise<void> {
  const v = parseOptions(argv, {
    model: { type: 'string' }, data: { type: 'string' }, 'query-prompt': { type: 'string' }, 'corpus-prompt': { type: 'string' },
    'batch-size': { type: 'string' }, backend: { type: 'string' },
  }, 'eval');
  const modelDir = requireString(v, 'model', 'eval');
  const dataFile = requireString(v, 'data', 'eval');
  const batchSize = numberOption(v, 'batch-size', 32, { integer: true, min: 1 });
  const backendKind = choiceOption(v, 'backend', BACKEND_PREFERENCES, 'auto');
  const data = await readTrainingData(dataFile);
  const shape = data.detection.ok ? data.detection.mapping.shape : null;
  if (shape !== 'pairs' && shape !== 'triplets') {
    throw new UsageError(`--data: retrieval evaluation needs (query, positive[, negative]) rows; ${dataFile} holds ${shape ?? 'no recognised'} data`);
  }
  const set = buildIrEvalSet(data.examples);
  const backend = await nodeBackend(backendKind);
  try {
    const { model } = await loadModelDir(modelDir, backend);
    const queries = await model.encode(set.queries, { batchSize, prompt: optionalString(v, 'query-prompt') });
    const corpus = await model.encode(set.corpus, { batchSize, prompt: optionalString(v, 'corpus-prompt') });
    const rankings = computeRankings(queries, corpus, model.dimension, IR_MAX_K, 'cosine');
    const { metrics, skippedQueries } = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
    process.stdout.write(`${JSON.stringify({ queries: set.queries.length, corpus: set.corpus.length, skippedQueries: skippedQueries.length, ...metrics }, null, 2)}\n`);
  } finally {
    backend.destroy();
  }
}
