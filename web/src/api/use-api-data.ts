import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from './client.js';

/** A GET resource of the API, fetched when `path` changes, with `reload` for after a change. */
export interface ApiData<T> {
  /** The answer, undefined until it arrives (or after a change of `path`). */
  data: T | undefined;
  /** Why the last fetch failed, or ''. */
  error: string;
  /** Fetches again; resolves once the new data is in state. */
  reload: () => Promise<void>;
  /** Changes the data locally (an optimistic update until the next reload). */
  mutate: (change: (data: T) => T) => void;
}

interface Held<T> {
  path: string;
  data: T | undefined;
  error: string;
}

export function useApiData<T>(path: string): ApiData<T> {
  const [held, setHeld] = useState<Held<T>>({ path, data: undefined, error: '' });

  useEffect(() => {
    let current = true;
    api<T>('GET', path).then(
      (data) => {
        if (current) setHeld({ path, data, error: '' });
      },
      (err: unknown) => {
        if (current) setHeld((h) => ({ ...h, path, error: messageOf(err) }));
      },
    );
    return () => {
      current = false;
    };
  }, [path]);

  const reload = useCallback(async () => {
    try {
      const data = await api<T>('GET', path);
      setHeld({ path, data, error: '' });
    } catch (err) {
      setHeld((h) => ({ ...h, error: messageOf(err) }));
    }
  }, [path]);

  const mutate = useCallback((change: (data: T) => T) => {
    setHeld((h) => (h.data === undefined ? h : { ...h, data: change(h.data) }));
  }, []);

  return { data: held.path === path ? held.data : undefined, error: held.error, reload, mutate };
}
