/**
 * Retrieval on the session's model and eval split: searches, evaluations, the before / after
 * comparison and the maps. Token states of the eval texts are cached per weights and template
 * (pooling and normalisation are cheap to redo), and so is each evaluation, so the page's own
 * base-model evaluation is the one a training run starts from.
 */
import { computeRankings, informationRetrievalMetrics, IR_MAX_K } from '../eval/ir-metrics.ts';
import { MAP_LABELS, MAP_MAX_TEXTS, mapTogether } from '../eval/maps.ts';
import { parseTemplate } from '../model/run-config.ts';
import { encodeTokenStates, poolTokenStates, type TokenStates } from '../model/token-states.ts';
import type { ProgressCallback, WeightsState } from '../shared/events.ts';
import { metricsFromEvaluator, type RetrievalMetrics } from '../shared/metrics.ts';
import type { MapMethod } from '../shared/names.ts';
import type { RetrievalSettings } from '../shared/settings.ts';
import { bm25Rankings } from './baselines.ts';
import type { JobGate } from './job-gate.ts';
import type { Comparison, EvalSummary, ProjectionPoint, SearchHit } from './protocol.ts';
import type { Session } from './session.ts';

export interface PooledEmbeddings {
  readonly queries: Float32Array;
  readonly corpus: Float32Array;
  readonly dimension: number;
}

export class Retrieval {
  private readonly tokenStates = new Map<string, TokenStates>();
  private readonly evaluations = new Map<string, EvalSummary>();
  /** The encode in progress; the next one waits for it. */
  private encoding: Promise<unknown> = Promise.resolve();
  /**
   * Bumped by forgetAll / forgetTrained: a result computed across a change (an evaluation that
   * started before a new dataset, or before a run's next capture) is returned but not cached.
   */
  private epoch = 0;
  private trainedEpoch = 0;

  constructor(
    private readonly session: Session,
    private readonly gate: JobGate,
  ) {}

  /** The model, its weights or the dataset changed: nothing cached holds. */
  forgetAll(): void {
    this.epoch++;
    this.tokenStates.clear();
    this.evaluations.clear();
  }

  /** Whether results begun at `mark` still describe the weights and data they were computed on. */
  private stillCurrent(mark: { epoch: number; trainedEpoch: number }, weights: WeightsState): boolean {
    return mark.epoch === this.epoch && (weights === 'base' || mark.trainedEpoch === this.trainedEpoch);
  }

  private mark(): { epoch: number; trainedEpoch: number } {
    return { epoch: this.epoch, trainedEpoch: this.trainedEpoch };
  }

  /** The fine-tuned weights changed. */
  forgetTrained(): void {
    this.trainedEpoch++;
    this.session.weightsVersion++;
    for (const key of [...this.tokenStates.keys()]) if (key.startsWith('trained')) this.tokenStates.delete(key);
    for (const key of [...this.evaluations.keys()]) if (key.startsWith('trained')) this.evaluations.delete(key);
  }

  /** Token states of a text list under a template and weights; eval sets are cached, ad-hoc texts not. */
  private async statesFor(
    texts: readonly string[], role: 'query' | 'corpus' | 'adhoc', template: string, weights: WeightsState, onProgress?: ProgressCallback,
    signal?: AbortSignal,
  ): Promise<TokenStates> {
    const { prefix, suffix } = parseTemplate(template);
    const key = `${weights}\u0000${role}\u0000${template}`;
    const hit = role === 'adhoc' ? undefined : this.tokenStates.get(key);
    if (hit) return hit;
    // One encode at a time: two at once (the playground's metrics and the BM25 table's) would
    // interleave their steps on one backend and swap each other's weights.
    const run = this.encoding.then(async () => {
      const again = role === 'adhoc' ? undefined : this.tokenStates.get(key);
      if (again) return again;
      const mark = this.mark();
      this.session.requireSlots().use(weights);
      const model = this.session.requireModel().model;
      const states = await encodeTokenStates(model, suffix ? texts.map((t) => t + suffix) : texts, prefix || undefined, {
        signal,
        onProgress: (done, total) => onProgress?.(`embedding ${role === 'corpus' ? 'documents' : 'queries'}`, done, total),
      });
      if (role !== 'adhoc' && this.stillCurrent(mark, weights)) this.tokenStates.set(key, states);
      return states;
    });
    this.encoding = run.catch(() => undefined);
    return run;
  }

