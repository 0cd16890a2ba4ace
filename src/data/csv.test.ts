import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { delimiterForFile, parseCsv } from './csv.ts';

const read = (name: string) => readFileSync(new URL(`../../test/data/formats/${name}`, import.meta.url), 'utf8');

describe('parseCsv', () => {
  it('reads quoted delimiters, doubled quotes and newlines, with line numbers as an editor shows them', () => {
    const r = parseCsv(read('pairs.csv'), { file: 'pairs.csv' });
    expect(r.columns).toEqual(['query', 'positive']); // the BOM is not part of "query"
    expect(r.rows.map((x) => [x.line, x.endLine])).toEqual([[2, 2], [4, 5], [6, 6], [8, 8]]);
    expect(r.rows[0].value.positive).toBe('Open Settings, then Security, and choose "Reset password".');
    expect(r.rows[1].value.positive).toBe('Track it from the Orders page.\nThe link is in your confirmation email.');
    expect(r.issues).toEqual([
      {
        code: 'bad-csv',
        file: 'pairs.csv',
        line: 7,
        message: 'row has 3 fields but the header has 2; check for an unquoted "," or an unclosed quote',
      },
    ]);
    expect(r).toMatchObject({ totalLines: 8, blankLines: 1, delimiter: ',' });
  });

  it('counts lines the same with CRLF line ends', () => {
    const r = parseCsv('a,b\r\n"x\r\ny",1\r\n\r\nz,2\r\n');
    expect(r.rows.map((x) => [x.line, x.endLine])).toEqual([[2, 3], [5, 5]]);
    expect(r).toMatchObject({ totalLines: 5, blankLines: 1 });
  });

  it('reads mostly-numeric columns as numbers, keeping the odd text cell for validation to name', () => {
    const r = parseCsv(read('scored.tsv'), { delimiter: '\t' });
    expect(r.rows.map((x) => x.value.score)).toEqual([0.8, 0.1, 'high', null, 4.5]);
    expect(r.rows[0].value.sentence1).toBe('A man is playing a guitar.');
  });

  it('guesses ";" and renames repeated headers to negative, negative_2', () => {
    const r = parseCsv(read('semicolon-triplets.csv'));
    expect(r.delimiter).toBe(';');
    expect(r.columns).toEqual(['anchor', 'positive', 'negative', 'negative_2']);
  });

  it('reports an unclosed quote at the line where the field starts', () => {
    const r = parseCsv('q,p\na,b\nc,"never closed\nd,e\n', { file: 'x.csv' });
    expect(r.rows).toHaveLength(1);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[3, 'bad-csv']]);
    expect(r.issues[0].message).toMatch(/starts on line 3 is never closed/);
  });

  it('tolerates trailing empty fields and empty input', () => {
    expect(parseCsv('q,p,\na,b,\n').rows.map((x) => x.value)).toEqual([{ q: 'a', p: 'b', column_3: '' }]);
    expect(parseCsv('q,p\na,b,\n').rows).toHaveLength(1);
    expect(parseCsv('')).toMatchObject({ rows: [], columns: [], totalLines: 0 });
  });

  it('takes the delimiter from .tsv names', () => {
    expect(delimiterForFile('train.TSV')).toBe('\t');
    expect(delimiterForFile('train.csv')).toBeUndefined();
  });
});
