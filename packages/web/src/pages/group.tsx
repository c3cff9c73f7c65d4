import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Job, Page, TaskGroup } from '../types';
import { Empty, ErrorBox, Header, Link, useLoad } from '../ui';
import { GroupAccessPanel } from './group-access';

function TriggerOnce({
  job,
  allowed,
  onDone,
}: {
  job: Job;
  allowed: boolean;
  onDone: (message: string, executionId?: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [param, setParam] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  if (!open) {
    return (
      <button
        type="button"
        onClick={() => setOpen(true)}
        disabled={!allowed || job.status !== 'enabled'}
        title={allowed ? undefined : 'Needs the editor role'}
      >
        Trigger once
      </button>
    );
  }
  const fire = (event: Event): void => {
    event.preventDefault();
    api<{ executionId: string }>(
      'POST',
      `/jobs/${job.id}/trigger`,
      param === '' ? {} : { param },
    ).then((answer) => {
      setOpen(false);
      setParam('');
      onDone(`Triggered job ${job.id}.`, answer.executionId);
    }, setError);
  };
  return (
    <form class="trigger" onSubmit={fire}>
      <input
        name="param"
        autoFocus
        placeholder={`Parameter (default: ${job.param ?? 'none'})`}
        value={param}
        onInput={(e) => setParam(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      />
      <button type="submit">Run now</button>
      <button type="button" class="link" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

/** One task group: its jobs (search, enable/disable, trigger once), members and client tokens. */
export function GroupPage({ groupId }: { groupId: string }) {
  const group = useLoad(() => api<TaskGroup>('GET', `/groups/${groupId}`), [groupId]);
  const jobs = useLoad(
    () => api<Page<Job>>('GET', `/jobs?groupId=${encodeURIComponent(groupId)}`),
    [groupId],
  );
  const [search, setSearch] = useState('');
  const [message, setMessage] = useState<{ text: string; executionId?: string } | undefined>(
    undefined,
  );
  const [error, setError] = useState<unknown>(undefined);
  const setStatus = (job: Job, verb: 'enable' | 'disable'): void => {
    setError(undefined);
    api('POST', `/jobs/${job.id}/${verb}`).then(() => {
      setMessage({ text: `Job ${job.id} ${verb}d.` });
      jobs.reload();
    }, setError);
  };
  // The API decides; the page only leaves out what the caller's role cannot do. Admins have
  // no role on a group unless granted one, and may do everything.
  const role = group.data?.role ?? null;
  const canEdit = role === null || role === 'editor' || role === 'owner';
  const needle = search.trim().toLowerCase();
  const shown = (jobs.data?.items ?? []).filter(
    (j) =>
      needle === '' ||
      String(j.id) === needle ||
      j.name.toLowerCase().includes(needle) ||
      j.handler.toLowerCase().includes(needle),
  );
  return (
    <>
      <Header
        title={
          <>
            {group.data?.name ?? 'Task group'} <code class="group-id">{groupId}</code>
          </>
        }
      >
        {canEdit ? (
          <Link class="button" href={`/groups/${groupId}/jobs/new`}>
            New job
          </Link>
        ) : (
          <span class="badge" title="Viewers see the group but cannot change it">
            {role}: read only
          </span>
        )}
        <Link class="button secondary" href={`/executions?groupId=${groupId}`}>
          Executions
        </Link>
      </Header>
      <ErrorBox error={group.error} />
      {message !== undefined ? (
        <div class="notice" role="status">
          {message.text}{' '}
          {message.executionId === undefined ? null : (
            <Link href={`/executions/${message.executionId}`}>Follow the execution</Link>
          )}
        </div>
      ) : null}
      <ErrorBox error={error} />
      <section>
        <h2>Jobs</h2>
        <input
          type="search"
          placeholder="Search jobs by name, handler or id (press /)"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <ErrorBox error={jobs.error} />
        {shown.length === 0 && !jobs.loading ? (
          <Empty>
            {needle === '' ? (
              <>
                No jobs in this group yet.{' '}
                <Link href={`/groups/${groupId}/jobs/new`}>Create the first one</Link>; a client of
                this group that registers its handler will run it.
              </>
            ) : (
              <>No job matches “{search}”.</>
            )}
          </Empty>
        ) : (
          <table class="jobs">
            <thead>
              <tr>
                <th>Id</th>
                <th>Name</th>
                <th>Trigger</th>
                <th>Handler</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((job) => (
                <tr key={job.id} data-job-id={job.id}>
                  <td>{job.id}</td>
                  <td>
                    <Link href={`/groups/${groupId}/jobs/${job.id}`}>{job.name}</Link>
                  </td>
                  <td>
                    {job.trigger.type === 'cron' ? (
                      <code title={job.trigger.timeZone}>{job.trigger.cron}</code>
                    ) : (
                      'API'
                    )}
                  </td>
                  <td>
                    <code>{job.handler}</code>
                  </td>
                  <td>
                    <span class={`badge status-${job.status}`}>{job.status}</span>
                  </td>
                  <td class="row-actions">
                    <TriggerOnce
                      job={job}
                      allowed={canEdit}
                      onDone={(text, executionId) => {
                        setMessage(executionId === undefined ? { text } : { text, executionId });
                        jobs.reload();
                      }}
                    />
                    {job.status === 'enabled' ? (
                      <button
                        type="button"
                        class="secondary"
                        disabled={!canEdit}
                        onClick={() => setStatus(job, 'disable')}
                      >
                        Disable
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="secondary"
                        disabled={!canEdit}
                        onClick={() => setStatus(job, 'enable')}
                      >
                        Enable
                      </button>
                    )}
                    <Link href={`/executions?jobId=${job.id}`}>Executions</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <GroupAccessPanel groupId={groupId} />
    </>
  );
}
