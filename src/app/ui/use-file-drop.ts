import { type DragEvent, useCallback, useRef, useState } from 'react';

/** True when a drag carries files (not text or a link dragged from the page). */
export function dragHasFiles(dt: DataTransfer | null): boolean {
  return !!dt && Array.from(dt.types ?? []).includes('Files');
}

export interface FileDropHandlers {
  onDragEnter(e: DragEvent<HTMLElement>): void;
  onDragOver(e: DragEvent<HTMLElement>): void;
  onDragLeave(e: DragEvent<HTMLElement>): void;
  onDrop(e: DragEvent<HTMLElement>): void;
}

/**
 * Drag-and-drop of files onto any element: spread `handlers` on it and style it by `active`.
 * Enter/leave are counted because they fire for every child the pointer crosses.
 * `onDrop` receives the DataTransfer too, for folder drops (see `droppedFiles`).
 */
export function useFileDrop(onDrop: (files: File[], dt: DataTransfer) => void, disabled = false): { active: boolean; handlers: FileDropHandlers } {
  const [active, setActive] = useState(false);
  const depth = useRef(0);
  const onDropRef = useRef(onDrop);
  onDropRef.current = onDrop;

  const onDragEnter = useCallback((e: DragEvent<HTMLElement>) => {
    if (!dragHasFiles(e.dataTransfer)) return;
    e.preventDefault();
    depth.current += 1;
    if (!disabled) setActive(true);
  }, [disabled]);
  const onDragOver = useCallback((e: DragEvent<HTMLElement>) => {
    if (!dragHasFiles(e.dataTransfer)) return;
    // Without preventDefault the browser refuses the drop (and would open the file instead).
    e.preventDefault();
    e.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
  }, [disabled]);
  const onDragLeave = useCallback((e: DragEvent<HTMLElement>) => {
    if (!dragHasFiles(e.dataTransfer)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setActive(false);
  }, []);
  const onDropEvent = useCallback((e: DragEvent<HTMLElement>) => {
    e.preventDefault();
    depth.current = 0;
    setActive(false);
    if (disabled) return;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0 || (e.dataTransfer?.items?.length ?? 0) > 0) onDropRef.current(files, e.dataTransfer);
  }, [disabled]);

  return { active, handlers: { onDragEnter, onDragOver, onDragLeave, onDrop: onDropEvent } };
}

/** A dropped file with its path inside what was dropped ("folder/sub/file.json" for folders). */
export interface DroppedFile {
  readonly path: string;
  readonly file: File;
}

/**
 * Every file in a drop, walking into dropped folders (Chromium/WebKit/Firefox `webkitGetAsEntry`).
 * Must be called synchronously inside the drop handler: the entries die with the event.
 */
export function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) return Promise.resolve(Array.from(dt.files ?? []).map((file) => ({ path: file.name, file })));
  return Promise.all(entries.map((e) => walk(e, ''))).then((lists) => lists.flat());
}

async function walk(entry: FileSystemEntry, prefix: string): Promise<DroppedFile[]> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  if (!entry.isDirectory) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  const lists = await Promise.all(children.map((c) => walk(c, path)));
  return lists.flat();
}
