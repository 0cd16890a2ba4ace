import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The sentence-transformers fixtures live beside the project (../shared/fixtures), never inside it,
 * so a checkout without them must still pass: fixture tests skip, with a message. CI sets
 * EMBEDDING_STUDIO_REQUIRE_FIXTURES=1 so that a missing folder fails the run instead — otherwise a
 * green CI could mean that no comparison with sentence-transformers ran at all.
 */
export const FIXTURES_DIR = path.resolve(process.cwd(), '../shared/fixtures');

export function fixturesRequired(): boolean {
  return process.env.EMBEDDING_STUDIO_REQUIRE_FIXTURES === '1';
}

/**
 * Whether `file` (absolute, or relative to FIXTURES_DIR; default: tiny-bert's reference.json)
 * exists. Absent: throws under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1 (the importing test file fails),
 * otherwise warns once per caller and returns false so the caller skips.
 */
export function haveFixtures(file = 'tiny-bert/reference.json', who = 'fixture tests'): boolean {
  const full = path.resolve(FIXTURES_DIR, file);
  if (existsSync(full)) return true;
  if (fixturesRequired()) {
    throw new Error(`EMBEDDING_STUDIO_REQUIRE_FIXTURES=1 but ${full} is missing: ${who} cannot run (see ../shared/fixtures/README.md)`);
  }
  console.warn(`${full} not found: skipping ${who} (set EMBEDDING_STUDIO_REQUIRE_FIXTURES=1 to fail instead)`);
  return false;
}
