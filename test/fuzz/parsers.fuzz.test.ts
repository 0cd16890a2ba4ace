/**
 * Property-based tests for the training-data parsers: JSONL (jsonl.ts, load.ts), CSV/TSV (csv.ts),
 * Parquet (parquet.ts) and the format-picking loader (load-file.ts). Each property logs how many
 * inputs it tried and the slowest one; see test/support/fuzz.ts.
 */

import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.ts';
import { JsonlParser, parseJsonl, type DataIssueCode, type JsonlParseResult } from '../../src/data/jsonl.ts';
import { formatReport, loadTrainingJsonl } from '../../src/data/load.ts';
import { loadTrainingFile, UnsupportedFileError } from '../../src/data/load-file.ts';
import { asyncBufferOf, parseParquet, ParquetFileError } from '../../src/data/parquet.ts';
import { writeParquet, type ParquetColumn } from '../data/write-parquet.ts';
import { arrayBufferGrowth, caught, expectSpecificError, fc, fuzz } from '../support/fuzz.ts';

const enc = new TextEncoder();
const utf8Len = (s: string) => enc.encode(s).length;

/** Splits `s` (string or bytes) at the given fractional cut points. */
function chunksOf<T extends string | Uint8Array>(s: T, cuts: number[]): T[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * s.length)))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const c of [...at, s.length]) {
    out.push(s.slice(prev, c) as T);
    prev = c;
  }
  return out;
}

/** Distinct lines that carry at least one issue. */
const issueLines = (issues: readonly { line: number }[]) => new Set(issues.map((i) => i.line));

// ---------------------------------------------------------------------------------------------
// JSONL
// ---------------------------------------------------------------------------------------------

type JsonlLine =
  | { kind: 'row'; text: string }
  | { kind: 'blank'; text: string }
  | { kind: 'bad-json'; text: string }
  | { kind: 'not-object'; text: string };

const jsonText = fc.string({ unit: 'grapheme', maxLength: 12 });
const jsonlLine: fc.Arbitrary<JsonlLine> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .dictionary(fc.oneof(jsonText, fc.constantFrom('anchor', 'positive', '__proto__', '')), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 4,
      })
      .map((o) => ({ kind: 'row' as const, text: JSON.stringify(o) })),
  },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t', '  \t ', '\u00a0', '\u3000', '\r').map((text) => ({ kind: 'blank' as const, text })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('{', '{"a":}', 'nope', "{'a':1}", '{"a":1}}', '{"a":1,}', '\u0000', '{"a":"\u0001"}', 'NaN', '{"a":1} x', '}{')
      .map((text) => ({ kind: 'bad-json' as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom('[]', '[1,2]', '1', '"s"', 'null', 'true', '-0', '1e400'), fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)))
      .map((text) => ({ kind: 'not-object' as const, text })),
  },
);

interface JsonlDoc {
  lines: { line: JsonlLine; eol: '\n' | '\r\n' }[];
  finalEol: boolean;
  bom: boolean;
  maxLineBytes: number;
}

const jsonlDoc: fc.Arbitrary<JsonlDoc> = fc.record({
  lines: fc.array(fc.record({ line: jsonlLine, eol: fc.constantFrom('\n' as const, '\r\n' as const) }), { maxLength: 30 }),
  finalEol: fc.boolean(),
  bom: fc.boolean(),
  maxLineBytes: fc.constantFrom(40, 120, 1 << 20),
});

function renderJsonl(doc: JsonlDoc): string {
  const parts = doc.lines.map(({ line, eol }, i) => line.text + (i < doc.lines.length - 1 || doc.finalEol ? eol : ''));
  return (doc.bom ? '\ufeff' : '') + parts.join('');
}

/** What the parser must report for each line of `doc`, or undefined for a line that is not one. */
function expectedJsonl(doc: JsonlDoc): { kind: JsonlLine['kind'] | 'line-too-long'; text: string }[] {
  const out: { kind: JsonlLine['kind'] | 'line-too-long'; text: string }[] = [];
  doc.lines.forEach(({ line, eol }, i) => {
    const last = i === doc.lines.length - 1;
    const terminated = !last || doc.finalEol;
    // An empty unterminated last "line" is no line at all (a trailing newline ends the file).
    if (!terminated && line.text === '') return;
    // The '\r' of a CRLF is part of the line while its length is checked.
    const raw = line.text + (terminated && eol === '\r\n' ? '\r' : '');
    if (utf8Len(raw) > doc.maxLineBytes) out.push({ kind: 'line-too-long', text: line.text });
    else out.push({ kind: line.kind, text: line.text });
  });
  return out;
}

