// Public surface of the Hub downloader. Import node-cache.ts directly for NodeFolderCache: it
// pulls in node:fs, which browser bundles must not see through this index.
export { hubFiles, type HubDownload, type HubModelFiles, type HubOptions, type HubProgress } from './hub-files.ts';
export { HubError, isHubError, type HubErrorKind } from './errors.ts';
export { MemoryHubCache, type HubCache, type HubCacheWriter, type OpenWriterOptions, type PartialDownload } from './cache.ts';
export { BrowserHubCache, BROWSER_CACHE_NAME } from './browser-cache.ts';
export { defaultHubCache } from './default-cache.ts';
export type { FileSource, HubFileResult } from './fetch-file.ts';
export { DEFAULT_HUB_ENDPOINT, DEFAULT_HUB_MODEL, DEFAULT_HUB_REVISION, resolveUrl, hubLocation, type HubLocation } from './location.ts';
