/**
 * What leaves the studio: the sentence-transformers folder with its model card, the "continue on
 * GPUs" recipe, and the check that the exported ONNX files embed as the engine does.
 */
import { computeRankings, informationRetrievalMetrics, IR_MAX_K } from '../eval/ir-metrics.ts';
import { verifyOnnxFiles } from '../eval/onnx-verify.ts';
import { buildModelExport, type CardDetails, trainingCardInfo } from '../io/model-export.ts';
import { buildRecipe, recipeColumns } from '../io/recipe.ts';
import { sentenceTransformersFolder } from '../io/st-export.ts';
import type { StudioRunDescription } from '../io/st-training-args.ts';
import { parseTemplate, runConfigFor } from '../model/run-config.ts';
import type { ProgressCallback, WeightsState } from '../shared/events.ts';
import { evaluatorKey, metricsFromEvaluator, type RetrievalMetricKey } from '../shared/metrics.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { JobGate } from './job-gate.ts';
import type { OnnxVerificationDtype, OnnxVerificationReport } from './protocol.ts';
import type { Retrieval } from './retrieval.ts';
import type { Session } from './session.ts';
import type { TrainingSession } from './training-session.ts';
import { selectVerificationTexts } from '../eval/onnx-texts.ts';

/** The metrics the model card reports, before and after, under the evaluator's own keys. */
const CARD_METRICS: readonly RetrievalMetricKey[] = ['mrr@10', 'ndcg@10', 'map@100', 'accuracy@1', 'recall@10'];

export class ExportJob {
  constructor(
    private readonly session: Session,
    private readonly retrieval: Retrieval,
    private readonly training: TrainingSession,
    private readonly gate: JobGate,
  ) {}

  private get exportedWeights(): WeightsState {
    return this.session.requireSlots().hasTrained ? 'trained' : 'base';
  }

  /**
   * What the model card says about this model beyond its config: how it was trained (the last
   * run's config, data, time, loss) and its retrieval metrics before and after.
   */
  private cardDetails(settings: RetrievalSettings, card: CardDetails): CardDetails {
    const t = this.session.requireSlots().hasTrained ? this.training.summary : null;
    const d = this.session.dataset;
    if (!t || !d) return card;
    const shape = d.shape;
    const columns = shape && shape !== 'labeled-texts' ? recipeColumns(shape, d.train[0]?.texts.length ?? 2) : [];
    const run = this.runDescription(t.config, settings, columns);
    const o = this.training.outcome;
    const training = trainingCardInfo(
      run,
      { name: d.data.report.file, size: d.train.length, evalSize: d.evalRows.length, ...(shape ? { shape } : {}) },
      { steps: t.steps, seconds: t.seconds, ...(o?.finalLoss != null ? { finalLoss: o.finalLoss } : {}), hardware: this.session.backend.adapter.summary },
    );
    const after = o?.after;
    const evaluation = after
      ? {
          dataset: `the eval split of ${d.data.report.file} (${d.evalSet?.queries.length ?? 0} queries, ${d.evalSet?.corpus.length ?? 0} documents)`,
          metrics: CARD_METRICS.map((k) => ({ name: evaluatorKey(k), before: o.before?.[k] ?? null, after: after[k] })),
        }
      : undefined;
    return { ...card, training, ...(evaluation ? { evaluation } : {}) };
  }

  private runDescription(config: TrainingConfig, settings: RetrievalSettings, columns: readonly string[]): StudioRunDescription {
    const memory = this.training.memoryPlan(config);
    return {
      config: runConfigFor(config, settings, memory.miniBatchSize),
      maxSeqLength: Math.min(config.maxSeqLength, this.session.requireModel().model.dims.maxPositions),
      columns,
      evalEvery: config.evalEvery,
      checkpointEvery: config.checkpointEvery ?? 0,
      promptSuffixes: { query: parseTemplate(settings.queryTemplate).suffix, document: parseTemplate(settings.corpusTemplate).suffix },
    };
  }

