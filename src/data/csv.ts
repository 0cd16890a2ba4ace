/**
 * CSV/TSV reading into the same rows and `DataIssue`s as the JSONL path (jsonl.ts), so shape
 * detection and validation (shape.ts, load.ts) do not care which format a file came in.
 *
 * papaparse does the quoting (quoted fields may hold delimiters, doubled quotes and newlines);
 * this layer adds what it lacks: line numbers as the user's editor shows them (the header is
 * line 1, and a row with a quoted newline starts on the line where it begins), a strict field
 * count, and the numbers that score/label columns need, since every CSV cell is text.
 */

import Papa from 'papaparse';
import type { DataIssue, JsonlParseResult, JsonlRow } from './jsonl.ts';

export interface CsvOptions {
  /** Shown in every issue; defaults to '<input>'. */
  file?: string;
  /** Field separator; guessed from the text (`,` `\t` `;` `|`) when absent. */
  delimiter?: string;
}

/** A CSV record spans lines `line`..`endLine` when a quoted field holds newlines. */
export interface CsvRow extends JsonlRow {
  endLine: number;
}

export interface CsvParseResult extends JsonlParseResult {
  rows: CsvRow[];
  /** The delimiter used (given or guessed). */
  delimiter: string;
  /** Header names after de-duplication, in file order. */
  columns: string[];
}

/** The delimiter a file name implies: `\t` for .tsv/.tab, none (guess) otherwise. */
export function delimiterForFile(name: string): string | undefined {
  return /\.(tsv|tab)$/i.test(name) ? '\t' : undefined;
}

// Plain decimal or exponent notation only; "1e3" yes, "0x10", "Infinity" or "1,5" no.
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Editor line numbers: "\r\n", "\r" and "\n" each end one line, whichever of them papaparse
 * took as the record separator (a quoted field in a "\r\n" file may hold a bare "\n").
 * `lineAt(pos)` is 1 + the number of line ends that finish before `pos`; a "\r\n" finishes at
 * its "\n". Positions must not decrease between calls.
 */
function lineCounter(text: string): (pos: number) => number {
  let at = 0;
  let ends = 0;
  return (pos) => {
    for (; at < pos; at++) {
      const c = text.charCodeAt(at);
      if (c === 10 || (c === 13 && text.charCodeAt(at + 1) !== 10)) ends++;
    }
    return ends + 1;
  };
}

/** Number of lines in `text`, a final line end not starting a new one. */
function countLines(text: string): number {
  if (text.length === 0) return 0;
  const last = text.charCodeAt(text.length - 1);
  return lineCounter(text)(text.length) - (last === 10 || last === 13 ? 1 : 0);
}

/**
 * Header names as keys: an empty name becomes `column_<n>`, a repeated one `<name>_2`, `<name>_3`…
 * so "negative,negative" reads as the negative, negative_2 columns shape.ts already understands.
 */
function headerNames(raw: readonly string[]): string[] {
  const used = new Set<string>();
  return raw.map((r, i) => {
    const base = r.trim() === '' ? `column_${i + 1}` : r.trim();
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}

/**
 * CSV cells are all text; a column where most non-empty cells are numbers is read as numbers
 * (empty cells become null, i.e. missing), and the odd non-number in it stays text so that
 * validation names it. Text columns keep every cell as written, "" included.
 */
function typeColumns(rows: CsvRow[], columns: readonly string[]): void {
  for (const col of columns) {
    let filled = 0, numeric = 0;
    for (const { value } of rows) {
      const v = String(value[col]).trim();
      if (v === '') continue;
      filled++;
      if (NUMBER_RE.test(v)) numeric++;
    }
    if (numeric === 0 || numeric * 2 <= filled) continue;
    for (const { value } of rows) {
      const v = String(value[col]).trim();
      value[col] = v === '' ? null : NUMBER_RE.test(v) ? Number(v) : value[col];
    }
  }
}

/** Parses a whole CSV/TSV text whose first record is the header. */
export function parseCsv(input: string, opts: CsvOptions = {}): CsvParseResult {
  const file = opts.file ?? '<input>';
  // A byte-order mark is not part of the first column's name.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: CsvRow[] = [];
  const issues: DataIssue[] = [];
  let header: string[] | undefined;
  let blankLines = 0;
  // papaparse drops one leading byte-order mark of what it is given (a second one, here), and
  // its cursor then counts from after it.
  const shift = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let start = shift;
  const lineAt = lineCounter(text);
  let linebreak = '\n';
  let delimiter = opts.delimiter ?? ',';

  Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    step: (result) => {
      linebreak = result.meta.linebreak || linebreak;
      delimiter = result.meta.delimiter;
      const end = result.meta.cursor + shift;
      // papaparse reports an empty record after the final line break; the editor shows no line.
      if (start >= text.length) return;
      // The cursor sits after the record's line break (or at the end of the text).
      const body = text.endsWith(linebreak, end) && end > start ? end - linebreak.length : end;
      // A record that papaparse starts at the "\n" of a "\r\n" (a "\r" file) begins on the next line.
      const first = text.charCodeAt(start) === 10 && text.charCodeAt(start - 1) === 13 ? start + 1 : start;
      const line = lineAt(first);
      // The line of the record's last character (a line end belongs to the line it ends).
      const endLine = body > first ? Math.max(line, lineAt(body - 1)) : line;
      const fields = result.data;
      const issue = (message: string) => issues.push({ code: 'bad-csv', file, line, message });

      if (fields.length === 1 && fields[0].trim() === '' && endLine === line) {
        if (header !== undefined) blankLines++;
      } else if (header === undefined) {
        header = headerNames(fields);
      } else if (result.errors.length > 0) {
        const err = result.errors[0];
        issue(
          err.code === 'MissingQuotes'
            ? `a quoted field that starts on line ${line} is never closed, so the rest of the file (to line ${endLine}) was read as one field`
            : err.code === 'InvalidQuotes'
              ? 'a quoted field has characters between its closing quote and the next delimiter; write a quote inside a quoted field as ""'
              : `cannot read this row: ${err.message}`,
        );
      } else if (fields.length < header.length || fields.slice(header.length).some((f) => f !== '')) {
        // Extra trailing empty fields are a spreadsheet habit, not a broken row.
        issue(
          `row has ${fields.length} field${fields.length === 1 ? '' : 's'} but the header has ${header.length}; ` +
            `check for an unquoted ${JSON.stringify(delimiter)} or an unclosed quote`,
        );
      } else {
        // No prototype: a column named "__proto__" or "constructor" is a column like any other.
        const value: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        header.forEach((name, i) => (value[name] = fields[i]));
        rows.push({ line, endLine, value });
      }
      start = end;
    },
  });

  const columns = header ?? [];
  typeColumns(rows, columns);
  const totalLines = countLines(text);
  return { file, rows, issues, totalLines, blankLines, delimiter, columns };
}
