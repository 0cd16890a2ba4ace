/**
 * pdf.js in the browser: its parser runs in its own worker, served from our origin (Vite emits
 * the worker file as an asset), so a cross-origin-isolated page loads it like any of its scripts.
 */
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import type { PdfJsModule } from './pdf-text.ts';

export async function browserPdfJs(): Promise<PdfJsModule> {
  const pdfjs = await import('pdfjs-dist');
  pdfjs.GlobalWorkerOptions.workerSrc = new URL(workerUrl, self.location.href).href;
  return pdfjs;
}
