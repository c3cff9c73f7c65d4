import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { onLink } from './router';

/** A link inside the app. */
export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={props.href} onClick={onLink} class={props.class}>
      {props.children}
    </a>
  );
}

/** An instant as local date and time with seconds. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration in ms as "850 ms", "12.4 s", "3 min 5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A state as a coloured badge. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state.replace('_', ' ')}</span>;
}

/** What went wrong, in words, with the API's code. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div class="error" role="alert">
      {message}
      {code !== undefined && code !== 'NETWORK' ? <small> ({code})</small> : null}
    </div>
  );
}

/** Shown where a list has nothing yet: what it is and what to do next. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** Loads data from the API, with a reload function; keeps the last data while reloading. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  refreshMs?: number,
): { data: T | undefined; error: unknown; reload: () => void; loading: boolean } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    load().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== generation.current) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, deps);
  useEffect(() => {
    reload();
    if (refreshMs === undefined) return undefined;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs]);
  return { data, error, reload, loading };
}

/** A page's title and its actions. */
export function Header(props: { title: ComponentChildren; children?: ComponentChildren }) {
  useEffect(() => {
    if (typeof props.title === 'string') document.title = `${props.title} · Carillon`;
  }, [props.title]);
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      <div class="actions">{props.children}</div>
    </header>
  );
}

/**
 * The two buttons under a paged table, labelled `back` and `forward` (with their arrows), and
 * the page number between them when `page` is given.
 */
export function Pager(props: {
  back: string;
  forward: string;
  page?: number;
  backDisabled: boolean;
  forwardDisabled: boolean;
  onBack: () => void;
  onForward: () => void;
}) {
  return (
    <div class="pager">
      <button type="button" class="secondary" disabled={props.backDisabled} onClick={props.onBack}>
        {props.back}
      </button>
      {props.page === undefined ? null : <span class="muted">Page {props.page}</span>}
      <button
        type="button"
        class="secondary"
        disabled={props.forwardDisabled}
        onClick={props.onForward}
      >
        {props.forward}
      </button>
    </div>
  );
}
