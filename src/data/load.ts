/**
 * JSONL text -> training examples, with one report covering both syntax (jsonl.ts) and field
 * (shape.ts) problems, so the import panel can show a single list.
 */

import { JsonlParser, formatIssue, type DataIssue, type DataIssueCode, type JsonlOptions, type JsonlParseResult } from './jsonl.ts';
import {
  detectShape,
  shapeFromMapping,
  toTrainingExamples,
  type ColumnMapping,
  type ShapeDetection,
  type TrainingExample,
} from './shape.ts';
import type { LossId } from '../shared/names.ts';

export interface ValidationReport {
  file: string;
  totalLines: number;
  blankLines: number;
  /** Rows turned into examples. */
  validRows: number;
  /**
   * Distinct non-blank lines that were skipped: each has an entry in `issues`, or, when no shape
   * could be detected, every row is skipped until a column mapping is given (`detection.reason`).
   */
  skippedRows: number;
  /** Every problem found, in line order. */
  issues: DataIssue[];
  countsByCode: Partial<Record<DataIssueCode, number>>;
}

export interface LoadedTrainingData {
  /** How the columns were read; `ok: false` when no shape fits (then `examples` is empty). */
  detection: ShapeDetection;
  /** Losses that can train on these examples (empty when detection failed). */
  losses: readonly LossId[];
  examples: TrainingExample[];
  /** Source line of each example. */
  lines: number[];
  labelNames?: string[];
  report: ValidationReport;
}

export interface LoadOptions extends JsonlOptions {
  /** Use these columns instead of guessing from their names. */
  mapping?: ColumnMapping;
}

/** Shape detection + validation over parsed rows; shared with the CSV/TSV/Parquet loaders (load-file.ts). */
export function finish(parsed: JsonlParseResult, mapping: ColumnMapping | undefined): LoadedTrainingData {
  const guessed = detectShape(parsed.rows.map((r) => r.value));
  const detection = mapping ? shapeFromMapping(mapping, guessed.columns) : guessed;
  const issues = [...parsed.issues];
  let examples: TrainingExample[] = [];
  let lines: number[] = [];
  let labelNames: string[] | undefined;
  if (detection.ok) {
    const norm = toTrainingExamples(parsed.rows, detection.mapping, parsed.file);
    examples = norm.examples;
    lines = norm.lines;
    labelNames = norm.labelNames;
    issues.push(...norm.issues);
  }
  // Field issues arrive after syntax issues; the user reads the file top to bottom.
  issues.sort((a, b) => a.line - b.line);
  const countsByCode: Partial<Record<DataIssueCode, number>> = {};
  for (const i of issues) countsByCode[i.code] = (countsByCode[i.code] ?? 0) + 1;
  const report: ValidationReport = {
    file: parsed.file,
    totalLines: parsed.totalLines,
    blankLines: parsed.blankLines,
    validRows: examples.length,
    skippedRows: new Set([...issues.map((i) => i.line), ...(detection.ok ? [] : parsed.rows.map((r) => r.line))]).size,
    issues,
    countsByCode,
  };
  const out: LoadedTrainingData = {
    detection,
    losses: detection.ok ? detection.losses : [],
    examples,
    lines,
    report,
  };
  if (labelNames) out.labelNames = labelNames;
  return out;
}

/** Parses, detects the shape (unless `mapping` is given), validates and converts in one go. */
export function loadTrainingJsonl(input: string | Iterable<string | Uint8Array>, opts: LoadOptions = {}): LoadedTrainingData {
  const parser = new JsonlParser(opts);
  if (typeof input === 'string') parser.push(input);
  else for (const chunk of input) parser.push(chunk);
  return finish(parser.end(), opts.mapping);
}

/** The streaming form, for `File.stream()` or a Node read stream. */
export async function loadTrainingJsonlStream(
  input: AsyncIterable<string | Uint8Array>,
  opts: LoadOptions = {},
): Promise<LoadedTrainingData> {
  const parser = new JsonlParser(opts);
  for await (const chunk of input) parser.push(chunk);
  return finish(parser.end(), opts.mapping);
}

/** One line per issue plus a summary line, for the CLI and logs. */
export function formatReport(report: ValidationReport): string {
  const head =
    `${report.file}: ${plural(report.validRows, 'row')} kept, ${report.skippedRows} skipped` +
    (report.blankLines ? `, ${plural(report.blankLines, 'blank line')} ignored` : '');
  return [head, ...report.issues.map(formatIssue)].join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
