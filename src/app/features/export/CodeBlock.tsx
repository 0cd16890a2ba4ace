import { useState } from 'react';

/** A titled code block with a Copy button (the text stays selectable for keyboard users). */
export function CodeBlock({ title, code, testId }: { title: string; code: string; testId?: string }) {
  const [copied, setCopied] = useState<'idle' | 'ok' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard?.writeText(code).then(
      () => setCopied('ok'),
      () => setCopied('failed'),
    );
  };
  return (
    <figure className="code-block">
      <figcaption className="row">
        <span>{title}</span>
        <button type="button" className="ghost small-button" onClick={copy}>
          {copied === 'ok' ? 'Copied' : 'Copy'}
        </button>
        <span className="muted small" role="status">
          {copied === 'failed' ? 'Copy failed: select the text instead' : ''}
        </span>
      </figcaption>
      <pre tabIndex={0} data-testid={testId}>
        <code>{code}</code>
      </pre>
    </figure>
  );
}
