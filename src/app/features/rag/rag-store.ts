import { create } from 'zustand';
import type { RagAnswer, RagChunk, RagDocumentInfo } from '../../../worker/protocol-checks.ts';
import type { BusyStatus } from '../../jobs/busy.ts';

/** Chunks shown at once in the list; the rest are a click away. */
export const CHUNKS_SHOWN = 200;

export type RagBusy = 'reading' | 'chunking' | 'asking';

export interface RagState extends BusyStatus<RagBusy> {
  document: RagDocumentInfo | null;
  chunks: readonly RagChunk[];
  answer: RagAnswer | null;
  /** Whether the document the worker kept from earlier was asked for (once per page). */
  restored: boolean;
}

/** The RAG check's UI state; the document, its chunks and their embeddings live in the worker (rag-actions.ts). */
export const useRag = create<RagState>()(() => ({
  document: null,
  chunks: [],
  answer: null,
  busy: null,
  error: null,
  restored: false,
}));
