/** Cropped queries for pre-training (scripts/pretrain-crop.ts) on made-up rows. */

import { describe, expect, it } from 'vitest';
import { cropQueries } from '../scripts/pretrain-crop.ts';

const shared = 'Foo reads and writes images in many formats, fast and with little memory.';
const row = (i: number) => ({
  anchor: `libfoo${i}: foo image library`,
  positive: `${shared}\nThis package contains the development files number ${i} for building programs against it.`,
  negative: `${shared}\nThis package contains the runtime library.`,
});

describe('cropQueries', () => {
  const rows = Array.from({ length: 400 }, (_, i) => row(i));

  it('replaces about the share asked of the anchors with a 4–12 word span of the positive that the negative lacks', () => {
    const { rows: out, cropped } = cropQueries(rows, 0.5, 7);
    expect(out).toHaveLength(rows.length);
    expect(cropped).toBeGreaterThan(150);
    expect(cropped).toBeLessThan(250);
    const changed = out.filter((r, i) => r.anchor !== rows[i].anchor);
    expect(changed).toHaveLength(cropped);
    for (const r of changed) {
      const n = r.anchor.trim().split(/\s+/).length;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(12);
      expect(r.positive.replace(/\n/g, ' ')).toContain(r.anchor.trim());
      // The opening sentence is the sibling's too: a span of it would make the negative a positive.
      expect(r.negative.toLowerCase()).not.toContain(r.anchor.toLowerCase());
    }
    expect(out.filter((r, i) => r.positive !== rows[i].positive || r.negative !== rows[i].negative)).toEqual([]);
  });

  it('leaves Chinese rows and short positives alone, and is seeded', () => {
    const zh = { anchor: '图像库 foo', positive: shared, negative: 'other' };
    const short = { anchor: 'tiny', positive: 'A tiny tool.', negative: 'other' };
    const { rows: out } = cropQueries([zh, short, ...rows], 1, 3);
    expect(out[0]).toBe(zh);
    expect(out[1]).toBe(short);
    expect(cropQueries(rows, 0.5, 7)).toEqual(cropQueries(rows, 0.5, 7));
    expect(cropQueries(rows, 0.5, 8).rows).not.toEqual(cropQueries(rows, 0.5, 7).rows);
  });
});