function checkJsonlResult(r: JsonlParseResult, doc: JsonlDoc, file: string): void {
  const expected = expectedJsonl(doc);
  expect(r.file).toBe(file);
  expect(r.totalLines).toBe(expected.length);
  // Every line is exactly one of: kept, skipped (with at least one issue), blank.
  const skipped = issueLines(r.issues);
  expect(r.rows.length + skipped.size + r.blankLines).toBe(r.totalLines);
  for (const row of r.rows) expect(skipped.has(row.line)).toBe(false);
  expected.forEach((e, i) => {
    const line = i + 1;
    if (e.kind === 'row') {
      const row = r.rows.find((x) => x.line === line);
      expect(row, `line ${line} should be kept`).toBeDefined();
      expect(JSON.stringify(row!.value)).toBe(JSON.stringify(JSON.parse(e.text)));
    } else if (e.kind !== 'blank') {
      const codes = r.issues.filter((x) => x.line === line).map((x) => x.code);
      expect(codes, `line ${line} (${JSON.stringify(e.text)})`).toEqual([e.kind as DataIssueCode]);
    }
  });
  expect(r.blankLines).toBe(expected.filter((e) => e.kind === 'blank').length);
  for (const issue of r.issues) {
    expect(issue.file).toBe(file);
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.line).toBeLessThanOrEqual(r.totalLines);
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.column !== undefined) expect(issue.column).toBeGreaterThanOrEqual(1);
  }
}

describe('JSONL parser (jsonl.ts)', () => {
  it('classifies every generated line exactly: kept + skipped + blank = lines', async () => {
    await fuzz(
      'jsonl whole-text classification',
      jsonlDoc,
      (doc) => {
        const r = parseJsonl(renderJsonl(doc), { file: 'gen.jsonl', maxLineBytes: doc.maxLineBytes });
        checkJsonlResult(r, doc, 'gen.jsonl');
      },
      { numRuns: 400, maxMsPerInput: 200 },
    );
  });

  it('gives the same result whatever the chunking (string chunks and UTF-8 byte chunks split mid-character)', async () => {
    await fuzz(
      'jsonl chunking invariance',
      fc.record({ doc: jsonlDoc, cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }) }),
      ({ doc, cuts }) => {
        const text = renderJsonl(doc);
        const opts = { file: 'c.jsonl', maxLineBytes: doc.maxLineBytes };
        const whole = parseJsonl(text, opts);
        expect(parseJsonl(chunksOf(text, cuts), opts)).toEqual(whole);
        // Bytes: a lone surrogate becomes U+FFFD on encoding, so compare with the bytes read whole.
        const bytes = enc.encode(text);
        expect(parseJsonl(chunksOf(bytes, cuts), opts)).toEqual(parseJsonl([bytes], opts));
      },
      { numRuns: 300, maxMsPerInput: 200 },
    );
  });

  it('never throws on arbitrary bytes, and the line accounting still holds', async () => {
    await fuzz(
      'jsonl arbitrary bytes',
      fc.record({
        bytes: fc.uint8Array({ maxLength: 400 }),
        nl: fc.array(fc.nat(399), { maxLength: 8 }),
        max: fc.constantFrom(8, 64, 1 << 20),
      }),
      ({ bytes, nl, max }) => {
        const b = bytes.slice();
        for (const i of nl) if (i < b.length) b[i] = 0x0a;
        const r = parseJsonl([b], { file: 'bytes.jsonl', maxLineBytes: max });
        expect(r.rows.length + issueLines(r.issues).size + r.blankLines).toBe(r.totalLines);
        expect(r.totalLines).toBeLessThanOrEqual(b.filter((x) => x === 0x0a).length + 1);
        for (const i of r.issues) expect(i.file).toBe('bytes.jsonl');
      },
      { numRuns: 500, maxMsPerInput: 100 },
    );
  });

  // Regression, was a bug (jsonl.ts JsonlParser.appendPending → exceedsUtf8Bytes): while a line streams in, every
  // chunk re-encodes the whole pending line once it is longer than maxLineBytes/3 UTF-16 units,
  // so a ~1 MB line delivered in small chunks (a slow network stream) costs O(n²): ~1 s for
  // 1 KiB chunks here (~4.6 s for 256 B), ~50× the same line in 64 KiB chunks. Expected: linear (count bytes
  // per appended part instead of re-encoding the accumulated line).
  // Fixed: the pending line is kept as parts with a running UTF-8 byte count.
  it('streams a long line in small chunks in time linear in its length', () => {
    const line = '{"anchor":"' + 'a'.repeat(1_000_000 - 40) + '","positive":"b"}\n';
    const time = (chunk: number) => {
      const t0 = performance.now();
      const p = new JsonlParser();
      for (let i = 0; i < line.length; i += chunk) p.push(line.slice(i, i + chunk));
      expect(p.end().rows.length).toBe(1);
      return performance.now() - t0;
    };
    const big = time(65536);
    const small = time(1024);
    console.log(`[fuzz] jsonl 1 MB line: 64 KiB chunks ${big.toFixed(0)} ms, 1 KiB chunks ${small.toFixed(0)} ms`);
    expect(small).toBeLessThan(10 * big + 300);
  });
});

