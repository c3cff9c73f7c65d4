import { useState } from 'preact/hooks';
import { api } from '../api';
import { navigate } from '../router';
import type { Page, TaskGroup } from '../types';
import { Empty, ErrorBox, Header, Link, useLoad, when } from '../ui';

/** Task groups the user may see, and a form to create one. */
export function GroupsPage() {
  const groups = useLoad(() => api<Page<TaskGroup>>('GET', '/groups'), []);
  const [name, setName] = useState('');
  const [backups, setBackups] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<TaskGroup | undefined>(undefined);
  const create = (event: Event): void => {
    event.preventDefault();
    setError(undefined);
    api<TaskGroup>('POST', '/groups', {
      name,
      ...(backups === '' ? {} : { backups: Number(backups) }),
    }).then((group) => {
      setCreated(group);
      setName('');
      groups.reload();
    }, setError);
  };
  const items = groups.data?.items ?? [];
  return (
    <>
      <Header title="Task groups" />
      <form class="inline-form" onSubmit={create} aria-label="New task group">
        <input
          name="groupName"
          placeholder="New group name, e.g. billing"
          required
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <input
          name="backups"
          type="number"
          min={1}
          placeholder="Backups (default)"
          title="How many servers hold each job of the group"
          value={backups}
          onInput={(e) => setBackups(e.currentTarget.value)}
        />
        <button type="submit">Create group</button>
      </form>
      <ErrorBox error={error} />
      {created !== undefined ? (
        <div class="notice" role="status">
          Created task group <code class="group-id">{created.id}</code> (cluster {created.cluster},
          ServerGroup {created.serverGroup}, {created.backups} backups, number {created.number}).{' '}
          <Link href={`/groups/${created.id}`}>Open it</Link>
        </div>
      ) : null}
      <ErrorBox error={groups.error} />
      {items.length === 0 && !groups.loading ? (
        <Empty>
          No task groups yet. Every job belongs to one: create a group above, then add its jobs and
          a client token for the processes that run them.
        </Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Id</th>
              <th>Name</th>
              <th>ServerGroup</th>
              <th>Backups</th>
              <th>Your role</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <tr key={g.id} class="clickable" onClick={() => navigate(`/groups/${g.id}`)}>
                <td>
                  <Link href={`/groups/${g.id}`}>
                    <code>{g.id}</code>
                  </Link>
                </td>
                <td>{g.name}</td>
                <td>{g.serverGroup}</td>
                <td>{g.backups}</td>
                <td>{g.role ?? '—'}</td>
                <td>{when(g.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