  /**
   * "Continue on GPUs": the sentence-transformers project that reproduces a run of `config` on
   * this dataset split, from `baseModel` (a Hub id, or "base_model" with the base weights beside it).
   */
  async recipeFiles(config: TrainingConfig, settings: RetrievalSettings, baseModel: string | null): Promise<Map<string, Uint8Array>> {
    const loaded = this.session.requireModel();
    const d = this.session.requireDataset();
    const shape = d.shape;
    if (!shape || shape === 'labeled-texts') throw new Error('no loss trains on this dataset, so there is no run to continue');
    if (!d.data.losses.includes(config.loss)) throw new Error(`the ${config.loss} loss does not fit this dataset's shape`);
    const columns = recipeColumns(shape, d.train[0]?.texts.length ?? 2);
    const t = this.training.summary;
    const outcome = this.training.outcome;
    const files = buildRecipe({
      baseModel: baseModel ?? 'base_model',
      run: this.runDescription(config, settings, columns),
      pooling: { mode: settings.pooling, includePrompt: settings.includePrompt },
      normalize: settings.normalize,
      train: d.train,
      evalSet: d.evalSet,
      templates: { query: parseTemplate(settings.queryTemplate), document: parseTemplate(settings.corpusTemplate) },
      ...(t && outcome
        ? { studio: { metrics: { ...(outcome.after ?? {}) }, note: `the studio's run: ${t.steps} steps in ${t.seconds.toFixed(1)} s on ${this.session.backend.adapter.summary}` } }
        : {}),
    });
    if (baseModel === null) {
      // Not on the Hub (built-in or the person's own files): the base weights travel with the recipe.
      this.session.requireSlots().use('base');
      for (const [rel, bytes] of await sentenceTransformersFolder(loaded, { onnx: false })) files.set(`base_model/${rel}`, bytes);
    }
    return files;
  }

  /** The fine-tuned (or, before training, the base) model as sentence-transformers files, with its model card. */
  async exportFolder(settings: RetrievalSettings, card: CardDetails = {}): Promise<Map<string, Uint8Array>> {
    const loaded = this.session.requireModel();
    this.session.requireSlots().use(this.exportedWeights);
    const model = loaded.model;
    const saved = { pooling: model.pooling, normalize: model.normalize };
    model.pooling = { mode: settings.pooling, includePrompt: settings.includePrompt };
    model.normalize = settings.normalize;
    try {
      const prompts: Record<string, string> = { ...loaded.config.prompts };
      const q = parseTemplate(settings.queryTemplate).prefix, c = parseTemplate(settings.corpusTemplate).prefix;
      if (q) prompts.query = q;
      if (c) prompts.document = c;
      return (await buildModelExport(loaded, { prompts, card: this.cardDetails(settings, card) })).files;
    } finally {
      model.pooling = saved.pooling;
      model.normalize = saved.normalize;
    }
  }

  /**
   * "What you evaluated is what you ship": runs the exported ONNX files (the given folder, or a
   * fresh export with these settings) through transformers.js on the eval texts — the whole eval
   * set, or a sample of about `maxTexts` queries and documents — and compares their embeddings and
   * retrieval metrics with the engine's, on the weights the export holds.
   */
  verifyOnnx(
    settings: RetrievalSettings, onProgress?: ProgressCallback, files?: ReadonlyMap<string, Uint8Array>,
    options: { maxTexts?: number; dtypes?: readonly OnnxVerificationDtype[] } = {},
  ): Promise<OnnxVerificationReport> {
    return this.gate.job(async (signal) => {
      const { model } = this.session.requireModel();
      const weights = this.exportedWeights;
      const dataset = this.session.dataset;
      const set = dataset?.evalSet ?? null;
      const fallback = dataset ? dataset.data.examples.flatMap((e) => e.texts) : [];
      const texts = selectVerificationTexts(set, fallback, options.maxTexts);
      onProgress?.('exporting', 0, 1);
      const exported = files ?? (await this.exportFolder(settings));
      const engineSide = (list: readonly string[], template: string, label: string) =>
        this.retrieval.adhocEmbeddings(list, template, settings, weights, (done, total) => onProgress?.(label, done, total), signal);
      const engine =
        set && texts.source === 'eval set'
          ? await this.retrieval.evalEmbeddings(settings, weights, onProgress, signal)
          : {
              queries: await engineSide(texts.queries, settings.queryTemplate, 'engine: embedding queries'),
              corpus: await engineSide(texts.corpus, settings.corpusTemplate, 'engine: embedding documents'),
              dimension: model.dimension,
            };
      const score = (q: Float32Array, c: Float32Array, dimension: number) =>
        metricsFromEvaluator(informationRetrievalMetrics(computeRankings(q, c, dimension, IR_MAX_K, 'cosine'), texts.relevant!, { similarity: 'cosine' }).metrics);
      const report = await verifyOnnxFiles({
        files: exported, settings, texts, engine, score, onProgress, signal, dtypes: options.dtypes, maxSeqLength: model.maxSeqLength,
        templates: { query: parseTemplate(settings.queryTemplate), corpus: parseTemplate(settings.corpusTemplate) },
      });
      return texts.relevant && texts.queries.length > 0 ? { ...report, engineMetrics: score(engine.queries, engine.corpus, engine.dimension) } : report;
    });
  }
}
