/**
 * Pure helpers of the data panel: how a dataset's shape, issues and mapping read in the UI, and
 * the column-mapping editor's model. No React, no worker: tested in data-selectors.test.ts.
 */
import type { DatasetInfo } from '../../../worker/protocol.ts';
import type { LossId } from '../../../shared/names.ts';
import type { ColumnMapping, DataIssue, ShapeId } from '../../../worker/protocol.ts';

export const SHAPE_LABELS: Readonly<Record<ShapeId, string>> = {
  triplets: 'Triplets (anchor, positive, negative…)',
  pairs: 'Pairs (anchor, positive)',
  'scored-pairs': 'Scored pairs (sentence1, sentence2, score 0–1)',
  'labeled-pairs': 'Labelled pairs (sentence1, sentence2, label 0/1)',
  'labeled-texts': 'Labelled texts (text, label)',
};

export const SHAPES = Object.keys(SHAPE_LABELS) as ShapeId[];

/** sentence-transformers' class names, so users recognise them. */
export const LOSS_LABELS: Readonly<Record<LossId, string>> = {
  mnrl: 'MultipleNegativesRankingLoss',
  cosine: 'CosineSimilarityLoss',
  cosent: 'CoSENTLoss',
  triplet: 'TripletLoss',
};

export const DATA_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.csv', '.tsv', '.parquet'] as const;
export const DATA_ACCEPT = '.jsonl,.csv,.tsv,.parquet,.ndjson,.json';

/** null when the studio can read a file of this name, else why not. */
export function checkDataFileName(name: string): string | null {
  const lower = name.toLowerCase();
  if (DATA_EXTENSIONS.some((ext) => lower.endsWith(ext))) return null;
  return `${name}: not a data file the studio reads (expected .jsonl, .csv, .tsv or .parquet)`;
}

// ---- validation report ----------------------------------------------------------------------------

export interface IssueGroup {
  readonly code: DataIssue['code'];
  readonly count: number;
}

