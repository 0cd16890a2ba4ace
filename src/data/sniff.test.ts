import { describe, expect, it } from 'vitest';
import { loadTrainingFile, UnsupportedFileError } from './load-file.ts';
import { binaryReason, FileSniffer, SNIFF_BYTES } from './sniff.ts';

const noise = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) % 256);
const text = (s: string) => new TextEncoder().encode(s);

describe('binaryReason', () => {
  it('calls random bytes, NULs and UTF-16 binary, and text in any ASCII-compatible encoding text', () => {
    expect(binaryReason(noise(4096))).toMatch(/NUL bytes/);
    expect(binaryReason(noise(4096).map((b) => (b === 0 ? 1 : b)))).toMatch(/% of its first 4096 bytes are control characters/);
    const utf16 = new Uint8Array(200);
    for (let i = 0; i < 100; i++) utf16[2 * i] = 0x61;
    expect(binaryReason(utf16)).toMatch(/UTF-16/);
    expect(binaryReason(text('{"query":"q","positive":"p"}\n\t{"a":"日本語"}\r\n'))).toBeNull();
    // Windows-1252 and GBK bytes are not UTF-8 but are text: the per-line UTF-8 advice is the better one.
    expect(binaryReason(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xc4, 0xe3, 0xba, 0xc3, 0x0a]))).toBeNull();
    expect(binaryReason(new Uint8Array())).toBeNull();
  });
  it('FileSniffer decides once, from the first bytes across chunks', () => {
    const s = new FileSniffer();
    expect(s.push(text('a'.repeat(SNIFF_BYTES - 1)))).toBeNull();
    expect(s.push(noise(100))).toBeNull(); // only one byte of it is in the sample
    expect(s.end()).toBeNull();
  });
});

describe('broken training files say what is wrong with them', () => {
  for (const name of ['empty.jsonl', 'empty.csv', 'blank.jsonl']) {
    it(`${name}: "empty file", no column advice`, async () => {
      const bytes = name.startsWith('blank') ? text('\n  \n\n') : new Uint8Array();
      const e = await loadTrainingFile(name, bytes).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnsupportedFileError);
      expect((e as Error).message).toBe(`${name}: empty file — it has no rows to train on`);
    });
  }
  for (const name of ['model.jsonl', 'model.tsv']) {
    it(`${name} with binary bytes: "not a text file (looks binary)", no UTF-8 errors, no column advice`, async () => {
      const e = await loadTrainingFile(name, noise(20_000)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnsupportedFileError);
      expect((e as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: not a text file \\(looks binary: `));
      expect((e as Error).message).not.toMatch(/map the columns|UTF-8 error/i);
    });
  }
});
