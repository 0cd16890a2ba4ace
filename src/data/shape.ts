/**
 * Which kind of training data a file holds, decided from the column names sentence-transformers
 * users already write, and the conversion of its rows into `TrainingExample`s with per-field
 * validation. sentence-transformers itself maps columns to loss inputs by position; we go by name
 * because JSON objects have no reliable column order, then emit texts in its positional order.
 */

import { describeType, type DataIssue, type JsonlRow } from './jsonl.ts';
import type { LossId } from '../shared/names.ts';

export type ShapeId = 'triplets' | 'pairs' | 'scored-pairs' | 'labeled-pairs' | 'labeled-texts';

/**
 * The losses each shape can feed. MultipleNegativesRankingLoss takes (anchor, positive[, negatives]);
 * TripletLoss needs a negative; CosineSimilarityLoss and CoSENTLoss take a pair with a float label,
 * which a 0/1 label also is. No loss in our set trains on single labelled texts (that would be the
 * Batch*TripletLoss family), so that shape is recognised but lists none.
 */
export const LOSSES_FOR_SHAPE: Readonly<Record<ShapeId, readonly LossId[]>> = {
  triplets: ['mnrl', 'triplet'],
  pairs: ['mnrl'],
  'scored-pairs': ['cosine', 'cosent'],
  'labeled-pairs': ['cosine', 'cosent'],
  'labeled-texts': [],
};

/** Which file column feeds which role. Passing one to `toTrainingExamples` overrides detection. */
export type ColumnMapping =
  | { shape: 'triplets'; anchor: string; positive: string; negatives: string[] }
  | { shape: 'pairs'; anchor: string; positive: string }
  | { shape: 'scored-pairs'; sentence1: string; sentence2: string; score: string }
  | { shape: 'labeled-pairs'; sentence1: string; sentence2: string; label: string }
  | { shape: 'labeled-texts'; text: string; label: string };

/** texts are in sentence-transformers column order: anchor, positive, negatives… or sentence1, sentence2. */
export interface TrainingExample {
  texts: string[];
  label?: number;
}

export type ShapeDetection =
  | {
      ok: true;
      mapping: ColumnMapping;
      losses: readonly LossId[];
      /** Every key seen, in first-seen order. */
      columns: string[];
      /** Keys that play no role in the detected shape. */
      ignoredColumns: string[];
      /** One sentence on why this shape was chosen, for the UI. */
      reason: string;
    }
  | { ok: false; columns: string[]; reason: string };

const ANCHOR_NAMES = ['anchor', 'query'];
const NEGATIVE_RE = /^negative(?:_(\d+))?$/;

