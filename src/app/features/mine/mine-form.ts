import { DEFAULT_MINING_OPTIONS, type MiningOptions, type SamplingStrategy } from '../../../shared/settings.ts';

/** The mining form as typed: strings, so a half-typed number is not lost. Empty = "None". */
export interface MineForm {
  readonly rangeMin: string;
  readonly rangeMax: string;
  readonly margin: string;
  readonly relativeMargin: string;
  readonly numNegatives: string;
  readonly samplingStrategy: SamplingStrategy;
}

export const DEFAULT_MINE_FORM: MineForm = {
  rangeMin: String(DEFAULT_MINING_OPTIONS.rangeMin),
  rangeMax: String(DEFAULT_MINING_OPTIONS.rangeMax ?? ''),
  margin: '',
  relativeMargin: '',
  numNegatives: String(DEFAULT_MINING_OPTIONS.numNegatives),
  samplingStrategy: DEFAULT_MINING_OPTIONS.samplingStrategy,
};

export type MineFormErrors = Partial<Record<keyof MineForm, string>>;

/** Options the worker can run, or the message of each field that is wrong (sentence-transformers' names). */
export function parseMineForm(form: MineForm): { options: MiningOptions | null; errors: MineFormErrors } {
  const errors: MineFormErrors = {};
  const whole = (key: 'rangeMin' | 'numNegatives' | 'rangeMax', min: number, optional: boolean): number | null => {
    const raw = form[key].trim();
    if (!raw && optional) return null;
    const v = Number(raw);
    if (!raw || !Number.isInteger(v) || v < min) errors[key] = `a whole number ≥ ${min}${optional ? ', or empty for none' : ''}`;
    return v;
  };
  const decimal = (key: 'margin' | 'relativeMargin', check: (v: number) => string | null): number | null => {
    const raw = form[key].trim();
    if (!raw) return null;
    const v = Number(raw);
    const problem = Number.isFinite(v) ? check(v) : 'a number, or empty for none';
    if (problem) errors[key] = problem;
    return v;
  };
  const rangeMin = whole('rangeMin', 0, false) ?? 0;
  const rangeMax = whole('rangeMax', 1, true);
  if (rangeMax !== null && !errors.rangeMax && !errors.rangeMin && rangeMax <= rangeMin) errors.rangeMax = 'must be above range_min';
  const numNegatives = whole('numNegatives', 1, false) ?? 1;
  const margin = decimal('margin', (v) => (v < 0 || v > 2 ? 'between 0 and 2 (cosine scores span 2)' : null));
  const relativeMargin = decimal('relativeMargin', (v) => (v < 0 || v >= 1 ? 'from 0 up to (not including) 1' : null));
  if (Object.keys(errors).length) return { options: null, errors };
  return {
    options: { ...DEFAULT_MINING_OPTIONS, rangeMin, rangeMax, margin, relativeMargin, numNegatives, samplingStrategy: form.samplingStrategy },
    errors,
  };
}
