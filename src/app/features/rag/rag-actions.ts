import type { ChunkSettings, RagDocumentInfo } from '../../../worker/protocol-checks.ts';
import { runBusy } from '../../jobs/busy.ts';
import { withJob } from '../../jobs/tracked-job.ts';
import { studio } from '../../worker-client.ts';
import { CHUNKS_SHOWN, type RagBusy, useRag } from './rag-store.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/** The RAG check's worker calls; what they answer goes into useRag. */

const JOB_ID = 'rag';
const set = useRag.setState;
const act = (busy: RagBusy, work: () => Promise<void>) => runBusy(useRag, busy, work);

async function withChunks(document: RagDocumentInfo): Promise<void> {
  set({ document, chunks: await studio().ragChunks(0, CHUNKS_SHOWN), answer: null });
}

/** Shows the document the worker still holds from earlier in this page's life, once. */
export async function restoreRagDocument(): Promise<void> {
  if (useRag.getState().restored) return;
  set({ restored: true });
  await act('reading', async () => {
    const doc = await studio().ragDocument();
    if (doc) await withChunks(doc);
  });
}

export const openRagDocument = (file: File, chunking: ChunkSettings) =>
  act('reading', () =>
    withJob(JOB_ID, `Reading ${file.name}`, async (report) => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await withChunks(await studio().openDocument(file.name, bytes, chunking, report));
    }),
  );

export const rechunkRagDocument = (chunking: ChunkSettings) => act('chunking', async () => withChunks(await studio().rechunkDocument(chunking)));

/** Asks the document; Cancel on the job bar stops it (the answer shown before stays). */
export const askRagDocument = (question: string, settings: RetrievalSettings, topK: number) =>
  act('asking', () =>
    withJob(
      JOB_ID,
      'RAG check',
      async (report) => {
        try {
          set({ answer: await studio().askDocument(question, settings, topK, report) });
        } catch (e) {
          if ((e as Error).name !== 'AbortError') throw e;
        }
      },
      { cancel: () => void studio().cancelJob() },
    ),
  );

export async function closeRagDocument(): Promise<void> {
  await studio().closeDocument();
  set({ document: null, chunks: [], answer: null, error: null });
}
