import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CompareView } from './features/compare/CompareView.tsx';
import { DataPanel } from './features/data/DataPanel.tsx';
import { ExportPanel } from './features/export/ExportPanel.tsx';
import { MinePanel } from './features/mine/MinePanel.tsx';
import { ModelPanel } from './features/model/ModelPanel.tsx';
import { RagPanel } from './features/rag/RagPanel.tsx';
import { PlaygroundPanel } from './features/playground/PlaygroundPanel.tsx';
import { RestoreNotice } from './features/runs/RestoreNotice.tsx';
import { RunsPanel } from './features/runs/RunsPanel.tsx';
import { TrainPanel } from './features/train/TrainPanel.tsx';
import { checkpointWhenHidden } from './features/train/train-actions.ts';
import { BackendBadge } from './shell/BackendBadge.tsx';
import { JobBar } from './shell/JobBar.tsx';
import { startStudio } from './shell/shell-actions.ts';
import { panelBlocker } from './panel-blocker.ts';
import { type PanelId, useSession } from './session-store.ts';
import { useSettings } from './settings-store.ts';

const PANELS: { id: PanelId; title: string; needs: 'nothing' | 'model' | 'data' | 'trained' }[] = [
  { id: 'model', title: '1 Model', needs: 'nothing' },
  { id: 'data', title: '2 Data', needs: 'model' },
  { id: 'mine', title: 'Mine negatives', needs: 'data' },
  { id: 'playground', title: '3 Playground', needs: 'data' },
  { id: 'train', title: '4 Train', needs: 'data' },
  { id: 'compare', title: '5 Compare', needs: 'trained' },
  { id: 'rag', title: 'RAG check', needs: 'model' },
  { id: 'export', title: '6 Export', needs: 'model' },
  { id: 'runs', title: 'Runs', needs: 'nothing' },
];

export function App() {
  const theme = useSettings((s) => s.theme);
  const setTheme = useSettings((s) => s.setTheme);
  // Only what the shell shows: the whole store would re-render every panel on each job progress update.
  const { panel, setPanel, model, dataset, trained } = useSession(
    useShallow((s) => ({ panel: s.panel, setPanel: s.setPanel, model: s.model, dataset: s.dataset, trained: s.trained })),
  );

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => checkpointWhenHidden(), []);

  useEffect(() => startStudio(), []);

  const blocker = (needs: (typeof PANELS)[number]['needs']) => panelBlocker(needs, { model: model !== null, dataset, trained });

  return (
    <div className="app">
      <header className="app-header">
        <h1>Embedding Studio</h1>
        <span className="tagline">Fine-tune sentence embeddings on your machine. Your data never leaves it.</span>
        <BackendBadge />
        <button type="button" className="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label="Toggle light and dark theme">
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <nav className="steps" aria-label="Studio steps">
        {PANELS.map((p) => {
          const why = blocker(p.needs);
          return (
            <button
              key={p.id}
              type="button"
              className={p.id === panel ? 'step active' : 'step'}
              aria-current={p.id === panel ? 'page' : undefined}
              disabled={why !== null}
              title={why ?? undefined}
              data-blocker={why ?? undefined}
              onClick={() => setPanel(p.id)}
            >
              {p.title}
            </button>
          );
        })}
      </nav>
      {dataset && dataset.rows === 0 && (
        <p className="warn-text small step-blocker" role="status" data-testid="step-blocker">
          Playground and Train are off: {blocker('data')}
        </p>
      )}
      <JobBar />
      <RestoreNotice />
      <main className="panel" data-panel={panel}>
        {panel === 'model' && <ModelPanel />}
        {panel === 'data' && <DataPanel />}
        {panel === 'mine' && <MinePanel />}
        {panel === 'playground' && <PlaygroundPanel />}
        {panel === 'train' && <TrainPanel />}
        {panel === 'compare' && <CompareView />}
        {panel === 'rag' && <RagPanel />}
        {panel === 'export' && <ExportPanel />}
        {panel === 'runs' && <RunsPanel />}
      </main>
    </div>
  );
}
