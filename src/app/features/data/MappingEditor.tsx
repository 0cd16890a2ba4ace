import { type FormEvent, useId, useState } from 'react';
import type { DatasetInfo } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { type Assignment, buildMapping, initialAssignment, ROLES, SHAPE_LABELS, SHAPES } from './data-selectors.ts';
import type { ColumnMapping, ShapeId } from '../../../worker/protocol.ts';

interface MappingEditorProps {
  info: DatasetInfo;
  disabled: boolean;
  onApply(mapping: ColumnMapping | undefined): void;
}

/** Choose the shape and which column feeds which role, then re-read the file with that mapping. */
export function MappingEditor({ info, disabled, onApply }: MappingEditorProps) {
  const id = useId();
  const [shape, setShape] = useState<ShapeId>(info.mapping?.shape ?? 'pairs');
  const [assignment, setAssignment] = useState<Assignment>(() => initialAssignment(info.mapping?.shape ?? 'pairs', info.columns, info.mapping));
  const [problem, setProblem] = useState<string | null>(null);

  const changeShape = (next: ShapeId) => {
    setShape(next);
    setAssignment(initialAssignment(next, info.columns, info.mapping));
    setProblem(null);
  };
  const set = (key: string, value: string | readonly string[]) => {
    setAssignment((a) => ({ ...a, [key]: value }));
    setProblem(null);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = buildMapping(shape, assignment, info.columns);
    if (!result.ok) {
      setProblem(result.problem);
      return;
    }
    onApply(result.mapping);
  };

  return (
    <form className="mapping-editor" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="mapping-editor">
      <h3 id={`${id}-title`}>Column mapping</h3>
      <div className="form-grid">
        <label htmlFor={`${id}-shape`}>Shape</label>
        <select id={`${id}-shape`} value={shape} onChange={(e) => changeShape(e.target.value as ShapeId)}>
          {SHAPES.map((s) => (
            <option key={s} value={s}>{SHAPE_LABELS[s]}</option>
          ))}
        </select>
        {ROLES[shape].map((role) =>
          role.multi ? (
            <fieldset key={`${shape}-${role.key}`} className="span-2 checks">
              <legend>{role.label}</legend>
              {info.columns.map((c) => {
                const list = (assignment[role.key] as readonly string[] | undefined) ?? [];
                return (
                  <label key={c} className="check">
                    <input
                      type="checkbox"
                      checked={list.includes(c)}
                      onChange={(e) => set(role.key, e.target.checked ? [...list, c] : list.filter((x) => x !== c))}
                    />
                    <code>{c}</code>
                  </label>
                );
              })}
            </fieldset>
          ) : (
            <RoleSelect
              key={`${shape}-${role.key}`}
              id={`${id}-${role.key}`}
              label={role.label}
              columns={info.columns}
              value={(assignment[role.key] as string | undefined) ?? ''}
              onChange={(v) => set(role.key, v)}
            />
          ),
        )}
      </div>
      <div className="row">
        <button type="submit" disabled={disabled || info.columns.length === 0}>Re-read with this mapping</button>
        <button type="button" className="ghost" disabled={disabled} onClick={() => onApply(undefined)}>Detect automatically</button>
      </div>
      <ErrorNote error={problem} />
    </form>
  );
}

function RoleSelect({ id, label, columns, value, onChange }: { id: string; label: string; columns: readonly string[]; value: string; onChange(v: string): void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">— choose a column —</option>
        {columns.map((c) => (
          <option key={c} value={c}>{c}</option>
        ))}
      </select>
    </>
  );
}
