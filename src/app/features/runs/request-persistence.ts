/**
 * Asks the browser to keep the studio's data under storage pressure. A page-only call (it may
 * prompt the person), so it lives with the page rather than with the worker's storage.
 */
export async function requestPersistence(storage: Pick<StorageManager, 'persist'> | undefined | null): Promise<boolean> {
  if (!storage?.persist) return false;
  try {
    return await storage.persist();
  } catch {
    return false;
  }
}
