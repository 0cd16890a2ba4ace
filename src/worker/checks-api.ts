/** The checks beyond training (issue 16): the baselines table, hard-negative mining, and the RAG check on a document. */
import { readDocument } from '../data/document.ts';
import { tripletsJsonl } from '../eval/hard-negatives.ts';
import type { ProgressCallback } from '../shared/events.ts';
import { type ChunkSettings, DEFAULT_CHUNK_SETTINGS, type MiningOptions, type RetrievalSettings } from '../shared/settings.ts';
import { mineWithModel, type MiningSession } from './mining-session.ts';
import type { BaselineSummary, MinedRow, MiningSummary, RagAnswer, RagChunk, RagDocumentInfo, TripletDatasetResult } from './protocol-checks.ts';
import type { DatasetInfo } from './protocol.ts';
import { RagCheck } from './rag-check.ts';
import type { StudioEnvironment } from './studio-environment.ts';
import type { StudioLoading } from './studio-loading.ts';
import type { WorkspaceHost } from './workspace-host.ts';

/** The name a mined triplet dataset is loaded, saved and exported under. */
export const MINED_TRIPLETS_FILE = 'mined-triplets.jsonl';

export class ChecksApi {
  /** The last hard-negative mining, until its triplets are used or it is mined again. */
  private mining: MiningSession | null = null;
  /** The RAG check's document. */
  private rag: RagCheck | null = null;

  constructor(
    private readonly host: WorkspaceHost,
    private readonly loading: StudioLoading,
    private readonly env: StudioEnvironment,
  ) {}

  /** BM25, the base model and (when trained) the fine-tuned one on the eval split, under one setting. */
  async baselines(settings: RetrievalSettings, onProgress?: ProgressCallback): Promise<BaselineSummary> {
    const ws = await this.host.ready();
    const bm25 = ws.bm25Evaluate();
    const base = (await ws.evaluate(settings, 'base', onProgress)).metrics;
    const trained = ws.hasTrained ? (await ws.evaluate(settings, 'trained', onProgress)).metrics : null;
    return { bm25: bm25.metrics, base, trained, bm25Milliseconds: bm25.milliseconds };
  }

  /** Mines hard negatives for every (anchor, positive) row with the current model. Cancel with cancelJob. */
  async mine(settings: RetrievalSettings, options: MiningOptions, onProgress?: ProgressCallback): Promise<MiningSummary> {
    const ws = await this.host.ready();
    this.mining = await ws.runJob((signal) => mineWithModel(ws, settings, options, onProgress, signal));
    return this.mining.summary;
  }

  minedRows(offset: number, count: number): MinedRow[] {
    return this.requireMining().rows(offset, count);
  }

  /** The mined triplets without the rejected negatives, as JSONL (anchor, positive, negative). */
  minedTripletsJsonl(rejected: readonly string[]): string {
    return tripletsJsonl(this.requireMining().triplets(rejected));
  }

  /**
   * Makes the mined triplets (less the rejected ones) the loaded dataset, saved like a dropped
   * file, so Train trains on them (MultipleNegativesRankingLoss with a hard negative per row).
   */
  async useMinedTriplets(rejected: readonly string[]): Promise<{ info: DatasetInfo; result: TripletDatasetResult }> {
    const triplets = this.requireMining().triplets(rejected);
    if (triplets.length === 0) throw new Error('every mined negative was rejected: keep at least one, or mine again with other settings');
    const bytes = new TextEncoder().encode(tripletsJsonl(triplets));
    const info = await this.loading.loadDataset(MINED_TRIPLETS_FILE, bytes, this.host.split);
    this.mining = null;
    return { info, result: { name: MINED_TRIPLETS_FILE, triplets: triplets.length, rejected: rejected.length } };
  }

  private requireMining(): MiningSession {
    if (!this.mining) throw new Error('mine hard negatives first');
    return this.mining;
  }

  /** Reads a dropped document (txt, md, PDF), chunks it and keeps it with the workspace. */
  async openDocument(name: string, bytes: Uint8Array, chunking: ChunkSettings = DEFAULT_CHUNK_SETTINGS, onProgress?: ProgressCallback): Promise<RagDocumentInfo> {
    const ws = await this.host.ready();
    const model = ws.currentModel;
    if (!model) throw new Error('load a model first');
    const pdfjs = this.env.pdfjs ?? (() => Promise.reject(new Error('PDFs cannot be read here: drop a .txt or .md')));
    const doc = await readDocument(name, bytes, pdfjs, (done, total) => onProgress?.(`reading ${name} (page ${done} of ${total})`, done, total));
    this.rag = new RagCheck(doc, chunking, model.dimension);
    await this.env.storage?.saveDocument({ name, bytes, chunking }).catch((e: unknown) => this.host.noteSaveProblem(`saving the document ${name}`, e));
    return this.rag.info();
  }

  async rechunkDocument(chunking: ChunkSettings): Promise<RagDocumentInfo> {
    const ws = await this.host.ready();
    const rag = this.requireDocument();
    const info = rag.rechunk(chunking, ws.currentModel?.dimension ?? 0);
    const storage = this.env.storage;
    if (storage) {
      const saved = await storage.lastDocument().catch(() => null);
      if (saved && saved.name === info.name) await storage.saveDocument({ ...saved, chunking }).catch((e: unknown) => this.host.noteSaveProblem('saving the chunk settings', e));
    }
    return info;
  }

  /** The open document, or the one saved with the workspace (read again), or null. */
  async ragDocument(): Promise<RagDocumentInfo | null> {
    if (this.rag) return this.rag.info();
    // Chunks are checked against the model's dimension: without a model, wait for one.
    if (!this.host.current?.currentModel) return null;
    const saved = await this.env.storage?.lastDocument().catch(() => null);
    if (!saved) return null;
    try {
      return await this.openDocument(saved.name, saved.bytes, saved.chunking);
    } catch {
      // A saved document that no longer opens (its limits changed) is not kept.
      await this.env.storage?.forgetDocument().catch(() => undefined);
      return null;
    }
  }

  ragChunks(offset: number, count: number): RagChunk[] {
    return this.requireDocument().chunkPage(offset, count);
  }

  async askDocument(question: string, settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<RagAnswer> {
    const ws = await this.host.ready();
    const rag = this.requireDocument();
    return ws.runJob((signal) => rag.ask(ws, question, settings, topK, onProgress, signal));
  }

  async closeDocument(): Promise<void> {
    this.rag = null;
    await this.env.storage?.forgetDocument().catch(() => undefined);
  }

  private requireDocument(): RagCheck {
    if (!this.rag) throw new Error('drop a document first');
    return this.rag;
  }
}
