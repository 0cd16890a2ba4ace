import { useId } from 'react';

interface QueryPickerProps {
  query: string;
  onChange(query: string): void;
  evalQueries: readonly string[];
}

/** A free-text query, plus the eval queries to pick from (their relevant documents are known). */
export function QueryPicker({ query, onChange, evalQueries }: QueryPickerProps) {
  const id = useId();
  const known = evalQueries.includes(query);
  return (
    <div className="query-picker">
      <div className="form-grid">
        <label htmlFor={`${id}-q`}>Query</label>
        <input
          id={`${id}-q`}
          type="search"
          className="wide"
          value={query}
          onChange={(e) => onChange(e.target.value)}
          list={`${id}-list`}
          placeholder="Type a query, or pick an eval query"
          aria-describedby={`${id}-hint`}
          data-testid="playground-query"
        />
        <datalist id={`${id}-list`}>
          {evalQueries.slice(0, 500).map((q) => (
            <option key={q} value={q} />
          ))}
        </datalist>
        <label htmlFor={`${id}-pick`}>Eval queries</label>
        <select id={`${id}-pick`} value={known ? query : ''} onChange={(e) => e.target.value && onChange(e.target.value)} disabled={evalQueries.length === 0}>
          <option value="">{evalQueries.length ? `— pick one of ${evalQueries.length} —` : '— none —'}</option>
          {evalQueries.map((q) => (
            <option key={q} value={q}>{q.length > 90 ? `${q.slice(0, 89)}…` : q}</option>
          ))}
        </select>
      </div>
      <small id={`${id}-hint`} className="muted hint-line">
        {query && !known ? 'Not an eval query: relevant documents are unknown, so none are marked.' : ''}
      </small>
    </div>
  );
}
