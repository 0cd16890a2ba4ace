import { useEffect, useState } from 'react';
import type { RagHit } from '../../../worker/protocol-checks.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { DropZone } from '../../ui/DropZone.tsx';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { formatBytes, formatMs } from '../../ui/format.ts';
import { plainSettings } from '../playground/playground-selectors.ts';
import { Field } from '../train/Field.tsx';
import { askRagDocument, closeRagDocument, openRagDocument, rechunkRagDocument, restoreRagDocument } from './rag-actions.ts';
import { CHUNKS_SHOWN, useRag } from './rag-store.ts';
import { chunkSettingsProblem, DEFAULT_CHUNK_SETTINGS } from '../../../shared/settings.ts';

function Passages({ title, hits, testId }: { title: string; hits: readonly RagHit[] | null; testId: string }) {
  return (
    <section className="rag-passages" data-testid={testId} aria-label={title}>
      <h4>{title}</h4>
      {hits === null ? (
        <p className="muted small">Train first: the fine-tuned model's passages appear here.</p>
      ) : (
        <ol>
          {hits.map((h) => (
            <li key={h.chunk}>
              <span className="num score">{h.score.toFixed(3)}</span> <span className="muted small">#{h.chunk + 1}</span>
              <p>{h.text}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/**
 * The RAG check: the person's own document, chunked (size and overlap settable, chunks visible),
 * and a question answered with the top-k passages of the base model, the fine-tuned model and BM25.
 */
export function RagPanel() {
  const retrieval = useSettings((s) => s.retrieval);
  const model = useSession((s) => s.model);
  const r = useRag();
  const [size, setSize] = useState(String(DEFAULT_CHUNK_SETTINGS.size));
  const [overlap, setOverlap] = useState(String(DEFAULT_CHUNK_SETTINGS.overlap));
  const [question, setQuestion] = useState('');
  const [topK, setTopK] = useState('3');
  const chunking = { size: Number(size), overlap: Number(overlap) };
  const chunkProblem = chunkSettingsProblem(chunking);
  const k = Number(topK);
  const kProblem = Number.isInteger(k) && k >= 1 && k <= 20 ? null : 'a whole number from 1 to 20';

  useEffect(() => {
    if (model) void restoreRagDocument();
    // It runs once per page load; the store remembers that it did.
  }, [model]);
  useEffect(() => {
    if (r.document) {
      setSize(String(r.document.chunking.size));
      setOverlap(String(r.document.chunking.overlap));
    }
  }, [r.document]);

  const onDrop = (files: File[]) => {
    const file = files[0];
    if (file && !chunkProblem) void openRagDocument(file, chunking);
  };
  const changed = r.document && (r.document.chunking.size !== chunking.size || r.document.chunking.overlap !== chunking.overlap);

  return (
    <DropZone onDrop={onDrop} overlay="Drop a .txt, .md or .pdf to check retrieval on it" className="rag-panel" testId="rag-panel" label="RAG check" disabled={r.busy !== null}>
      <h2>RAG check</h2>
      <p className="muted small">
        Does retrieval find the right passages in your own document? Drop a text, Markdown or PDF file (read in the worker; PDFs through pdf.js),
        choose how it is chunked, and ask a question: the base model, the fine-tuned one and BM25 keyword search each return their top passages.
      </p>
      <div className="row rag-controls">
        <label className="file-button">
          Choose a document…
          <input type="file" accept=".txt,.md,.markdown,.pdf,text/plain,text/markdown,application/pdf" data-testid="rag-file" disabled={r.busy !== null} onChange={(e) => onDrop([...(e.target.files ?? [])])} />
        </label>
        <Field id="rag-size" label="Chunk size (characters)" value={size} onChange={setSize} error={chunkProblem && chunkProblem.includes('size') ? chunkProblem : undefined} />
        <Field id="rag-overlap" label="Overlap" value={overlap} onChange={setOverlap} error={chunkProblem && !chunkProblem.includes('size') ? chunkProblem : undefined} />
        {r.document && (
          <button type="button" disabled={!changed || chunkProblem !== null || r.busy !== null} onClick={() => void rechunkRagDocument(chunking)} data-testid="rag-rechunk">
            Chunk again
          </button>
        )}
      </div>
      <ErrorNote error={r.error} />
      {r.busy === 'reading' && <p className="muted small" role="status">Reading the document…</p>}
      {r.document && (
        <>
          <p className="small" data-testid="rag-document">
            <strong>{r.document.name}</strong> · {r.document.kind}
            {r.document.pages !== undefined ? `, ${r.document.pages} pages` : ''} · {formatBytes(r.document.bytes)} · {r.document.characters.toLocaleString()} characters →{' '}
            <span data-testid="rag-chunk-count">{r.document.chunks}</span> chunks of ≤ {r.document.chunking.size} (overlap {r.document.chunking.overlap}) ·{' '}
            <button type="button" className="link" onClick={() => void closeRagDocument()}>forget it</button>
          </p>
          <details className="rag-chunks" open>
            <summary>Chunks{r.document.chunks > CHUNKS_SHOWN ? ` (first ${CHUNKS_SHOWN} of ${r.document.chunks})` : ''}</summary>
            <ol data-testid="rag-chunks">
              {r.chunks.map((c) => (
                <li key={c.index} title={`characters ${c.start}–${c.end}`}>{c.text}</li>
              ))}
            </ol>
          </details>
          <form
            className="row rag-ask"
            onSubmit={(e) => {
              e.preventDefault();
              if (!kProblem) void askRagDocument(question, plainSettings(retrieval), k);
            }}
          >
            <Field id="rag-question" label="Question" inputMode="text" value={question} onChange={setQuestion} placeholder="How do I …?" />
            <Field id="rag-top-k" label="top-k" value={topK} onChange={setTopK} error={kProblem ?? undefined} />
            <button type="submit" disabled={r.busy !== null || !question.trim() || kProblem !== null} data-testid="rag-ask">
              {r.busy === 'asking' ? 'Searching…' : 'Find passages'}
            </button>
          </form>
          {r.answer && (
            <>
              <p className="muted small">“{r.answer.question}” · {formatMs(r.answer.milliseconds)}</p>
              <div className="rag-answers">
                <Passages title="Base model" hits={r.answer.base} testId="rag-base" />
                <Passages title="Fine-tuned" hits={r.answer.trained} testId="rag-trained" />
                <Passages title="BM25 (keywords)" hits={r.answer.bm25} testId="rag-bm25" />
              </div>
            </>
          )}
        </>
      )}
      {!r.document && r.busy === null && <p className="muted">No document yet: drop one anywhere on this panel.</p>}
    </DropZone>
  );
}
