/** The map methods by name, apart from their libraries so the page can name them without loading them. */
export type MapMethod = 'umap' | 'tsne' | 'pca';

export const MAP_METHODS: readonly MapMethod[] = ['umap', 'tsne', 'pca'];

export const MAP_LABELS: Readonly<Record<MapMethod, string>> = { umap: 'UMAP', tsne: 't-SNE', pca: 'PCA' };
