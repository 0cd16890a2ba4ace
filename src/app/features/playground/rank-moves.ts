import type { SearchHit } from '../../../worker/protocol.ts';

/** How a document's rank changed from the pinned ranking to the current one. */
export type RankMove =
  | { readonly kind: 'up' | 'down'; readonly by: number; readonly from: number }
  | { readonly kind: 'same'; readonly by: 0; readonly from: number }
  | { readonly kind: 'new'; readonly by: 0; readonly from: null };

/**
 * For each current hit (in order), its move relative to the pinned ranking, matching documents by
 * corpus index. Ranks are 1-based positions in the lists; a document absent from the pinned list
 * is "new" (it entered the top k).
 */
export function rankMoves(pinnedHits: readonly SearchHit[], currentHits: readonly SearchHit[]): RankMove[] {
  const pinnedRank = new Map<number, number>();
  pinnedHits.forEach((h, i) => {
    if (!pinnedRank.has(h.corpusIndex)) pinnedRank.set(h.corpusIndex, i + 1);
  });
  return currentHits.map((h, i) => {
    const now = i + 1;
    const before = pinnedRank.get(h.corpusIndex);
    if (before === undefined) return { kind: 'new', by: 0, from: null };
    if (before === now) return { kind: 'same', by: 0, from: before };
    return before > now ? { kind: 'up', by: before - now, from: before } : { kind: 'down', by: now - before, from: before };
  });
}

/** "↑3", "↓2", "new", "=" — what the ranking shows beside a hit. */
export function formatMove(move: RankMove): string {
  switch (move.kind) {
    case 'up':
      return `↑${move.by}`;
    case 'down':
      return `↓${move.by}`;
    case 'new':
      return 'new';
    case 'same':
      return '=';
  }
}

/** Words for screen readers: "up 3 from rank 5". */
export function describeMove(move: RankMove): string {
  switch (move.kind) {
    case 'up':
      return `up ${move.by} from rank ${move.from}`;
    case 'down':
      return `down ${move.by} from rank ${move.from}`;
    case 'new':
      return 'new in the top results';
    case 'same':
      return 'same rank as pinned';
  }
}
