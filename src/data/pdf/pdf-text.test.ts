import { describe, expect, it } from 'vitest';
import { makePdf } from '../../../test/support/make-pdf.ts';
import { nodePdfJs } from './pdf-node.ts';
import { extractPdfText } from './pdf-text.ts';

describe('extractPdfText (pdf.js)', () => {
  it('reads the text of every page, lines kept', async () => {
    const pdf = makePdf([['Hard negatives help.', 'They are close but wrong.'], ['Page two (with brackets).']]);
    const pages: number[] = [];
    const got = await extractPdfText('notes.pdf', pdf, await nodePdfJs(), (done) => void pages.push(done));
    expect(got.pages).toBe(2);
    expect(got.text).toBe('Hard negatives help.\nThey are close but wrong.\n\nPage two (with brackets).');
    expect(pages).toEqual([1, 2]);
  });
  it('refuses a PDF without text, saying why', async () => {
    await expect(extractPdfText('scan.pdf', makePdf([null, null]), await nodePdfJs())).rejects.toThrow(/scan\.pdf has no text to read \(2 pages without a text layer/);
  });
  it('refuses bytes that are not a PDF', async () => {
    await expect(extractPdfText('fake.pdf', new TextEncoder().encode('hello, not a pdf'), await nodePdfJs())).rejects.toThrow(/fake\.pdf could not be read as a PDF/);
  });
  it('leaves the caller its bytes', async () => {
    const pdf = makePdf([['x y z']]);
    await extractPdfText('a.pdf', pdf, await nodePdfJs());
    expect(pdf.byteLength).toBeGreaterThan(0);
  });
});
