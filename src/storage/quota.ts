/**
 * How much room the studio has (navigator.storage.estimate), whether the browser promised to keep
 * it (persisted / persist), and turning a full disk into a message a person can act on.
 */
import { formatBytesPlain } from './format.ts';

/** The part of StorageManager used here; the page and the worker both have it (persist: page only). */
export interface StorageManagerLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persisted?(): Promise<boolean>;
  persist?(): Promise<boolean>;
}

export interface StorageEstimateInfo {
  /** False where the browser says nothing (old browsers, Node). */
  readonly known: boolean;
  readonly usage: number;
  readonly quota: number;
  readonly available: number;
  /** Whether the browser will keep the data under storage pressure; null when unknown. */
  readonly persisted: boolean | null;
  readonly nearlyFull: boolean;
  /** A sentence for the UI when space is short, else null. */
  readonly warning: string | null;
}

/** "Nearly full": over 90 % used, or under 256 MiB left (less than a few runs of a small model). */
export const NEARLY_FULL_FRACTION = 0.9;
export const NEARLY_FULL_BYTES = 256 * 1024 * 1024;

export function describeEstimate(usage: number, quota: number, persisted: boolean | null, known = true): StorageEstimateInfo {
  const available = Math.max(0, quota - usage);
  const nearlyFull = known && quota > 0 && (usage / quota >= NEARLY_FULL_FRACTION || available < NEARLY_FULL_BYTES);
  const warning = nearlyFull
    ? `Storage is nearly full: ${formatBytesPlain(usage)} used, ${formatBytesPlain(available)} left. Saving a run's weights may fail — delete old runs or datasets below.`
    : null;
  return { known, usage, quota, available, persisted, nearlyFull, warning };
}

export async function estimateStorage(storage: StorageManagerLike | undefined | null): Promise<StorageEstimateInfo> {
  if (!storage?.estimate) return describeEstimate(0, 0, null, false);
  const [estimate, persisted] = await Promise.all([
    storage.estimate().catch(() => ({ usage: undefined, quota: undefined })),
    storage.persisted ? storage.persisted().catch(() => null) : Promise.resolve(null),
  ]);
  const known = estimate.quota !== undefined;
  return describeEstimate(estimate.usage ?? 0, estimate.quota ?? 0, persisted, known);
}

/** The browser refused to store more: the disk or the site's quota is full. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
}

export function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const name = (e as { name?: unknown }).name;
  // Firefox has also reported NS_ERROR_DOM_QUOTA_REACHED; IndexedDB aborts a transaction with QuotaExceededError.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || name === 'StorageFullError';
}

/** A full disk becomes a StorageFullError saying what failed and what to do; other errors pass as they are. */
export function storageProblem(e: unknown, what: string, keptNote = ''): unknown {
  if (e instanceof StorageFullError) return e;
  if (!isQuotaError(e)) return e;
  return new StorageFullError(
    `Not enough storage space for ${what}: the browser's quota for this site or the disk is full. ` +
      `Delete old runs or saved datasets in the Runs panel, or free disk space, then try again.${keptNote ? ` ${keptNote}` : ''}`,
  );
}
