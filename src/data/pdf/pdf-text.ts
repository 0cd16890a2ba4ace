/**
 * The text of a PDF, through pdf.js (pdfjs-dist, Mozilla's parser, the one browsers ship): the
 * most used and best kept PDF reader in JavaScript, and the same code runs in the studio worker
 * and in Node. Only the text layer is read; a PDF without one (a scan) is refused with a message
 * that says so, since nothing could be retrieved from it.
 */
import type * as PdfJs from 'pdfjs-dist';

export type PdfJsModule = Pick<typeof PdfJs, 'getDocument'>;

export interface PdfText {
  readonly text: string;
  readonly pages: number;
}

export class PdfTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfTextError';
  }
}

interface TextPiece {
  readonly str?: string;
  readonly hasEOL?: boolean;
}

/** One page's text: pieces joined, a line break where pdf.js marks the end of a line. */
function pageText(items: readonly TextPiece[]): string {
  let out = '';
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    out += item.str;
    if (item.hasEOL) out += '\n';
  }
  return out.replace(/[ \t]+\n/g, '\n').trim();
}

export async function extractPdfText(name: string, bytes: Uint8Array, pdfjs: PdfJsModule, onPage?: (done: number, total: number) => void): Promise<PdfText> {
  // pdf.js takes ownership of the buffer it is given: hand it a copy, the caller keeps its bytes.
  const task = pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (e) {
    const kind = (e as { name?: string }).name;
    if (kind === 'PasswordException') throw new PdfTextError(`${name} is password-protected: open it, save a copy without a password, and drop that`);
    throw new PdfTextError(`${name} could not be read as a PDF (${(e as Error).message})`);
  }
  try {
    const pages: string[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      pages.push(pageText(content.items as readonly TextPiece[]));
      page.cleanup();
      onPage?.(p, doc.numPages);
    }
    const text = pages.filter(Boolean).join('\n\n');
    if (!text.trim()) {
      throw new PdfTextError(
        `${name} has no text to read (${doc.numPages} page${doc.numPages === 1 ? '' : 's'} without a text layer, perhaps scanned images): run it through OCR first, or drop a .txt or .md`,
      );
    }
    return { text, pages: doc.numPages };
  } finally {
    await doc.destroy();
  }
}
