/**
 * The RAG check: a person's own document, chunked, and a question answered with the top-k
 * passages of the base model, the fine-tuned model and BM25 side by side. Chunk embeddings are
 * computed once per model and setting, and dropped when the chunks or the weights change.
 */
import { Bm25Index } from '../eval/bm25.ts';
import { type Chunk, chunkText } from '../data/chunk.ts';
import { checkDocumentPlan, type LoadedDocument } from '../data/document.ts';
import { computeRankings } from '../eval/ir-metrics.ts';
import type { RagAnswer, RagChunk, RagDocumentInfo, RagHit } from './protocol-checks.ts';
import type { ProgressCallback } from './protocol.ts';
import type { Workspace } from './workspace.ts';
import { type ChunkSettings, chunkSettingsProblem, type RetrievalSettings } from '../shared/settings.ts';
import type { WeightsState } from '../shared/events.ts';

export const RAG_MAX_TOP_K = 20;

export class RagCheck {
  private chunks: Chunk[] = [];
  private chunking: ChunkSettings;
  private bm25: Bm25Index;
  private readonly embedded = new Map<string, Float32Array>();
  /** The workspace the embeddings came from (a lost GPU makes a new one, with new weights). */
  private embeddedBy: Workspace | null = null;

  constructor(readonly document: LoadedDocument, chunking: ChunkSettings, dimension: number) {
    this.chunking = chunking;
    this.bm25 = this.rechunkNow(chunking, dimension);
  }

  private rechunkNow(chunking: ChunkSettings, dimension: number): Bm25Index {
    const problem = chunkSettingsProblem(chunking);
    if (problem) throw new RangeError(problem);
    const chunks = chunkText(this.document.text, chunking);
    checkDocumentPlan(this.document.name, chunks, dimension);
    this.chunks = chunks;
    this.chunking = chunking;
    this.embedded.clear();
    return new Bm25Index(chunks.map((c) => c.text));
  }

  /** New size or overlap: the chunks (and their embeddings) are made again; on a refusal the old ones stay. */
  rechunk(chunking: ChunkSettings, dimension: number): RagDocumentInfo {
    this.bm25 = this.rechunkNow(chunking, dimension);
    return this.info();
  }

  info(): RagDocumentInfo {
    const d = this.document;
    const base = { name: d.name, kind: d.kind, bytes: d.bytes, characters: d.text.length, chunking: this.chunking, chunks: this.chunks.length };
    return d.pages === undefined ? base : { ...base, pages: d.pages };
  }

  chunkPage(offset: number, count: number): RagChunk[] {
    return this.chunks.slice(offset, offset + count).map((c, i) => ({ index: offset + i, text: c.text, start: c.start, end: c.end }));
  }

  private async chunkEmbeddings(ws: Workspace, settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal) {
    if (this.embeddedBy !== ws) this.embedded.clear();
    this.embeddedBy = ws;
    const key = JSON.stringify([weights, ws.weightsVersion, settings]);
    let e = this.embedded.get(key);
    if (!e) {
      const label = `embedding ${this.chunks.length} chunks (${weights === 'base' ? 'base' : 'fine-tuned'})`;
      e = await ws.embedTexts(this.chunks.map((c) => c.text), settings.corpusTemplate, settings, weights, label, onProgress, signal);
      this.embedded.set(key, e);
    }
    return e;
  }

  async ask(ws: Workspace, question: string, settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<RagAnswer> {
    const q = question.trim();
    if (!q) throw new Error('type a question first');
    if (!Number.isInteger(topK) || topK < 1 || topK > RAG_MAX_TOP_K) throw new RangeError(`top-k must be a whole number from 1 to ${RAG_MAX_TOP_K}`);
    const started = performance.now();
    const k = Math.min(topK, this.chunks.length);
    const side = async (weights: WeightsState): Promise<RagHit[]> => {
      const corpus = await this.chunkEmbeddings(ws, settings, weights, onProgress, signal);
      const query = await ws.embedTexts([q], settings.queryTemplate, settings, weights, 'embedding the question', undefined, signal);
      const [ranking] = computeRankings(query, corpus, query.length, k, 'cosine');
      return Array.from(ranking.corpusIndex, (c, i) => ({ chunk: c, text: this.chunks[c].text, score: ranking.score[i] }));
    };
    const base = await side('base');
    const trained = ws.hasTrained ? await side('trained') : null;
    const [lexical] = this.bm25.rank([q], k);
    const bm25 = Array.from(lexical.corpusIndex, (c, i) => ({ chunk: c, text: this.chunks[c].text, score: lexical.score[i] }));
    return { question: q, base, trained, bm25, milliseconds: performance.now() - started };
  }
}
