import { useState } from 'preact/hooks';
import { api } from '../api';
import type { User } from '../types';
import { ErrorBox } from '../ui';

/** The sign-in form: starts a cookie session; the CSRF token stays in memory. */
export function SignInPage(props: { onSignedIn: (s: { user: User; csrfToken: string }) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event): void => {
    event.preventDefault();
    setBusy(true);
    api<{ user: User; csrfToken: string }>('POST', '/auth/login', {
      username,
      password,
      mode: 'cookie',
    }).then(
      (s) => props.onSignedIn(s),
      (failure: unknown) => {
        setError(failure);
        setBusy(false);
      },
    );
  };
  return (
    <div class="sign-in">
      <form onSubmit={submit}>
        <h1>Carillon</h1>
        <p class="muted">Sign in to the console.</p>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
