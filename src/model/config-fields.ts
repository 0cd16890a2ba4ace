// Typed access to the fields of a model folder's JSON files. Every error names the file and the
// field, because users will hit these with models we do not support and need to know why.

export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed field access that reports the file and field on a wrong type. */
export class Fields {
  constructor(
    readonly file: string,
    readonly obj: JsonObject,
  ) {}

  fail(field: string, what: string): never {
    throw new ModelConfigError(this.file, `"${field}" ${what}`);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  int(field: string, fallback?: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.obj[field];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(field, 'is required');
      return fallback as number;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(field, `must be an integer, got ${JSON.stringify(v)}`);
    if ((v as number) < min) this.fail(field, `must be ≥ ${min}, got ${v}`);
    if ((v as number) > max) this.fail(field, `must be ≤ ${max}, got ${v}`);
    return v as number;
  }

  num(field: string, fallback: number, min: number, max: number): number {
    const v = this.obj[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${JSON.stringify(v)}`);
    if ((v as number) < min || (v as number) > max) this.fail(field, `must be in [${min}, ${max}], got ${v}`);
    return v as number;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  }

  str(field: string): string | null {
    const v = this.obj[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${JSON.stringify(v)}`);
    return v as string;
  }
}
