/** pdf.js for Node (the CLI and the tests): its legacy build, which needs no DOM. */
import type { PdfJsModule } from './pdf-text.ts';

export async function nodePdfJs(): Promise<PdfJsModule> {
  return (await import('pdfjs-dist/legacy/build/pdf.mjs')) as PdfJsModule;
}
