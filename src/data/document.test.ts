import { describe, expect, it } from 'vitest';
import { makePdf } from '../../test/support/make-pdf.ts';
import { nodePdfJs } from './pdf/pdf-node.ts';
import { chunkText } from './chunk.ts';
import { checkDocumentPlan, DOCUMENT_LIMITS, documentKind, readDocument } from './document.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('readDocument', () => {
  it('reads Markdown and text as UTF-8, BOM dropped', async () => {
    const md = await readDocument('guide.md', utf8('\ufeff# Title\n\nBody.'), nodePdfJs);
    expect(md).toMatchObject({ kind: 'markdown', text: '# Title\n\nBody.' });
    expect((await readDocument('a.txt', utf8('中文文本'), nodePdfJs)).text).toBe('中文文本');
  });
  it('reads a PDF through pdf.js, by name or by its first bytes', async () => {
    const pdf = makePdf([['Retrieval needs passages.']]);
    expect(await readDocument('paper.pdf', pdf, nodePdfJs)).toMatchObject({ kind: 'pdf', pages: 1, text: 'Retrieval needs passages.' });
    expect(documentKind('download', pdf)).toBe('pdf');
  });
  it('answers every bad input with a sentence', async () => {
    await expect(readDocument('empty.txt', new Uint8Array(), nodePdfJs)).rejects.toThrow('empty.txt is empty');
    await expect(readDocument('blank.md', utf8('  \n\n '), nodePdfJs)).rejects.toThrow('blank.md has no text');
    await expect(readDocument('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), nodePdfJs)).rejects.toThrow(/not UTF-8/);
    await expect(readDocument('sheet.xlsx', utf8('x'), nodePdfJs)).rejects.toThrow(/reads \.txt, \.md and \.pdf/);
    await expect(readDocument('scan.pdf', makePdf([null]), nodePdfJs)).rejects.toThrow(/no text to read/);
    const huge = { length: DOCUMENT_LIMITS.maxBytes + 1 } as Uint8Array;
    await expect(readDocument('huge.txt', huge, nodePdfJs)).rejects.toThrow(/huge\.txt is 64 MiB; the RAG check reads documents up to 64 MiB/);
  });
});

describe('checkDocumentPlan', () => {
  it('accepts a document within the plan and refuses one beyond it, with the numbers', () => {
    expect(() => checkDocumentPlan('ok.md', chunkText('word '.repeat(1000), { size: 100, overlap: 0 }), 384)).not.toThrow();
    const many = Array.from({ length: DOCUMENT_LIMITS.maxChunks + 1 }, (_, i) => ({ text: 'x', start: i, end: i + 1 }));
    expect(() => checkDocumentPlan('big.txt', many, 384)).toThrow(/big\.txt makes 20,001 chunks .* raise the chunk size/);
    expect(() => checkDocumentPlan('none.txt', [], 384)).toThrow(/no text to chunk/);
  });
});
