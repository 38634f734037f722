import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client.js";

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  /** True only while nothing has been shown yet (polls refresh in place, without a spinner). */
  loading: boolean;
  reload: () => Promise<void>;
}

export function toApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError("unexpected_response", "Algo deu errado na página. Atualize e tente novamente.");
}

/**
 * Loads `load()` when `key` changes and, with `pollMs`, again every `pollMs` while mounted. A response that
 * arrives after a newer request started is dropped, so a slow poll never overwrites fresh data.
 */
export function useResource<T>(
  load: () => Promise<T>,
  key: string,
  pollMs: number | null = null,
): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const value = await loadRef.current();
      if (mine !== seq.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine !== seq.current) return;
      setError(toApiError(err));
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: key is the reload trigger by design
  useEffect(() => {
    setLoading(true);
    void reload();
    return () => {
      // Invalidate in-flight responses of the previous key/unmounted component.
      seq.current++;
    };
  }, [key, reload]);

  useEffect(() => {
    if (pollMs === null) return;
    const timer = setInterval(() => void reload(), pollMs);
    return () => clearInterval(timer);
  }, [pollMs, reload]);

  return { data, error, loading, reload };
}