// ---------------------------------------------------------------------------------------------
// JSONL → training examples (load.ts)
// ---------------------------------------------------------------------------------------------

type FieldGen = { ok: true; text: string } | { ok: false; value: unknown } | { ok: false; missing: true };
const fieldGen: fc.Arbitrary<FieldGen> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => s.trim().length > 0).map((text) => ({ ok: true as const, text })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('', '  ', null, 3, true, ['x'], { a: 1 }).map((value) => ({ ok: false as const, value })) },
  { weight: 1, arbitrary: fc.constant({ ok: false as const, missing: true as const }) },
);
const pairLine = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('pair' as const), anchor: fieldGen, positive: fieldGen, extra: fc.option(fc.jsonValue({ maxDepth: 1 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: fc.constantFrom('', '   ', '{', '[1]', '42', '{"anchor":') }) },
);

describe('loadTrainingJsonl (load.ts)', () => {
  it('keeps every valid unique row with its exact texts and reports every other line: valid + skipped + blank = lines', async () => {
    await fuzz(
      'load pairs accounting',
      fc.record({ lines: fc.array(pairLine, { maxLength: 40 }), crlf: fc.boolean() }),
      ({ lines, crlf }) => {
        // The first row always has both columns, so the shape is (anchor, positive) pairs.
        const docLines = ['{"anchor":"first","positive":"row"}'];
        const want: { texts: string[]; line: number }[] = [{ texts: ['first', 'row'], line: 1 }];
        const seen = new Set(['["first","row"]']);
        for (const l of lines) {
          if (l.kind === 'raw') {
            docLines.push(l.text);
            continue;
          }
          const obj: Record<string, unknown> = {};
          const put = (k: string, f: FieldGen) => {
            if ('text' in f) obj[k] = f.text;
            else if ('value' in f) obj[k] = f.value;
          };
          put('anchor', l.anchor);
          put('positive', l.positive);
          if (l.extra !== null) obj.x_extra = l.extra;
          docLines.push(JSON.stringify(obj));
          if (l.anchor.ok && l.positive.ok) {
            const key = JSON.stringify([l.anchor.text, l.positive.text]);
            if (!seen.has(key)) {
              seen.add(key);
              want.push({ texts: [l.anchor.text, l.positive.text], line: docLines.length });
            }
          }
        }
        const text = docLines.join(crlf ? '\r\n' : '\n') + '\n';
        const r = loadTrainingJsonl(text, { file: 'pairs.jsonl' });
        expect(r.detection.ok).toBe(true);
        expect(r.examples.map((e) => e.texts)).toEqual(want.map((w) => w.texts));
        expect(r.lines).toEqual(want.map((w) => w.line));
        const rep = r.report;
        expect(rep.totalLines).toBe(docLines.length);
        expect(rep.validRows + rep.skippedRows + rep.blankLines).toBe(rep.totalLines);
        expect(rep.validRows).toBe(want.length);
        // Issues are in line order and every one names the file and a line that was skipped.
        const ls = rep.issues.map((i) => i.line);
        expect(ls).toEqual([...ls].sort((a, b) => a - b));
        const kept = new Set(r.lines);
        for (const i of rep.issues) {
          expect(kept.has(i.line)).toBe(false);
          expect(i.file).toBe('pairs.jsonl');
        }
        const total = Object.values(rep.countsByCode).reduce((a, b) => a + (b ?? 0), 0);
        expect(total).toBe(rep.issues.length);
        const report = formatReport(rep).split('\n');
        expect(report.length).toBe(rep.issues.length + 1);
        for (const l of report.slice(1)) expect(l).toMatch(/^pairs\.jsonl:\d+(:\d+)?: ./);
      },
      { numRuns: 400, maxMsPerInput: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// CSV / TSV
// ---------------------------------------------------------------------------------------------

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DELIMS = [',', '\t', ';', '|'] as const;
const NEWLINES = ['\n', '\r\n', '\r'] as const;

function csvCell(alphabet: readonly string[], maxLength = 10): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => a.join(''));
}
const CELL_ALPHABET = ['a', 'b', 'Z', ' ', ',', ';', '|', '\t', '"', "'", 'é', '字', '😀', '1', '.', '-', 'e', '#'];

function quoteCell(s: string, delim: string, force: boolean): string {
  const needs = s.includes(delim) || s.includes('"') || s.includes('\n') || s.includes('\r');
  return needs || force ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Editor line count: \r\n, \r and \n each end one line. */
const lineBreaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

interface CsvDoc {
  header: string[];
  rows: string[][];
  delim: (typeof DELIMS)[number];
  eol: (typeof NEWLINES)[number];
  quote: boolean[];
  finalEol: boolean;
  bom: boolean;
}

function csvDoc(innerNewlines: 'same' | 'mixed'): fc.Arbitrary<CsvDoc> {
  return fc
    .record({
      ncols: fc.integer({ min: 2, max: 5 }),
      nrows: fc.integer({ min: 0, max: 12 }),
      delim: fc.constantFrom(...DELIMS),
      eol: fc.constantFrom(...NEWLINES),
      finalEol: fc.boolean(),
      bom: fc.boolean(),
      seed: fc.nat(),
    })
    .chain(({ ncols, nrows, delim, eol, finalEol, bom }) => {
      const nl = innerNewlines === 'same' ? [eol] : [...NEWLINES];
      const cell = csvCell([...CELL_ALPHABET, ...nl]).map((c) => (NUMBER_RE.test(c.trim()) ? `x${c}` : c));
      const name = csvCell(CELL_ALPHABET.filter((c) => c !== '\t'), 6);
      return fc.record({
        header: fc.array(name, { minLength: ncols, maxLength: ncols }).map((ns) => ns.map((n, i) => `${n.trim()}#${i}`)),
        rows: fc.array(fc.array(cell, { minLength: ncols, maxLength: ncols }), { minLength: nrows, maxLength: nrows }),
        delim: fc.constant(delim),
        eol: fc.constant(eol),
        quote: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        finalEol: fc.constant(finalEol),
        bom: fc.constant(bom),
      });
    });
}

function renderCsv(doc: CsvDoc): { text: string; startLines: number[]; endLines: number[] } {
  let q = 0;
  const record = (cells: string[]) => cells.map((c) => quoteCell(c, doc.delim, doc.quote[q++ % doc.quote.length])).join(doc.delim);
  const records = [record(doc.header), ...doc.rows.map(record)];
  const startLines: number[] = [];
  const endLines: number[] = [];
  let line = 1;
  records.forEach((r, i) => {
    if (i > 0) {
      startLines.push(line);
      endLines.push(line + lineBreaks(r));
    }
    line += lineBreaks(r) + 1;
  });
  const text = records.join(doc.eol) + (doc.finalEol ? doc.eol : '');
  return { text: (doc.bom ? '\ufeff' : '') + text, startLines, endLines };
}

describe('CSV parser (csv.ts)', () => {
  it('round-trips random fields with quoting, embedded delimiters, quotes and newlines; line numbers exact', async () => {
    await fuzz(
      'csv round trip (inner newlines = record separator)',
      csvDoc('same'),
      (doc) => {
        const { text, startLines, endLines } = renderCsv(doc);
        const r = parseCsv(text, { file: 'gen.csv', delimiter: doc.delim });
        expect(r.issues).toEqual([]);
        expect(r.columns).toEqual(doc.header);
        expect(r.delimiter).toBe(doc.delim);
        expect(r.rows.length).toBe(doc.rows.length);
        r.rows.forEach((row, i) => {
          expect(Object.values(row.value)).toEqual(doc.rows[i]);
          expect(row.line).toBe(startLines[i]);
          expect(row.endLine).toBe(endLines[i]);
        });
      },
      { numRuns: 400, maxMsPerInput: 200 },
    );
  });

  // Line numbers count "\r\n", "\r" and "\n" as an editor does, whichever the file's record
  // separator is (a quoted "\n" in a "\r\n" file once left endLine and later rows one short).
  it('round-trips fields whatever newline style quoted fields hold; line numbers exact', async () => {
    await fuzz(
      'csv round trip (mixed inner newlines)',
      csvDoc('mixed'),
      (doc) => {
        const { text, startLines, endLines } = renderCsv(doc);
        const r = parseCsv(text, { file: 'mixed.csv', delimiter: doc.delim });
        expect(r.issues).toEqual([]);
        expect(r.rows.map((row) => Object.values(row.value))).toEqual(doc.rows);
        expect(r.rows.map((row) => [row.line, row.endLine])).toEqual(startLines.map((l, i) => [l, endLines[i]]));
      },
      { numRuns: 300, maxMsPerInput: 200 },
    );
  });

  it('reads numeric columns back as the same numbers (empty cells as null)', async () => {
    await fuzz(
      'csv numeric columns',
      fc.record({
        values: fc.array(fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { freq: 6 }), { minLength: 1, maxLength: 20 }),
        delim: fc.constantFrom(...DELIMS),
      }),
      ({ values, delim }) => {
        const text = `text${delim}score\n` + values.map((v, i) => `t${i}${delim}${v === null ? '' : String(v)}`).join('\n');
        const r = parseCsv(text, { delimiter: delim });
        expect(r.issues).toEqual([]);
        const got = r.rows.map((row) => row.value.score);
        if (values.every((v) => v === null)) expect(got).toEqual(values.map(() => ''));
        else values.forEach((v, i) => expect(got[i] === v, `${got[i]} vs ${v}`).toBe(true));
      },
      { numRuns: 300, maxMsPerInput: 100 },
    );
  });

  it('never throws on hostile text (guessed or given delimiter); every row and issue has a line inside the file', async () => {
    await fuzz(
      'csv hostile text',
      fc.record({
        text: csvCell(['"', ',', '\n', '\r', '\r\n', '\t', ';', ' ', 'a', '1', '\ufeff', '""'], 80),
        delim: fc.option(fc.constantFrom(...DELIMS)),
      }),
      ({ text, delim }) => {
        const r = parseCsv(text, delim === null ? { file: 'h.csv' } : { file: 'h.csv', delimiter: delim });
        const last = Math.max(r.totalLines, 1);
        for (const row of r.rows) {
          expect(row.line).toBeGreaterThanOrEqual(2);
          expect(row.endLine).toBeGreaterThanOrEqual(row.line);
          expect(row.endLine).toBeLessThanOrEqual(last);
          // (sorted: integer-like names such as "1" come first in a JS object's key order)
          expect(Object.keys(row.value).sort()).toEqual([...r.columns].sort());
        }
        for (const i of r.issues) {
          expect(i).toMatchObject({ code: 'bad-csv', file: 'h.csv' });
          expect(i.line).toBeGreaterThanOrEqual(1);
          expect(i.line).toBeLessThanOrEqual(last);
        }
        expect(new Set(r.columns).size).toBe(r.columns.length);
      },
      { numRuns: 600, maxMsPerInput: 100 },
    );
  });

  // Regression, was a bug (csv.ts parseCsv/typeColumns): a header cell named "__proto__" is assigned with
  // `value[name] = fields[i]` on a plain object, which sets the prototype instead of a field (the
  // column is silently lost), and typeColumns then calls `.trim()` on Object.prototype:
  // parseCsv('__proto__,anchor\nx,y\n') throws "TypeError: value[col].trim is not a function".
  // Expected: the column is kept like any other (Object.create(null) rows, or defineProperty).
  // Fixed: rows are null-prototype objects.
  it('keeps header names that are Object.prototype keys as ordinary columns', async () => {
    await fuzz(
      'csv prototype-ish header names',
      fc.record({ name: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'), cell: fc.constantFrom('x', '1', '') }),
      async ({ name, cell }) => {
        const r = parseCsv(`${name},anchor\n${cell},y\n`, { file: 'p.csv' });
        expect(r.columns).toEqual([name, 'anchor']);
        expect(Object.keys(r.rows[0].value)).toEqual([name, 'anchor']);
        // And through shape detection and validation: the column is an ordinary extra one.
        const loaded = await loadTrainingFile('p.csv', enc.encode(`anchor,${name},positive\nx,${cell},y\n`));
        expect(loaded.report.issues).toEqual([]);
        expect(loaded.examples.map((e) => e.texts)).toEqual([['x', 'y']]);
      },
      { numRuns: 20, maxMsPerInput: 50, examples: [{ name: '__proto__', cell: 'x' }] },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Parquet
// ---------------------------------------------------------------------------------------------

const parquetTable = fc
  .record({ nrows: fc.integer({ min: 1, max: 25 }), ncols: fc.integer({ min: 1, max: 4 }), nullable: fc.boolean(), group: fc.integer({ min: 1, max: 8 }) })
  .chain(({ nrows, ncols, nullable, group }) => {
    const opt = <T>(a: fc.Arbitrary<T>) => (nullable ? fc.option(a, { freq: 5 }) : a);
    const col = (i: number): fc.Arbitrary<ParquetColumn> =>
      fc.oneof(
        fc.array(opt(fc.string({ unit: 'grapheme', maxLength: 10 })), { minLength: nrows, maxLength: nrows }).map((values) => ({ name: `s${i}`, type: 'string' as const, values })),
        fc.array(opt(fc.double({ noNaN: true })), { minLength: nrows, maxLength: nrows }).map((values) => ({ name: `d${i}`, type: 'double' as const, values })),
        fc.array(opt(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), { minLength: nrows, maxLength: nrows }).map((values) => ({ name: `i${i}`, type: 'int64' as const, values })),
      );
    return fc.record({ columns: fc.tuple(...Array.from({ length: ncols }, (_, i) => col(i))), nullable: fc.constant(nullable), group: fc.constant(group) });
  });

/** A small valid Parquet file used for truncation and corruption. */
const SMALL_PARQUET = writeParquet(
  [
    { name: 'anchor', type: 'string', values: ['a cat', 'rain', null, '下雨了'] },
    { name: 'positive', type: 'string', values: ['a kitten', 'wet', 'x', '天气'] },
    { name: 'score', type: 'double', values: [0.5, 1, null, 0] },
  ],
  2,
  true,
);

describe('Parquet parser (parquet.ts)', () => {
  it('round-trips random string/double/int64 columns with nulls across row groups', async () => {
    await fuzz(
      'parquet round trip',
      parquetTable,
      async ({ columns, nullable, group }) => {
        const bytes = writeParquet(columns, group, nullable);
        const r = await parseParquet(asyncBufferOf(bytes), { file: 'g.parquet' });
        const n = columns[0].values.length;
        expect(r.totalLines).toBe(n);
        expect(r.issues).toEqual([]);
        expect(r.rows.map((x) => x.line)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        for (const c of columns) {
          r.rows.forEach((row, i) => {
            const v = c.values[i];
            const want = typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v;
            expect(Object.is(row.value[c.name], want) || row.value[c.name] === want, `${c.name}[${i}]: ${String(row.value[c.name])} vs ${String(want)}`).toBe(true);
          });
        }
      },
      { numRuns: 150, maxMsPerInput: 300 },
    );
  });

  it('skips exactly the rows whose strings are not UTF-8, naming line, field and byte', async () => {
    await fuzz(
      'parquet invalid utf-8 strings',
      fc.array(fc.oneof(fc.string({ maxLength: 6 }).map((s) => ({ bad: false as const, s })), fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => ({ bad: true as const, b }))), { minLength: 1, maxLength: 20 }),
      async (cells) => {
        const dec = new TextDecoder('utf-8', { fatal: true });
        const isBad = (c: (typeof cells)[number]) => {
          if (!c.bad) return false;
          try {
            dec.decode(c.b);
            return false;
          } catch {
            return true;
          }
        };
        const bytes = writeParquet([{ name: 'text', type: 'string', values: cells.map((c) => (c.bad ? c.b : c.s)) }], 7);
        const r = await parseParquet(asyncBufferOf(bytes), { file: 'u.parquet' });
        const badLines = cells.flatMap((c, i) => (isBad(c) ? [i + 1] : []));
        expect(r.issues.map((i) => i.line)).toEqual(badLines);
        for (const i of r.issues) expect(i).toMatchObject({ code: 'bad-utf8', file: 'u.parquet', field: 'text' });
        expect(r.rows.length + r.issues.length).toBe(cells.length);
      },
      { numRuns: 150, maxMsPerInput: 200 },
    );
  });

  it(`refuses every truncation of a ${SMALL_PARQUET.length}-byte file with a ParquetFileError naming the file`, async () => {
    let tried = 0;
    for (let n = 0; n < SMALL_PARQUET.length; n++) {
      const { error } = await caught(() => parseParquet(asyncBufferOf(SMALL_PARQUET.slice(0, n)), { file: 'cut.parquet' }));
      expectSpecificError(error, [ParquetFileError], ['cut.parquet']);
      tried++;
    }
    console.log(`[fuzz] parquet truncations: ${tried} inputs (every byte boundary)`);
    expect(tried).toBe(SMALL_PARQUET.length);
  });

  const flipsArb = fc.array(
    fc.record({ at: fc.nat(SMALL_PARQUET.length - 1), byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0x7f, 0x80, 0xff)) }),
    { minLength: 1, maxLength: 4 },
  );
  const corrupt = (flips: { at: number; byte: number }[]) => {
    const b = SMALL_PARQUET.slice();
    for (const f of flips) b[f.at] = f.byte;
    return b;
  };

  /**
   * Runs `fn` with the process's unhandled-rejection listeners (vitest's included) swapped for a
   * counter, so a rejection hyparquet leaves behind is counted instead of failing the whole file.
   */
  async function countingUnhandled(fn: (count: () => number) => Promise<void>): Promise<void> {
    const saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    let n = 0;
    const counter = () => void n++;
    process.on('unhandledRejection', counter);
    try {
      await fn(() => n);
    } finally {
      process.off('unhandledRejection', counter);
      for (const l of saved) process.on('unhandledRejection', l);
    }
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('reads or refuses a file with random bytes overwritten, in bounded time and memory', async () => {
    await countingUnhandled(async () => {
      await fuzz(
        'parquet byte corruption (time/memory)',
        flipsArb,
        async (flips) => {
          const grown = await arrayBufferGrowth(() => parseParquet(asyncBufferOf(corrupt(flips)), { file: 'bad.parquet' }));
          expect(grown.bytes).toBeLessThan(64 << 20);
          await settle();
        },
        { numRuns: 400, maxMsPerInput: 500 },
      );
    });
  });

  // Regression, was a bug (parquet.ts `parsers.stringFromBytes` and the issue message at line ~87): when a corrupt
  // schema turns a UTF8 column's physical type into BOOLEAN, hyparquet hands stringFromBytes a
  // boolean; decodeUtf8Strict(true) fails, invalidUtf8Offset(true) is -1, and the row loop crashes
  // on `v.byte.toString(16)`: "TypeError: Cannot read properties of undefined (reading
  // 'toString')" escapes parseParquet. Input: SMALL_PARQUET below with byte 303 set to 0.
  // Expected: ParquetFileError naming the file (or a bad-utf8 issue), never a TypeError.
  // Fixed: a non-bytes value becomes a marker that parseParquet turns into a ParquetFileError.
  it('refuses every corrupted file with a ParquetFileError naming the file', async () => {
    await countingUnhandled(async () => {
      await fuzz(
        'parquet byte corruption (error type)',
        flipsArb,
        async (flips) => {
          const { error } = await caught(() => parseParquet(asyncBufferOf(corrupt(flips)), { file: 'bad.parquet' }));
          await settle();
          if (error !== undefined) expectSpecificError(error, [ParquetFileError], ['bad.parquet']);
        },
        { numRuns: 300, maxMsPerInput: 500, examples: [[{ at: 303, byte: 0 }]] },
      );
    });
  });

  // Regression, was a bug (parquet.ts parseParquet → hyparquet parquetReadObjects): hyparquet reads a row group's
  // column chunks concurrently; when one fails, parseParquet rejects with a ParquetFileError but
  // the other chunks' promises reject later with nobody listening. In Node (the CLI) an unhandled
  // rejection kills the process: SMALL_PARQUET with bytes [216]=236, [341]=72, [37]=105 prints
  // "cannot read rows 1–2: …" and then dies with "RangeError: Invalid typed array length: 26884"
  // from hyparquet/src/plain.js. Expected: every failure of the read is awaited/handled.
  // Fixed: parseParquet checks that every row group's column chunks match the schema one to one before hyparquet starts any read.
  it('leaves no unhandled promise rejection behind when a corrupted file is refused', async () => {
    await countingUnhandled(async (count) => {
      await fuzz(
        'parquet byte corruption (unhandled rejections)',
        flipsArb,
        async (flips) => {
          const before = count();
          await caught(() => parseParquet(asyncBufferOf(corrupt(flips)), { file: 'bad.parquet' }));
          await settle();
          await settle();
          expect(count() - before).toBe(0);
        },
        {
          numRuns: 200,
          maxMsPerInput: 500,
          examples: [[{ at: 216, byte: 236 }, { at: 341, byte: 72 }, { at: 37, byte: 105 }]],
        },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// loadTrainingFile (load-file.ts)
// ---------------------------------------------------------------------------------------------

describe('loadTrainingFile (load-file.ts)', () => {
  it('answers arbitrary bytes under any name with a report or a specific error naming the file', async () => {
    await fuzz(
      'load-file arbitrary bytes',
      fc.record({
        ext: fc.constantFrom('jsonl', 'ndjson', 'json', 'csv', 'tsv', 'tab', 'parquet', 'txt', 'JSONL', ''),
        bytes: fc.oneof(fc.uint8Array({ maxLength: 300 }), csvCell(['{', '}', '"', ':', ',', '\n', 'a', 'anchor', 'positive', '\t', '['], 60).map((s) => enc.encode(s))),
      }),
      async ({ ext, bytes }) => {
        const name = ext ? `data.${ext}` : 'data';
        const { value, error } = await caught(() => loadTrainingFile(name, bytes));
        if (error !== undefined) {
          expectSpecificError(error, [UnsupportedFileError, ParquetFileError], [name]);
          return;
        }
        const rep = value!.report;
        expect(rep.file).toBe(name);
        for (const i of rep.issues) expect(i.file).toBe(name);
        expect(rep.validRows).toBe(value!.examples.length);
        if (/^(jsonl|ndjson|json)$/i.test(ext)) expect(rep.validRows + rep.skippedRows + rep.blankLines).toBe(rep.totalLines);
      },
      { numRuns: 500, maxMsPerInput: 200 },
    );
  });

  it('refuses exactly the rows holding bytes that are not UTF-8 (JSONL and CSV with \\n or \\r\\n line ends)', async () => {
    await fuzz(
      'load-file bad utf-8 rows',
      fc.record({
        rows: fc.array(fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }), fc.boolean()), { minLength: 1, maxLength: 15 }),
        format: fc.constantFrom('jsonl', 'csv'),
        eol: fc.constantFrom('\n', '\r\n'),
      }),
      async ({ rows, format, eol }) => {
        const parts: Uint8Array[] = [];
        if (format === 'csv') parts.push(enc.encode(`anchor,positive${eol}`));
        rows.forEach(([t, bad], i) => {
          const a = `a${i}${t.replace(/[^a-z]/gi, '')}`;
          const pre = format === 'csv' ? enc.encode(`${a},"p`) : enc.encode(`{"anchor":"${a}","positive":"p`);
          const post = format === 'csv' ? enc.encode(`"${eol}`) : enc.encode(`"}${eol}`);
          parts.push(pre, bad ? new Uint8Array([0xe9]) : new Uint8Array(), post);
        });
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
        const r = await loadTrainingFile(`d.${format}`, bytes);
        const off = format === 'csv' ? 1 : 0;
        const badLines = rows.flatMap(([, bad], i) => (bad ? [i + 1 + off] : []));
        expect(r.report.issues.filter((i) => i.code === 'bad-utf8').map((i) => i.line)).toEqual(badLines);
        expect(r.examples.every((e) => e.texts.every((t) => !t.includes('\ufffd')))).toBe(true);
        expect(r.examples.length).toBe(rows.length - badLines.length);
      },
      { numRuns: 300, maxMsPerInput: 100 },
    );
  });

  // Regression, was a bug (utf8.ts decodeUtf8Lines + load-file.ts refuseBadLines): bad bytes are located by counting
  // 0x0A only, but CSV files with classic-Mac "\r" line ends are parsed by papaparse line by line.
  // Every bad byte is then blamed on line 1 (the header), so the row that really holds it is KEPT
  // with U+FFFD in its text (silent corruption) and the issue says "line 1 … the row was skipped".
  // Input: bytes of "anchor,positive\rx,y\r" + 0xFF + "a,b\r" as d.csv → examples include
  // ["\uFFFDa","b"]. Expected: row on line 3 refused with a bad-utf8 issue on line 3.
  // Fixed: decodeUtf8Lines counts line ends as the parser does (CSV: \r\n, \r, \n; JSONL: \n).
  it('refuses rows with bad bytes in CSV files with \\r line ends too', async () => {
    await fuzz(
      'load-file bad utf-8 rows, \\r line ends',
      fc.integer({ min: 1, max: 8 }),
      async (badRow) => {
        const rows = Array.from({ length: 8 }, (_, i) => (i + 1 === badRow ? [...enc.encode(`a${i},p`), 0xff] : [...enc.encode(`a${i},p`)]));
        const bytes = new Uint8Array([...enc.encode('anchor,positive\r'), ...rows.flatMap((r) => [...r, 0x0d])]);
        const r = await loadTrainingFile('mac.csv', bytes);
        expect(r.examples.some((e) => e.texts.some((t) => t.includes('\ufffd')))).toBe(false);
        expect(r.report.issues.map((i) => [i.code, i.line])).toEqual([['bad-utf8', badRow + 1]]);
      },
      { numRuns: 8, maxMsPerInput: 100 },
    );
  });
});