/** First key (in `columns` order) whose lower-cased name is one of `names`, trying names in order. */
function pick(columns: readonly string[], names: readonly string[]): string | undefined {
  for (const name of names) {
    const hit = columns.find((c) => c.toLowerCase() === name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** negative, negative_1, negative_2…: bare `negative` first, then by number. */
function negativeColumns(columns: readonly string[]): string[] {
  const found: { col: string; n: number }[] = [];
  for (const col of columns) {
    const m = NEGATIVE_RE.exec(col.toLowerCase());
    if (m) found.push({ col, n: m[1] === undefined ? 0 : Number(m[1]) });
  }
  return found.sort((a, b) => a.n - b.n).map((f) => f.col);
}

function columnsOf(rows: readonly Record<string, unknown>[]): { columns: string[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  for (const row of rows) for (const key of Object.keys(row)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return { columns: [...counts.keys()], counts };
}

/** The detection result for a known mapping; also how a hand-made mapping is described. */
export function shapeFromMapping(
  mapping: ColumnMapping,
  columns: string[],
  reason = 'columns mapped by hand',
): ShapeDetection {
  const used = new Set(mappedColumns(mapping));
  return {
    ok: true,
    mapping,
    losses: LOSSES_FOR_SHAPE[mapping.shape],
    columns,
    ignoredColumns: columns.filter((c) => !used.has(c)),
    reason,
  };
}

/** The file columns a mapping reads, in output order. */
export function mappedColumns(mapping: ColumnMapping): string[] {
  switch (mapping.shape) {
    case 'triplets':
      return [mapping.anchor, mapping.positive, ...mapping.negatives];
    case 'pairs':
      return [mapping.anchor, mapping.positive];
    case 'scored-pairs':
      return [mapping.sentence1, mapping.sentence2, mapping.score];
    case 'labeled-pairs':
      return [mapping.sentence1, mapping.sentence2, mapping.label];
    case 'labeled-texts':
      return [mapping.text, mapping.label];
  }
}

/**
 * Guesses the shape from column names, and for sentence1/sentence2/label from the label values:
 * all 0/1 means labeled pairs, fractions in [0, 1] mean the label is really a similarity score.
 * Rows that lack a chosen column are not a reason to pick another shape; they are reported one
 * by one by `toTrainingExamples`. The exception is negatives: a negative column present in fewer
 * than half the rows is ignored (and said so) rather than failing most of the file.
 */
export function detectShape(rows: readonly Record<string, unknown>[]): ShapeDetection {
  const { columns, counts } = columnsOf(rows);
  const anchor = pick(columns, ANCHOR_NAMES);
  const positive = pick(columns, ['positive']);
  if (anchor !== undefined && positive !== undefined) {
    const allNegatives = negativeColumns(columns);
    const negatives = allNegatives.filter((c) => (counts.get(c) ?? 0) * 2 >= rows.length);
    const rare = allNegatives.filter((c) => !negatives.includes(c));
    const rareNote = rare.length
      ? `; ${rare.map((c) => `"${c}" (in ${counts.get(c)} of ${rows.length} rows)`).join(', ')} ignored as too sparse`
      : '';
    if (negatives.length > 0) {
      return shapeFromMapping(
        { shape: 'triplets', anchor, positive, negatives },
        columns,
        `columns "${anchor}", "${positive}" and ${negatives.map((n) => `"${n}"`).join(', ')} form (anchor, positive, negative) triplets${rareNote}`,
      );
    }
    return shapeFromMapping(
      { shape: 'pairs', anchor, positive },
      columns,
      `columns "${anchor}" and "${positive}" form (anchor, positive) pairs${rareNote}`,
    );
  }

  const sentence1 = pick(columns, ['sentence1']);
  const sentence2 = pick(columns, ['sentence2']);
  if (sentence1 !== undefined && sentence2 !== undefined) {
    const score = pick(columns, ['score']);
    if (score !== undefined) {
      return shapeFromMapping(
        { shape: 'scored-pairs', sentence1, sentence2, score },
        columns,
        `columns "${sentence1}", "${sentence2}" and "${score}" form scored sentence pairs`,
      );
    }
    const label = pick(columns, ['label']);
    if (label !== undefined) {
      const values = rows.map((r) => r[label]).filter((v): v is number => typeof v === 'number');
      const fractional = values.some((v) => v !== 0 && v !== 1);
      const inUnit = values.every((v) => v >= 0 && v <= 1);
      if (fractional && inUnit) {
        return shapeFromMapping(
          { shape: 'scored-pairs', sentence1, sentence2, score: label },
          columns,
          `"${label}" holds values between 0 and 1, so "${sentence1}"/"${sentence2}" are read as scored pairs`,
        );
      }
      return shapeFromMapping(
        { shape: 'labeled-pairs', sentence1, sentence2, label },
        columns,
        `columns "${sentence1}", "${sentence2}" and "${label}" form labelled (0/1) sentence pairs`,
      );
    }
  }

  const text = pick(columns, ['text']);
  const label = pick(columns, ['label']);
  if (text !== undefined && label !== undefined) {
    return shapeFromMapping(
      { shape: 'labeled-texts', text, label },
      columns,
      `columns "${text}" and "${label}" form labelled texts`,
    );
  }

  const found = columns.length ? columns.map((c) => `"${c}"`).join(', ') : 'none';
  return {
    ok: false,
    columns,
    reason:
      `could not tell what the columns mean (found ${found}); expected one of: ` +
      'query|anchor + positive [+ negative, negative_2…]; sentence1 + sentence2 + score; ' +
      'sentence1 + sentence2 + label (0/1); text + label. Map the columns by hand to go on.',
  };
}

export interface NormalizedRows {
  examples: TrainingExample[];
  /** Source line of each example, for linking back to the file. */
  lines: number[];
  issues: DataIssue[];
  /** For labeled texts with string labels: label i is `labelNames[i]`, in first-seen order. */
  labelNames?: string[];
}

/**
 * Validates every row against the mapping and converts the good ones. A row with several bad
 * fields gets one issue per field. Exact repeats of an earlier valid row are dropped: in-batch
 * negative losses would otherwise treat a row's own twin as a negative.
 */
export function toTrainingExamples(rows: readonly JsonlRow[], mapping: ColumnMapping, file: string): NormalizedRows {
  const examples: TrainingExample[] = [];
  const lines: number[] = [];
  const issues: DataIssue[] = [];
  const seen = new Map<string, number>();
  const labelIds = new Map<string, number>();
  let labelKind: 'number' | 'string' | undefined;

  for (const { line, value } of rows) {
    const rowIssues: DataIssue[] = [];
    const issue = (code: DataIssue['code'], field: string, message: string) =>
      rowIssues.push({ code, file, line, field, message });

    const textField = (field: string): string | undefined => {
      const v = value[field];
      if (v === undefined) {
        const has = Object.keys(value).map((k) => `"${k}"`).join(', ') || 'no fields';
        issue('missing-field', field, `missing field "${field}" (needed for ${mapping.shape}); this row has ${has}`);
      }
      else if (v === null) issue('missing-field', field, `field "${field}" is null; expected a non-empty string`);
      else if (typeof v !== 'string') issue('wrong-type', field, `field "${field}" must be a string, got ${describeType(v)}`);
      else if (v.trim().length === 0) issue('empty-field', field, `field "${field}" is empty; expected a non-empty string`);
      else return v;
      return undefined;
    };

    let texts: (string | undefined)[];
    let label: number | undefined;
    // String class labels get their id only once the row is known to be kept.
    let labelName: string | undefined;
    switch (mapping.shape) {
      case 'triplets':
        texts = [mapping.anchor, mapping.positive, ...mapping.negatives].map(textField);
        break;
      case 'pairs':
        texts = [mapping.anchor, mapping.positive].map(textField);
        break;
      case 'scored-pairs': {
        texts = [mapping.sentence1, mapping.sentence2].map(textField);
        const f = mapping.score;
        const v = value[f];
        if (v === undefined || v === null) issue('missing-field', f, `missing field "${f}"; expected a number between 0 and 1`);
        else if (typeof v !== 'number') {
          issue('wrong-type', f, `field "${f}" must be a number between 0 and 1, got ${describeType(v)} (${JSON.stringify(v)})`);
        } else if (v < 0 || v > 1) {
          issue('score-out-of-range', f, `field "${f}" is ${v}; expected a number between 0 and 1 (rescale 0–5 STS scores by dividing by 5)`);
        } else label = v;
        break;
      }
      case 'labeled-pairs': {
        texts = [mapping.sentence1, mapping.sentence2].map(textField);
        const f = mapping.label;
        const v = value[f];
        if (v === undefined || v === null) issue('missing-field', f, `missing field "${f}"; expected 0 or 1`);
        else if (typeof v !== 'number') issue('wrong-type', f, `field "${f}" must be 0 or 1, got ${describeType(v)} (${JSON.stringify(v)})`);
        else if (v !== 0 && v !== 1) issue('wrong-type', f, `field "${f}" is ${v}; expected 0 or 1`);
        else label = v;
        break;
      }
      case 'labeled-texts': {
        texts = [mapping.text].map(textField);
        const f = mapping.label;
        const v = value[f];
        if (v === undefined || v === null) {
          issue('missing-field', f, `missing field "${f}"; expected a class label`);
        } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && labelKind !== 'string') {
          labelKind = 'number';
          label = v;
        } else if (typeof v === 'string' && v.trim().length > 0 && labelKind !== 'number') {
          labelKind = 'string';
          labelName = v;
        } else {
          const want =
            labelKind === 'string' ? 'a string, like the labels above it'
            : labelKind === 'number' ? 'a non-negative integer, like the labels above it'
            : 'a non-negative integer or a non-empty string';
          issue('wrong-type', f, `field "${f}" must be ${want}, got ${describeType(v)} (${JSON.stringify(v)})`);
        }
        break;
      }
    }

    if (rowIssues.length > 0) {
      issues.push(...rowIssues);
      continue;
    }
    const ok = texts as string[];
    if (labelName !== undefined) {
      let id = labelIds.get(labelName);
      if (id === undefined) labelIds.set(labelName, (id = labelIds.size));
      label = id;
    }
    const key = JSON.stringify(label === undefined ? ok : [...ok, label]);
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ code: 'duplicate-row', file, line, message: `duplicate of line ${first}; skipped` });
      continue;
    }
    seen.set(key, line);
    examples.push(label === undefined ? { texts: ok } : { texts: ok, label });
    lines.push(line);
  }

  const out: NormalizedRows = { examples, lines, issues };
  if (labelKind === 'string') out.labelNames = [...labelIds.keys()];
  return out;
}
