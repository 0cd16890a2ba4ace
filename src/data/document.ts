/**
 * A document dropped on the RAG check: plain text, Markdown or PDF, read into one string, and
 * the limits that keep it within what the worker can embed (the "memory plan" of the check).
 */
import type { PdfJsModule } from './pdf/pdf-text.ts';
import { extractPdfText } from './pdf/pdf-text.ts';
import type { Chunk } from './chunk.ts';

export type DocumentKind = 'text' | 'markdown' | 'pdf';

export interface LoadedDocument {
  readonly name: string;
  readonly kind: DocumentKind;
  readonly text: string;
  readonly bytes: number;
  /** PDF pages. */
  readonly pages?: number;
}

/**
 * A file larger than this is refused before it is read; a document that chunks into more
 * passages than `maxChunks`, or whose passage embeddings (base and fine-tuned) would take more
 * than `maxEmbeddingBytes`, is refused after chunking, with the numbers.
 */
export const DOCUMENT_LIMITS = { maxBytes: 64 * 1024 * 1024, maxChunks: 20_000, maxEmbeddingBytes: 256 * 1024 * 1024 } as const;

export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

const MIB = 1024 * 1024;

/** What a file is, from its name, or from its first bytes when the name says nothing. */
export function documentKind(name: string, bytes: Uint8Array): DocumentKind | null {
  const ext = name.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? '';
  if (ext === 'pdf' || (bytes.length >= 5 && String.fromCharCode(...bytes.subarray(0, 5)) === '%PDF-')) return 'pdf';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'txt' || ext === 'text' || ext === '') return 'text';
  return null;
}

export async function readDocument(
  name: string, bytes: Uint8Array, pdfjs: () => Promise<PdfJsModule>, onProgress?: (done: number, total: number) => void,
): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentError(`${name} is empty`);
  if (bytes.length > DOCUMENT_LIMITS.maxBytes) {
    throw new DocumentError(`${name} is ${(bytes.length / MIB).toFixed(0)} MiB; the RAG check reads documents up to ${DOCUMENT_LIMITS.maxBytes / MIB} MiB: split it, or drop the part you want to check`);
  }
  const kind = documentKind(name, bytes);
  if (!kind) throw new DocumentError(`${name}: the RAG check reads .txt, .md and .pdf files`);
  let text: string;
  let pages: number | undefined;
  if (kind === 'pdf') {
    const pdf = await extractPdfText(name, bytes, await pdfjs(), onProgress);
    text = pdf.text;
    pages = pdf.pages;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new DocumentError(`${name} is not UTF-8 text: save it as UTF-8, or drop a PDF`);
    }
  }
  if (!text.trim()) throw new DocumentError(`${name} has no text`);
  return pages === undefined ? { name, kind, text, bytes: bytes.length } : { name, kind, text, bytes: bytes.length, pages };
}

/** Refuses chunks the check could not embed and keep, saying what to change. */
export function checkDocumentPlan(name: string, chunks: readonly Chunk[], dimension: number): void {
  if (chunks.length === 0) throw new DocumentError(`${name} has no text to chunk`);
  const embeddingBytes = chunks.length * dimension * 4 * 2;
  if (chunks.length > DOCUMENT_LIMITS.maxChunks || embeddingBytes > DOCUMENT_LIMITS.maxEmbeddingBytes) {
    throw new DocumentError(
      `${name} makes ${chunks.length.toLocaleString('en')} chunks (${(embeddingBytes / MIB).toFixed(0)} MiB of embeddings for the base and fine-tuned models); ` +
        `the RAG check plans for at most ${DOCUMENT_LIMITS.maxChunks.toLocaleString('en')} chunks and ${DOCUMENT_LIMITS.maxEmbeddingBytes / MIB} MiB: raise the chunk size, or drop a part of the document`,
    );
  }
}
