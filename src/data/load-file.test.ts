import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeParquet } from '../../test/data/write-parquet.ts';
import { formatReport } from './load.ts';
import { loadTrainingFile, trainingFileFormat, UnsupportedFileError } from './load-file.ts';

const bytes = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/data/formats/${name}`, import.meta.url)));
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('loadTrainingFile', () => {
  it('CSV: one report of syntax and field issues, with editor line numbers', async () => {
    const { report, examples, detection } = await loadTrainingFile('pairs.csv', bytes('pairs.csv'));
    expect(detection.ok && detection.mapping.shape).toBe('pairs');
    expect(examples).toHaveLength(2);
    expect(formatReport(report)).toBe(
      [
        'pairs.csv: 2 rows kept, 3 skipped, 1 blank line ignored',
        'pairs.csv:6: field "positive" is empty; expected a non-empty string',
        'pairs.csv:7: row has 3 fields but the header has 2; check for an unquoted "," or an unclosed quote',
        'pairs.csv:8: duplicate of line 2; skipped',
      ].join('\n'),
    );
  });

  it('TSV: scores become numbers and bad ones are named', async () => {
    const { report, examples, detection } = await loadTrainingFile('scored.tsv', new Blob([bytes('scored.tsv')]));
    expect(detection.ok && detection.mapping.shape).toBe('scored-pairs');
    expect(examples.map((e) => e.label)).toEqual([0.8, 0.1]);
    expect(report.issues.map((i) => [i.line, i.code])).toEqual([
      [4, 'wrong-type'],
      [5, 'missing-field'],
      [6, 'score-out-of-range'],
    ]);
  });

  it('CSV with ";" and repeated negative headers: triplets with two negatives', async () => {
    const { detection, examples } = await loadTrainingFile('semicolon-triplets.csv', bytes('semicolon-triplets.csv'));
    expect(detection.ok && detection.mapping).toEqual({ shape: 'triplets', anchor: 'anchor', positive: 'positive', negatives: ['negative', 'negative_2'] });
    expect(examples[0].texts).toHaveLength(4);
  });

  it('non-UTF-8 lines are skipped with the line and byte offset', async () => {
    const { report, examples } = await loadTrainingFile('latin1.csv', bytes('latin1.csv'));
    expect(examples).toEqual([{ texts: ['the delivery was late'], label: 0 }]);
    expect(report.issues.map((i) => [i.line, i.code])).toEqual([[2, 'bad-utf8'], [4, 'bad-utf8']]);
    expect(report.issues[0].message).toMatch(/^not valid UTF-8: byte 0xE9 at byte offset 14 of the file \(byte 4 of the line\)/);
    expect(report.issues[1].message).toMatch(/byte 0xEF at byte offset 75 of the file \(byte 3 of the line\)/);
  });

  it('JSONL: same path as loadTrainingJsonl, plus the UTF-8 check', async () => {
    const text = utf8('{"query": "q1", "positive": "p1"}\n{"query": "q2", "positive": "p\u00e9"}\n');
    const broken = new Uint8Array([...text.subarray(0, text.length - 5), 0xe9, 0x22, 0x7d, 0x0a]);
    const { report, examples } = await loadTrainingFile('train.jsonl', broken);
    expect(examples).toEqual([{ texts: ['q1', 'p1'] }]);
    expect(report.issues.map((i) => [i.file, i.line, i.code])).toEqual([['train.jsonl', 2, 'bad-utf8']]);
  });

  it('Parquet: 1-based row numbers in issues, int64 labels as numbers', async () => {
    const file = writeParquet(
      [
        { name: 'text', type: 'string', values: ['good service', 'slow reply', 'good service', ''] },
        { name: 'label', type: 'int64', values: [1n, 0n, 1n, 0n] },
      ],
      2,
    );
    const { report, examples, detection } = await loadTrainingFile('train-00000-of-00001.parquet', new Blob([file]));
    expect(detection.ok && detection.mapping.shape).toBe('labeled-texts');
    expect(examples).toEqual([{ texts: ['good service'], label: 1 }, { texts: ['slow reply'], label: 0 }]);
    expect(report.issues.map((i) => [i.line, i.code])).toEqual([[3, 'duplicate-row'], [4, 'empty-field']]);
    expect(report.totalLines).toBe(4);
  });

  it('applies a hand-made mapping to any format', async () => {
    const csv = utf8('question,answer\nhow?,like this\n');
    const { detection, examples } = await loadTrainingFile('qa.csv', csv, {
      mapping: { shape: 'pairs', anchor: 'question', positive: 'answer' },
    });
    expect(detection.ok).toBe(true);
    expect(examples).toEqual([{ texts: ['how?', 'like this'] }]);
  });

  it('chooses by extension and refuses the rest clearly', async () => {
    expect(['a.jsonl', 'a.JSON', 'a.ndjson', 'b.csv', 'c.tsv', 'd.parquet'].map(trainingFileFormat)).toEqual([
      'jsonl', 'jsonl', 'jsonl', 'csv', 'tsv', 'parquet',
    ]);
    await expect(loadTrainingFile('data.xlsx', utf8(''))).rejects.toThrow(UnsupportedFileError);
    await expect(loadTrainingFile('data.xlsx', utf8(''))).rejects.toThrow(
      'data.xlsx: ".xlsx" files are not supported; use JSON Lines (.jsonl), CSV (.csv), TSV (.tsv) or Parquet (.parquet)',
    );
    await expect(loadTrainingFile('README', utf8(''))).rejects.toThrow(/no file extension/);
    await expect(loadTrainingFile('rows.json', utf8('[{"query": "q"}]'))).rejects.toThrow(/JSON array/);
    // A short binary file that happens to start with "[" is refused as binary, as a whole-file
    // look says (found by the streaming property test: "[1]\n\0").
    await expect(loadTrainingFile('odd.jsonl', Uint8Array.from([91, 49, 93, 10, 0]))).rejects.toThrow(/not a text file \(looks binary: it has NUL bytes/);
    // A long one too, streamed in small chunks: the array verdict waits for the binary one.
    const longArray = utf8(`[${'{"query": "q"},'.repeat(2000)}{}]`);
    const chunks = Array.from({ length: Math.ceil(longArray.length / 100) }, (_, i) => longArray.subarray(i * 100, (i + 1) * 100));
    await expect(loadTrainingFile('rows.jsonl', { stream: (async function* () { yield* chunks; })(), size: longArray.length })).rejects.toThrow(/JSON array/);
  });
});
