import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Page, User } from '../types';
import { ErrorBox, Header, useLoad, when } from '../ui';

interface SessionRow {
  id: number;
  userId: number;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  address: string;
  userAgent: string;
  current: boolean;
}

/** Users (admins only) and every active session, with a way to end one. */
export function UsersPage() {
  const users = useLoad(() => api<Page<User>>('GET', '/users'), []);
  const sessions = useLoad(() => api<Page<SessionRow>>('GET', '/auth/sessions?all=true'), []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const names = new Map((users.data?.items ?? []).map((u) => [u.id, u.username]));
  return (
    <>
      <Header title="Users" />
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          api('POST', '/users', { username, password, isAdmin }).then(() => {
            setUsername('');
            setPassword('');
            users.reload();
          }, setError);
        }}
      >
        <input
          name="newUsername"
          required
          placeholder="Username"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <input
          name="newPassword"
          type="password"
          required
          minLength={8}
          placeholder="Password (8+ characters)"
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <label class="radio">
          <input
            type="checkbox"
            checked={isAdmin}
            onChange={(e) => setIsAdmin(e.currentTarget.checked)}
          />{' '}
          admin
        </label>
        <button type="submit">Add user</button>
      </form>
      <ErrorBox error={error ?? users.error} />
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>Username</th>
            <th>Role</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {(users.data?.items ?? []).map((u) => (
            <tr key={u.id}>
              <td>{u.id}</td>
              <td>{u.username}</td>
              <td>{u.isAdmin ? 'admin' : 'user (rights per task group)'}</td>
              <td>{when(u.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <section>
        <h2>Active sessions</h2>
        <ErrorBox error={sessions.error} />
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Signed in</th>
              <th>Last seen</th>
              <th>Ends</th>
              <th>From</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(sessions.data?.items ?? []).map((s) => (
              <tr key={s.id}>
                <td>{names.get(s.userId) ?? s.userId}</td>
                <td>{when(s.createdAt)}</td>
                <td>{when(s.lastSeenAt)}</td>
                <td>{when(s.expiresAt)}</td>
                <td title={s.userAgent}>{s.address}</td>
                <td>
                  {s.current ? (
                    <span class="muted">this one</span>
                  ) : (
                    <button
                      type="button"
                      class="link"
                      onClick={() => {
                        api('DELETE', `/auth/sessions/${s.id}`).then(sessions.reload, setError);
                      }}
                    >
                      End
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
