// Every way a Hub download can fail gets its own kind, so the UI can react (ask for a token,
// suggest a mirror, offer to resume) and its own message, so a person knows what to do next.

export type HubErrorKind =
  | 'invalid-argument' // a malformed repo id, revision, endpoint or path: nothing was requested
  | 'repo-not-found'
  | 'revision-not-found'
  | 'file-missing' // the repo exists but lacks a file the model needs
  | 'unauthorized' // 401: no token, or the token was rejected
  | 'forbidden' // 403: the token is valid but has no access (gated or private repo)
  | 'network' // the endpoint could not be reached at all
  | 'interrupted' // a body stopped early; the partial download was kept for resuming
  | 'integrity' // size or sha256 disagree with what the server announced
  | 'http' // any other unexpected HTTP status
  | 'cache'; // the cache could not be read or written (quota, permissions)

export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly details: { readonly file?: string; readonly status?: number; readonly cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

export function isHubError(e: unknown, kind?: HubErrorKind): e is HubError {
  return e instanceof HubError && (kind === undefined || e.kind === kind);
}
