import { describe, expect, it } from 'vitest';
import { writeParquet } from '../../test/data/write-parquet.ts';
import { asyncBufferOf, parseParquet, ParquetFileError } from './parquet.ts';

describe('parseParquet', () => {
  it('reads string, double and int64 columns across row groups, numbering rows from 1', async () => {
    const bytes = writeParquet(
      [
        { name: 'sentence1', type: 'string', values: ['a cat', 'a dog', null, 'rain', '下雨了'] },
        { name: 'sentence2', type: 'string', values: ['a kitten', 'a car', 'x', 'wet', '天气不好'] },
        { name: 'label', type: 'int64', values: [1n, 0n, 1n, null, 1n] },
        { name: 'score', type: 'double', values: [0.9, 0.1, 0.5, 0.7, 0.8] },
      ],
      2,
      true,
    );
    const r = await parseParquet(asyncBufferOf(bytes), { file: 'train.parquet' });
    expect(r).toMatchObject({ file: 'train.parquet', totalLines: 5, blankLines: 0, issues: [] });
    expect(r.rows.map((x) => x.line)).toEqual([1, 2, 3, 4, 5]);
    // 64-bit labels arrive as bigint from hyparquet; validation wants plain numbers.
    expect(r.rows[0].value).toEqual({ sentence1: 'a cat', sentence2: 'a kitten', label: 1, score: 0.9 });
    expect(r.rows[2].value.sentence1).toBeNull();
    expect(r.rows[4].value.sentence2).toBe('天气不好');
  });

  it('reads from a Blob in slices', async () => {
    const bytes = writeParquet([{ name: 'text', type: 'string', values: ['one', 'two', 'three'] }], 1);
    const r = await parseParquet(asyncBufferOf(new Blob([bytes])));
    expect(r.rows.map((x) => x.value.text)).toEqual(['one', 'two', 'three']);
  });

  it('skips a row whose string is not UTF-8 and says which field and byte', async () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in Windows-1252
    const bytes = writeParquet([{ name: 'text', type: 'string', values: ['fine', latin1] }], 10);
    const r = await parseParquet(asyncBufferOf(bytes), { file: 'p.parquet' });
    expect(r.rows.map((x) => x.line)).toEqual([1]);
    expect(r.issues).toEqual([
      {
        code: 'bad-utf8',
        file: 'p.parquet',
        line: 2,
        field: 'text',
        message: 'field "text" is not valid UTF-8 (byte 0xE9 at byte offset 3 of the value); the row was skipped',
      },
    ]);
  });

  it('refuses bytes that are not Parquet with the file name in the error', async () => {
    const notParquet = asyncBufferOf(new TextEncoder().encode('{"query": "q", "positive": "p"}\n'));
    await expect(parseParquet(notParquet, { file: 'oops.parquet' })).rejects.toThrow(ParquetFileError);
    await expect(parseParquet(notParquet, { file: 'oops.parquet' })).rejects.toThrow(/^oops\.parquet: not a readable Parquet file/);
  });
});