  /** Pooled eval-set embeddings under a setting (the cached token states the playground uses). */
  async evalEmbeddings(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PooledEmbeddings> {
    const set = this.session.requireDataset().requireEvalSet();
    const q = await this.statesFor(set.queries, 'query', settings.queryTemplate, weights, onProgress, signal);
    const c = await this.statesFor(set.corpus, 'corpus', settings.corpusTemplate, weights, onProgress, signal);
    return {
      queries: poolTokenStates(q, settings.pooling, settings.normalize, settings.includePrompt),
      corpus: poolTokenStates(c, settings.pooling, settings.normalize, settings.includePrompt),
      dimension: q.dimension,
    };
  }

  /** Pooled embeddings of texts outside the eval set, under a template; nothing is cached. */
  async adhocEmbeddings(
    texts: readonly string[], template: string, settings: RetrievalSettings, weights: WeightsState, onProgress?: (done: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const states = await this.statesFor(texts, 'adhoc', template, weights, (_, done, total) => onProgress?.(done, total), signal);
    return poolTokenStates(states, settings.pooling, settings.normalize, settings.includePrompt);
  }

  async search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> {
    await this.gate.afterProbe();
    const set = this.session.requireDataset().requireEvalSet();
    const { corpus, dimension } = await this.evalEmbeddings(settings, weights);
    const q = await this.adhocEmbeddings([query], settings.queryTemplate, settings, weights);
    const [ranking] = computeRankings(q, corpus, dimension, topK, 'cosine');
    const queryIndex = set.queries.indexOf(query);
    const relevant = queryIndex >= 0 ? set.relevant[queryIndex] : new Set<number>();
    return Array.from(ranking.corpusIndex, (c, i) => ({ corpusIndex: c, text: set.corpus[c], score: ranking.score[i], relevant: relevant.has(c) }));
  }

  /**
   * Pooled embeddings of any texts (document chunks, mining corpora), encoded a slice at a time
   * so the token states held at once stay small; nothing is cached.
   */
  async embedTexts(
    texts: readonly string[], template: string, settings: RetrievalSettings, weights: WeightsState, label: string,
    onProgress?: ProgressCallback, signal?: AbortSignal, slice = 256,
  ): Promise<Float32Array> {
    const D = this.session.requireModel().model.dimension;
    const out = new Float32Array(texts.length * D);
    for (let start = 0; start < texts.length; start += slice) {
      if (signal?.aborted) throw new DOMException('cancelled', 'AbortError');
      const part = texts.slice(start, start + slice);
      out.set(await this.adhocEmbeddings(part, template, settings, weights, (done) => onProgress?.(label, start + done, texts.length), signal), start * D);
    }
    onProgress?.(label, texts.length, texts.length);
    return out;
  }

  /** BM25 (keyword search) on the eval split, scored like the models. */
  bm25Evaluate(): { metrics: RetrievalMetrics; firstRelevantRank: (number | null)[]; milliseconds: number } {
    const set = this.session.requireDataset().requireEvalSet();
    const { rankings, milliseconds } = bm25Rankings(set);
    const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
    const firstRelevantRank: (number | null)[] = set.queries.map(() => null);
    for (const r of result.perQuery) firstRelevantRank[r.query] = r.firstRelevantRank;
    return { metrics: metricsFromEvaluator(result.metrics), firstRelevantRank, milliseconds };
  }

  evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> {
    return this.gate.job((signal) => this.evaluateNow(settings, weights, onProgress, signal));
  }

  /** An evaluation outside the job gate (a training run's own, which holds the weights already). */
  async evaluateNow(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvalSummary> {
    const key = `${weights}\u0000${JSON.stringify(settings)}`;
    const cached = this.evaluations.get(key);
    if (cached) return cached;
    const mark = this.mark();
    const started = performance.now();
    const set = this.session.requireDataset().requireEvalSet();
    const { queries, corpus, dimension } = await this.evalEmbeddings(settings, weights, onProgress, signal);
    const rankings = computeRankings(queries, corpus, dimension, IR_MAX_K, 'cosine');
    const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
    const firstRelevantRank: (number | null)[] = set.queries.map(() => null);
    for (const r of result.perQuery) firstRelevantRank[r.query] = r.firstRelevantRank;
    const summary = { weights, metrics: metricsFromEvaluator(result.metrics), firstRelevantRank, milliseconds: performance.now() - started };
    if (this.stillCurrent(mark, weights)) this.evaluations.set(key, summary);
    return summary;
  }

  compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> {
    return this.gate.job((signal) => this.compareNow(settings, topK, signal, onProgress));
  }

  private async compareNow(settings: RetrievalSettings, topK: number, signal: AbortSignal, onProgress?: ProgressCallback): Promise<Comparison> {
    const set = this.session.requireDataset().requireEvalSet();
    const side = async (weights: WeightsState) => {
      const { queries, corpus, dimension } = await this.evalEmbeddings(settings, weights, onProgress, signal);
      const rankings = computeRankings(queries, corpus, dimension, IR_MAX_K, 'cosine');
      const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
      return { rankings, result };
    };
    const before = await side('base');
    const after = await side('trained');
    const rankOf = (r: typeof before, q: number) => r.result.perQuery.find((p) => p.query === q)?.firstRelevantRank ?? null;
    const hits = (r: typeof before, q: number): SearchHit[] =>
      Array.from(r.rankings[q].corpusIndex.subarray(0, topK), (c, i) => ({
        corpusIndex: c, text: set.corpus[c], score: r.rankings[q].score[i], relevant: set.relevant[q].has(c),
      }));
    const rankIn = (r: typeof before, q: number, c: number) => {
      const at = r.rankings[q].corpusIndex.indexOf(c);
      return at < 0 ? null : at + 1;
    };
    return {
      before: metricsFromEvaluator(before.result.metrics),
      after: metricsFromEvaluator(after.result.metrics),
      bm25: this.bm25Evaluate().metrics,
      queries: set.queries.map((query, q) => ({
        query, rankBefore: rankOf(before, q), rankAfter: rankOf(after, q), topBefore: hits(before, q), topAfter: hits(after, q),
        relevant: [...set.relevant[q]].map((c) => ({ corpusIndex: c, text: set.corpus[c], rankBefore: rankIn(before, q, c), rankAfter: rankIn(after, q, c) })),
      })),
    };
  }

  /**
   * Queries and documents before and after fine-tuning, in one UMAP, t-SNE or PCA frame. Coloured
   * by query group: a query and its relevant documents share one; other documents get -1.
   */
  project(settings: RetrievalSettings, onProgress?: ProgressCallback, maxPoints?: number, method: MapMethod = 'umap'): Promise<ProjectionPoint[]> {
    return this.gate.job((signal) => this.projectNow(settings, signal, onProgress, maxPoints ?? MAP_MAX_TEXTS[method], method));
  }

  private async projectNow(
    settings: RetrievalSettings, signal: AbortSignal, onProgress: ProgressCallback | undefined, maxPoints: number, method: MapMethod,
  ): Promise<ProjectionPoint[]> {
    const set = this.session.requireDataset().requireEvalSet();
    const before = await this.evalEmbeddings(settings, 'base', onProgress, signal);
    const after = await this.evalEmbeddings(settings, this.session.requireSlots().hasTrained ? 'trained' : 'base', onProgress, signal);
    const D = before.dimension;
    const docGroup = new Map<number, number>();
    set.relevant.forEach((docs, q) => docs.forEach((d) => docGroup.has(d) || docGroup.set(d, q)));
    const queries = set.queries.slice(0, Math.min(set.queries.length, Math.floor(maxPoints / 3)));
    const docs = set.corpus.map((_, i) => i).slice(0, Math.max(0, maxPoints - queries.length));
    const pick = (emb: PooledEmbeddings) => {
      const out = new Float32Array((queries.length + docs.length) * D);
      queries.forEach((_, q) => out.set(emb.queries.subarray(q * D, q * D + D), q * D));
      docs.forEach((d, j) => out.set(emb.corpus.subarray(d * D, d * D + D), (queries.length + j) * D));
      return out;
    };
    const { before: b, after: a } = await mapTogether(method, pick(before), pick(after), D, {
      // The fit stops when its progress callback returns false.
      onProgress: (done, total) => {
        onProgress?.(`projecting with ${MAP_LABELS[method]}`, done, total);
        return !signal.aborted;
      },
    });
    if (signal.aborted) throw new DOMException('projection cancelled', 'AbortError');
    const point = (i: number, text: string, kind: 'query' | 'document', group: number): ProjectionPoint => ({
      text, kind, group, before: [b[2 * i], b[2 * i + 1]], after: [a[2 * i], a[2 * i + 1]],
    });
    return [
      ...queries.map((q, i) => point(i, q, 'query', i)),
      ...docs.map((d, j) => point(queries.length + j, set.corpus[d], 'document', docGroup.get(d) ?? -1)),
    ];
  }
}
