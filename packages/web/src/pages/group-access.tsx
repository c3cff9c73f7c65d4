import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Page } from '../types';
import { Empty, ErrorBox, useLoad } from '../ui';

interface Member {
  userId: number;
  username: string;
  role: string;
}

/** A group's members and their rights, and its client tokens. */
export function GroupAccessPanel({ groupId }: { groupId: string }) {
  const members = useLoad(() => api<Page<Member>>('GET', `/groups/${groupId}/members`), [groupId]);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState('viewer');
  const [tokenName, setTokenName] = useState('');
  const [secret, setSecret] = useState<{ id: number; token: string } | undefined>(undefined);
  const [revokeSecret, setRevokeSecret] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const act = (work: Promise<unknown>, message: string): void => {
    setError(undefined);
    setDone(undefined);
    work.then(() => {
      setDone(message);
      members.reload();
    }, setError);
  };
  return (
    <div class="columns">
      <section>
        <h2>Members</h2>
        <ErrorBox error={members.error} />
        {(members.data?.items ?? []).length === 0 && !members.loading ? (
          <Empty>No members: only admins see this group.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(members.data?.items ?? []).map((m) => (
                <tr key={m.userId}>
                  <td>
                    {m.username} <span class="muted">#{m.userId}</span>
                  </td>
                  <td>{m.role}</td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() =>
                        act(
                          api('DELETE', `/groups/${groupId}/members/${m.userId}`),
                          `Removed ${m.username}.`,
                        )
                      }
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            act(
              api('PUT', `/groups/${groupId}/members/${Number(userId)}`, { role }),
              `User ${userId} is now ${role}.`,
            );
          }}
        >
          <input
            name="memberUserId"
            type="number"
            min={1}
            required
            placeholder="User id"
            value={userId}
            onInput={(e) => setUserId(e.currentTarget.value)}
          />
          <select name="memberRole" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="viewer">viewer: sees</option>
            <option value="editor">editor: changes jobs</option>
            <option value="owner">owner: manages members</option>
          </select>
          <button type="submit">Grant</button>
        </form>
      </section>
      <section>
        <h2>Client tokens</h2>
        <p class="muted">
          Processes running this group's jobs send a client token to connect. Its secret is shown
          once.
        </p>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            api<{ id: number; token: string }>('POST', `/groups/${groupId}/tokens`, {
              name: tokenName,
            }).then((t) => {
              setSecret(t);
              setTokenName('');
            }, setError);
          }}
        >
          <input
            name="tokenName"
            placeholder="Label, e.g. billing workers"
            value={tokenName}
            onInput={(e) => setTokenName(e.currentTarget.value)}
          />
          <button type="submit">Create token</button>
        </form>
        {secret !== undefined ? (
          <div class="notice" role="status">
            Token #{secret.id}: <code class="secret">{secret.token}</code>
            <br />
            Copy it now; it will not be shown again.
          </div>
        ) : null}
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            act(
              api('POST', `/groups/${groupId}/tokens/revoke`, { token: revokeSecret.trim() }),
              'Token revoked: clients using it can no longer connect.',
            );
            setRevokeSecret('');
          }}
        >
          <input
            name="revokeToken"
            type="password"
            required
            autoComplete="off"
            placeholder="Token to revoke (its secret)"
            value={revokeSecret}
            onInput={(e) => setRevokeSecret(e.currentTarget.value)}
          />
          <button type="submit" class="secondary">
            Revoke
          </button>
        </form>
      </section>
      <ErrorBox error={error} />
      {done !== undefined ? <div class="notice">{done}</div> : null}
    </div>
  );
}
