import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseOptions(argv: readonly string[], options: OptionSpec, command: string): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // node:util's messages already name the option; keep only their first line.
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function requireString(values: Record<string, unknown>, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`${command}: --${name} is required`);
  return v;
}

export function optionalString(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function numberOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  check: { integer?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const what = check.integer ? 'an integer' : 'a number';
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || (check.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${what}, got "${String(raw)}"`);
  }
  if (check.min !== undefined && (check.minExclusive ? n <= check.min : n < check.min)) {
    throw new UsageError(`--${name} must be ${check.minExclusive ? 'greater than' : 'at least'} ${check.min}, got ${n}`);
  }
  if (check.max !== undefined && (check.maxExclusive ? n >= check.max : n > check.max)) {
    throw new UsageError(`--${name} must be ${check.maxExclusive ? 'less than' : 'at most'} ${check.max}, got ${n}`);
  }
  return n;
}

export function choiceOption<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${String(raw)}"`);
  }
  return raw as T;
}
