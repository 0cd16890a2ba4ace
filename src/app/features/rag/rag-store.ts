import { create } from 'zustand';
import type { ChunkSettings, RagAnswer, RagChunk, RagDocumentInfo } from '../../../worker/protocol-checks.ts';
import { useSession } from '../../session-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { callback, studio } from '../../worker-client.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/** Chunks shown at once in the list; the rest are a click away. */
export const CHUNKS_SHOWN = 200;

interface RagState {
  document: RagDocumentInfo | null;
  chunks: readonly RagChunk[];
  answer: RagAnswer | null;
  busy: 'reading' | 'chunking' | 'asking' | null;
  error: string | null;
  restored: boolean;
  restore(): Promise<void>;
  open(file: File, chunking: ChunkSettings): Promise<void>;
  rechunk(chunking: ChunkSettings): Promise<void>;
  ask(question: string, settings: RetrievalSettings, topK: number): Promise<void>;
  close(): Promise<void>;
}

function job(label: string) {
  useSession.getState().setJob('rag', { label, done: 0, total: 0 });
  // A report that arrives after the answer (its own message channel) must not bring the bar back.
  let over = false;
  return {
    report: callback((stage: string, done: number, total: number) => {
      if (!over) useSession.getState().setJob('rag', { label: `${label}: ${stage}`, done, total });
    }),
    close: () => {
      over = true;
      useSession.getState().setJob('rag', null);
    },
  };
}

/** The RAG check's UI state; the document, its chunks and their embeddings live in the worker. */
export const useRag = create<RagState>()((set, get) => {
  const withChunks = async (document: RagDocumentInfo) => set({ document, chunks: await studio().ragChunks(0, CHUNKS_SHOWN), answer: null });
  const act = async (busy: NonNullable<RagState['busy']>, work: () => Promise<void>) => {
    set({ busy, error: null });
    try {
      await work();
    } catch (e) {
      set({ error: errorMessage(e) });
    } finally {
      set({ busy: null });
    }
  };
  return {
    document: null,
    chunks: [],
    answer: null,
    busy: null,
    error: null,
    restored: false,
    async restore() {
      if (get().restored) return;
      set({ restored: true });
      await act('reading', async () => {
        const doc = await studio().ragDocument();
        if (doc) await withChunks(doc);
      });
    },
    open: (file, chunking) =>
      act('reading', async () => {
        const j = job(`Reading ${file.name}`);
        try {
          const bytes = new Uint8Array(await file.arrayBuffer());
          await withChunks(await studio().openDocument(file.name, bytes, chunking, j.report));
        } finally {
          j.close();
        }
      }),
    rechunk: (chunking) => act('chunking', async () => withChunks(await studio().rechunkDocument(chunking))),
    ask: (question, settings, topK) =>
      act('asking', async () => {
        const j = job('RAG check');
        try {
          set({ answer: await studio().askDocument(question, settings, topK, j.report) });
        } finally {
          j.close();
        }
      }),
    async close() {
      await studio().closeDocument();
      set({ document: null, chunks: [], answer: null, error: null });
    },
  };
});
