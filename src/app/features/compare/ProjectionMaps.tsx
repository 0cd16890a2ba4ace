import type { Data } from 'plotly.js-basic-dist-min';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ProjectionPoint } from '../../../worker/protocol.ts';
import type { MapMethod } from '../../../worker/protocol-checks.ts';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { GROUP_PALETTE, themedLayout, type ChartColors } from '../../charts/theme.ts';
import { easeInOut, groupColor, hoverText, interpolate, queryLinks, sharedBounds, type Bounds } from './projection.ts';
import { MAP_LABELS } from '../../../shared/names.ts';

const MAP_HEIGHT = 300;
const PLAY_MS = 2000;

function traces(points: readonly ProjectionPoint[], x: readonly number[], y: readonly number[], c: ChartColors, texts: readonly string[]): Data[] {
  const grey = c.muted;
  const pick = (kind: ProjectionPoint['kind']) => {
    const idx: number[] = [];
    points.forEach((p, i) => p.kind === kind && idx.push(i));
    return idx;
  };
  const links = queryLinks(points, x, y);
  const linkTrace: Data = {
    type: 'scatter' as const,
    mode: 'lines' as const,
    name: 'query → relevant',
    x: links.x,
    y: links.y,
    hoverinfo: 'skip' as const,
    line: { width: 0.8, color: grey },
    opacity: 0.6,
  };
  return [linkTrace, ...(['document', 'query'] as const).map((kind) => {
    const idx = pick(kind);
    return {
      type: 'scatter' as const,
      mode: 'markers' as const,
      name: kind === 'query' ? 'queries' : 'documents',
      x: idx.map((i) => x[i]),
      y: idx.map((i) => y[i]),
      text: idx.map((i) => texts[i]),
      hovertemplate: '%{text}<extra></extra>',
      marker: {
        size: kind === 'query' ? 9 : 6,
        symbol: kind === 'query' ? 'diamond' : 'circle',
        color: idx.map((i) => groupColor(points[i].group, GROUP_PALETTE, grey)),
        opacity: kind === 'query' ? 0.95 : 0.7,
        line: kind === 'query' ? { width: 1, color: c.fg } : { width: 0 },
      },
    };
  })];
}

function mapLayout(c: ChartColors, title: string, bounds: Bounds) {
  const axis = { range: bounds.x, showticklabels: false, zeroline: false, showgrid: false, fixedrange: false };
  return themedLayout(c, MAP_HEIGHT, {
    title: { text: title, font: { size: 12, color: c.fg }, x: 0, xanchor: 'left' },
    margin: { l: 8, r: 8, t: 28, b: 30 },
    xaxis: axis,
    yaxis: { ...axis, range: bounds.y },
    showlegend: true,
    // Under the plot: Plotly's toolbar sits top right, where a legend there would be covered.
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.02, yanchor: 'top', font: { color: c.fg } },
  });
}

/** One map at interpolation t (0 = base coords, 1 = fine-tuned coords) in the shared frame. */
function UmapPlot({ points, bounds, texts, t, title, testId, minIntervalMs }: {
  points: readonly ProjectionPoint[]; bounds: Bounds; texts: readonly string[]; t: number; title: string; testId: string; minIntervalMs?: number;
}) {
  const figure = useCallback(
    (c: ChartColors) => {
      const { x, y } = interpolate(points, t);
      return { data: traces(points, x, y, c, texts), layout: mapLayout(c, title, bounds) };
    },
    [points, bounds, texts, t, title],
  );
  return <PlotlyChart figure={figure} height={MAP_HEIGHT} testId={testId} label={`${title}: ${points.length} points`} minIntervalMs={minIntervalMs} />;
}

/** Base and fine-tuned maps (UMAP, t-SNE or PCA) side by side, and a morph between them with a slider and Play. */
export function ProjectionMaps({ points, method = 'umap' }: { points: readonly ProjectionPoint[]; method?: MapMethod }) {
  const bounds = useMemo(() => sharedBounds(points), [points]);
  const texts = useMemo(() => points.map((p) => hoverText(p)), [points]);
  const [t, setT] = useState(0);
  const [playing, setPlaying] = useState(false);
  const frame = useRef<number | null>(null);

  useEffect(() => {
    if (!playing) return;
    // From wherever the slider is to 1, eased, in a time proportional to the distance left.
    const from = t >= 1 ? 0 : t;
    const duration = Math.max(1, (1 - from) * PLAY_MS);
    const start = performance.now();
    const tick = (now: number) => {
      const u = Math.min(1, (now - start) / duration);
      setT(from + (1 - from) * easeInOut(u));
      if (u < 1) frame.current = requestAnimationFrame(tick);
      else setPlaying(false);
    };
    frame.current = requestAnimationFrame(tick);
    return () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
    // Start from the slider's value when Play is pressed; t then follows the animation.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [playing]);

  const groups = new Set(points.filter((p) => p.group >= 0).map((p) => p.group)).size;
  return (
    <section className="projection" aria-labelledby="projection-title">
      <h3 id="projection-title">Embedding maps ({MAP_LABELS[method]}, one shared frame)</h3>
      <p className="muted small">
        Diamonds are eval queries, dots documents; a line joins each query to its relevant document, and a query and its documents share a colour
        {` (${groups} groups in ${Math.min(groups, GROUP_PALETTE.length)} colours, repeating)`}; other documents are grey.
      </p>
      <div className="grid-2">
        <UmapPlot points={points} bounds={bounds} texts={texts} t={0} title="Base model" testId={`${method}-before`} />
        <UmapPlot points={points} bounds={bounds} texts={texts} t={1} title="Fine-tuned" testId={`${method}-after`} />
      </div>
      <div className="row morph-controls">
        <button type="button" onClick={() => setPlaying((p) => !p)} data-testid="umap-play" aria-pressed={playing}>
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <label htmlFor="umap-t">Base</label>
        <input
          id="umap-t"
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={t}
          onChange={(e) => {
            setPlaying(false);
            setT(Number(e.target.value));
          }}
          aria-valuetext={`${Math.round(t * 100)}% of the way to the fine-tuned map`}
          data-testid="umap-slider"
        />
        <label htmlFor="umap-t">Fine-tuned</label>
        <span className="muted small num">{t.toFixed(2)}</span>
      </div>
      <UmapPlot points={points} bounds={bounds} texts={texts} t={t} title="Morph: base → fine-tuned" testId={`${method}-morph`} minIntervalMs={33} />
    </section>
  );
}
