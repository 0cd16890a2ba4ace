import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles.css';
import { exposeFaultInjection } from './worker-client.ts';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
exposeFaultInjection();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
