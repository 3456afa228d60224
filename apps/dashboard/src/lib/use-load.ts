import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from './api';
import type { Page } from './types';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: T | ((previous: T | null) => T | null)) => void;
}

/** Runs `load` when `deps` change; `reload` re-runs it on demand (after a live message, say). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await load());
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, deps);
  useEffect(() => {
    setData(null);
    void reload();
  }, [reload]);
  return { data, error, loading, reload, setData: setData as Loaded<T>['setData'] };
}

/** "Older entries" for a cursor-paged list: fetches the page after the last one loaded and appends it. */
export function useMorePages<T>(
  loaded: Loaded<Page<T>>,
  fetchPage: (cursor: string) => Promise<Page<T>>,
): { loadMore: () => Promise<void>; error: string | null } {
  const [error, setError] = useState<string | null>(null);
  async function loadMore() {
    const cursor = loaded.data?.next_cursor;
    if (!cursor) return;
    setError(null);
    try {
      const page = await fetchPage(cursor);
      loaded.setData((prev) =>
        prev ? { data: [...prev.data, ...page.data], next_cursor: page.next_cursor } : page,
      );
    } catch (err) {
      setError(errorText(err));
    }
  }
  return { loadMore, error };
}
