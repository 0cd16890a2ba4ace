// Embedding lookup and its gradient. Ids are validated on the host before these run.

export function gather(table: usize, ids: usize, out: usize, n: i32, H: i32): void {
  const rowBytes = <usize>H << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    memory.copy(out + <usize>i * rowBytes, table + <usize>id * rowBytes, rowBytes);
  }
}

/** dTable[ids[i]] += dOut[i], in token order (the reference's summation order). */
export function scatterAdd(dOut: usize, ids: usize, dTable: usize, n: i32, H: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const dst = dTable + (<usize>id * H << 2), src = dOut + (<usize>i * H << 2);
    let h = 0;
    for (; h + 4 <= H; h += 4) v128.store(dst + (<usize>h << 2), f32x4.add(v128.load(dst + (<usize>h << 2)), v128.load(src + (<usize>h << 2))));
    for (; h < H; h++) store<f32>(dst + (<usize>h << 2), load<f32>(dst + (<usize>h << 2)) + load<f32>(src + (<usize>h << 2)));
  }
}
