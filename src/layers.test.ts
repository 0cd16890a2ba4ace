/**
 * Keeps the dependency picture of the README's Layout true: imports point down the layers only,
 * siblings on one layer do not import each other, the page reaches the worker only through its
 * contract, and no file imports itself through others. Type-only imports count: a type circle
 * is still a circle for whoever reads the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Lower imports nothing above it; equal ranks are siblings that stay apart. */
const LAYER_RANK: Readonly<Record<string, number>> = {
  shared: 0,
  engine: 1,
  data: 2,
  model: 2,
  io: 3,
  eval: 4,
  storage: 5,
  worker: 6,
  cli: 6,
  app: 7,
};

/** What the page may import from the worker: its contract and the API's type, never its code. */
const APP_MAY_IMPORT = new Set(['worker/protocol.ts', 'worker/protocol-checks.ts', 'worker/studio-api.ts']);

interface SourceFile {
  /** Relative to src/, with forward slashes. */
  readonly file: string;
  readonly imports: readonly string[];
}

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '__screenshots__' ? [] : sourceFiles(full);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [full] : [];
  });
}

/** Every relative import, export-from and dynamic import() of each source file, resolved. */
export function readImportGraph(): SourceFile[] {
  return sourceFiles().map((full) => {
    const info = ts.preProcessFile(readFileSync(full, 'utf8'), true, true);
    const imports = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.relative(SRC, path.resolve(path.dirname(full), spec.replace(/\?.*$/, ''))).split(path.sep).join('/'));
    return { file: path.relative(SRC, full).split(path.sep).join('/'), imports };
  });
}

const layerOf = (file: string): string => file.split('/')[0];

function cycles(graph: readonly SourceFile[]): string[][] {
  const edges = new Map(graph.map((f) => [f.file, f.imports.filter((i) => i !== f.file)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The rule itself, apart from the tree, so the test can show it catches what it should. */
export function layerViolations(graph: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const { file, imports } of graph) {
    const from = layerOf(file);
    for (const target of imports) {
      const to = layerOf(target);
      if (to === from) continue;
      const rankFrom = LAYER_RANK[from];
      const rankTo = LAYER_RANK[to];
      if (rankFrom === undefined || rankTo === undefined) {
        problems.push(`${file} → ${target}: ${rankFrom === undefined ? from : to}/ is not a known layer`);
      } else if (from === 'app' && to === 'worker' ? !APP_MAY_IMPORT.has(target) : rankTo >= rankFrom) {
        problems.push(`${file} → ${target}: ${from} may not import ${to}`);
      }
    }
  }
  return problems;
}

describe('the import graph', () => {
  const graph = readImportGraph();

  it('reads the whole tree', () => {
    expect(graph.length).toBeGreaterThan(100);
    expect(graph.filter((f) => LAYER_RANK[layerOf(f.file)] === undefined).map((f) => f.file)).toEqual([]);
    expect(new Set(graph.map((f) => layerOf(f.file)))).toEqual(new Set(Object.keys(LAYER_RANK)));
  });

  it('has no circle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('points down the layers only', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('keeps every source file small: none over 400 lines outside the kernels', () => {
    // Kernels (WGSL and AssemblyScript sources) are long by nature: one op, every variant.
    const kernel = (f: string) => /^engine\/(webgpu\/kernels|wasm\/assembly)\//.test(f) || f.endsWith('.generated.ts');
    const long = graph
      .filter((f) => !kernel(f.file))
      .map((f) => ({ file: f.file, lines: readFileSync(path.join(SRC, f.file), 'utf8').split('\n').length }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('the rule catches an upward import, a sibling import, and the page reaching into the worker', () => {
    const made = (file: string, ...imports: string[]): SourceFile => ({ file, imports });
    expect(layerViolations([made('engine/a.ts', 'model/b.ts')])).toHaveLength(1);
    expect(layerViolations([made('model/a.ts', 'data/b.ts')])).toHaveLength(1);
    expect(layerViolations([made('app/a.ts', 'worker/workspace.ts')])).toHaveLength(1);
    expect(layerViolations([made('app/a.ts', 'worker/protocol.ts', 'shared/names.ts')])).toEqual([]);
    expect(cycles([made('io/a.ts', 'io/b.ts'), made('io/b.ts', 'io/a.ts')])).toHaveLength(1);
  });
});