/** Issue counts by code, most frequent first (ties by code, so the order is stable). */
export function groupIssues(issues: readonly DataIssue[]): IssueGroup[] {
  const counts = new Map<DataIssue['code'], number>();
  for (const i of issues) counts.set(i.code, (counts.get(i.code) ?? 0) + 1);
  return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** "file.jsonl:12:5: message", the way compilers print it, so people can jump to the line. */
export function issueLocation(issue: DataIssue): string {
  return `${issue.file}:${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}`;
}

// ---- preview --------------------------------------------------------------------------------------

export interface PreviewHeaders {
  /** One header per text in `PreviewRow.texts` (role and the file column feeding it). */
  readonly texts: readonly string[];
  /** The label/score column's header, or null when the shape has none. */
  readonly label: string | null;
}

/** Headers for the preview's text columns, in the order `PreviewRow.texts` holds them. */
export function previewHeaders(mapping: ColumnMapping | null): PreviewHeaders {
  if (!mapping) return { texts: [], label: null };
  const named = (role: string, col: string) => (role === col ? role : `${role} (${col})`);
  switch (mapping.shape) {
    case 'triplets':
      return {
        texts: [named('anchor', mapping.anchor), named('positive', mapping.positive), ...mapping.negatives.map((n, i) => named(mapping.negatives.length > 1 ? `negative ${i + 1}` : 'negative', n))],
        label: null,
      };
    case 'pairs':
      return { texts: [named('anchor', mapping.anchor), named('positive', mapping.positive)], label: null };
    case 'scored-pairs':
      return { texts: [named('sentence1', mapping.sentence1), named('sentence2', mapping.sentence2)], label: named('score', mapping.score) };
    case 'labeled-pairs':
      return { texts: [named('sentence1', mapping.sentence1), named('sentence2', mapping.sentence2)], label: named('label', mapping.label) };
    case 'labeled-texts':
      return { texts: [named('text', mapping.text)], label: named('label', mapping.label) };
  }
}

/** The number of text columns to lay out: the headers, or the widest row seen when there are none. */
export function previewTextColumns(headers: PreviewHeaders, widestRow: number): number {
  return Math.max(headers.texts.length, widestRow, 1);
}

// ---- column mapping editor ------------------------------------------------------------------------

/** A role a file column can play; `multi` roles take several columns (negatives). */
export interface Role {
  readonly key: string;
  readonly label: string;
  readonly multi?: boolean;
  readonly optional?: boolean;
}

export const ROLES: Readonly<Record<ShapeId, readonly Role[]>> = {
  triplets: [
    { key: 'anchor', label: 'Anchor / query' },
    { key: 'positive', label: 'Positive' },
    { key: 'negatives', label: 'Negatives', multi: true },
  ],
  pairs: [
    { key: 'anchor', label: 'Anchor / query' },
    { key: 'positive', label: 'Positive' },
  ],
  'scored-pairs': [
    { key: 'sentence1', label: 'Sentence 1' },
    { key: 'sentence2', label: 'Sentence 2' },
    { key: 'score', label: 'Score (0–1)' },
  ],
  'labeled-pairs': [
    { key: 'sentence1', label: 'Sentence 1' },
    { key: 'sentence2', label: 'Sentence 2' },
    { key: 'label', label: 'Label (0/1)' },
  ],
  'labeled-texts': [
    { key: 'text', label: 'Text' },
    { key: 'label', label: 'Label' },
  ],
};

/** Which column each role takes: a column name, or a list for multi roles. */
export type Assignment = Readonly<Record<string, string | readonly string[]>>;

/** The editor's starting point: the current mapping, else the first columns in order. */
export function initialAssignment(shape: ShapeId, columns: readonly string[], mapping: ColumnMapping | null): Assignment {
  if (mapping && mapping.shape === shape) {
    const { shape: _shape, ...rest } = mapping;
    return rest as Assignment;
  }
  const roles = ROLES[shape];
  const out: Record<string, string | string[]> = {};
  let next = 0;
  for (const role of roles) {
    if (role.multi) out[role.key] = columns.slice(next, next + 1);
    else out[role.key] = columns[next] ?? '';
    next++;
  }
  return out;
}

export type MappingCheck = { ok: true; mapping: ColumnMapping } | { ok: false; problem: string };

/** A mapping from the editor, or what is wrong with it (unfilled roles, a column used twice). */
export function buildMapping(shape: ShapeId, assignment: Assignment, columns: readonly string[]): MappingCheck {
  const used: string[] = [];
  for (const role of ROLES[shape]) {
    const v = assignment[role.key];
    const list = Array.isArray(v) ? (v as readonly string[]) : v ? [v as string] : [];
    if (list.length === 0 && !role.optional) return { ok: false, problem: `choose a column for ${role.label.toLowerCase()}` };
    for (const c of list) {
      if (!columns.includes(c)) return { ok: false, problem: `the file has no column "${c}"` };
      if (used.includes(c)) return { ok: false, problem: `column "${c}" is used for two roles` };
      used.push(c);
    }
  }
  const one = (k: string) => assignment[k] as string;
  switch (shape) {
    case 'triplets':
      return { ok: true, mapping: { shape, anchor: one('anchor'), positive: one('positive'), negatives: [...(assignment.negatives as readonly string[])] } };
    case 'pairs':
      return { ok: true, mapping: { shape, anchor: one('anchor'), positive: one('positive') } };
    case 'scored-pairs':
      return { ok: true, mapping: { shape, sentence1: one('sentence1'), sentence2: one('sentence2'), score: one('score') } };
    case 'labeled-pairs':
      return { ok: true, mapping: { shape, sentence1: one('sentence1'), sentence2: one('sentence2'), label: one('label') } };
    case 'labeled-texts':
      return { ok: true, mapping: { shape, text: one('text'), label: one('label') } };
  }
}

// ---- counts ---------------------------------------------------------------------------------------

export interface CountRow {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly hint?: string;
}

export function datasetCounts(info: DatasetInfo): CountRow[] {
  return [
    { key: 'rows', label: 'Rows read', value: info.rows, hint: `of ${info.totalLines} lines` },
    { key: 'skipped', label: 'Rows skipped', value: info.skippedRows },
    { key: 'train', label: 'Train rows', value: info.trainRows },
    { key: 'eval', label: 'Eval rows', value: info.evalRows },
    { key: 'queries', label: 'Eval queries', value: info.evalQueries },
    { key: 'corpus', label: 'Corpus size', value: info.corpusSize, hint: 'documents ranked per query' },
  ];
}
