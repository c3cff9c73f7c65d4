import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken, whenSignedOut } from './api';
import { AuditPage } from './pages/audit';
import { ClusterPage } from './pages/cluster';
import { DashboardPage } from './pages/dashboard';
import { ExecutionPage } from './pages/execution';
import { ExecutionsPage } from './pages/executions';
import { GroupPage } from './pages/group';
import { GroupsPage } from './pages/groups';
import { JobFormPage } from './pages/job-form';
import { SignInPage } from './pages/sign-in';
import { UsersPage } from './pages/users';
import { navigate, useLocation } from './router';
import { Link } from './ui';
import type { User } from './types';
import './styles.css';

interface SessionInfo {
  user: User;
  csrfToken: string;
}

function route(path: string, user: User) {
  const parts = path.split('/').filter((p) => p !== '');
  const [first, second, third] = parts;
  if (first === undefined) return <DashboardPage />;
  if (first === 'groups' && second === undefined) return <GroupsPage />;
  if (first === 'groups' && second !== undefined && third === 'jobs') {
    return (
      <JobFormPage groupId={second} jobId={parts[3] === 'new' ? undefined : Number(parts[3])} />
    );
  }
  if (first === 'groups' && second !== undefined) return <GroupPage groupId={second} />;
  if (first === 'executions' && second === undefined) return <ExecutionsPage />;
  if (first === 'executions' && second !== undefined) return <ExecutionPage id={second} />;
  if (first === 'cluster') return <ClusterPage />;
  if (first === 'audit') return <AuditPage />;
  if (first === 'users' && user.isAdmin) return <UsersPage />;
  return (
    <div class="empty">
      There is no page at {path}. <Link href="/">Go to the dashboard</Link>.
    </div>
  );
}

const NAV: readonly [string, string, string][] = [
  ['/', 'Dashboard', 'd'],
  ['/groups', 'Task groups', 'g'],
  ['/executions', 'Executions', 'e'],
  ['/cluster', 'Servers & clients', 's'],
  ['/audit', 'Audit log', 'a'],
];

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const { path } = useLocation();

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(undefined);
      setSession(null);
    });
    api<SessionInfo>('GET', '/auth/session').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      },
      () => setSession(null),
    );
  }, []);

  // Keyboard: "g" then a letter goes to a page; "/" focuses the page's search field.
  useEffect(() => {
    let pending = false;
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      if (target !== null && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '/') {
        const search = document.querySelector<HTMLInputElement>('input[type=search]');
        if (search !== null) {
          event.preventDefault();
          search.focus();
        }
        return;
      }
      if (pending) {
        pending = false;
        const entry = NAV.find((n) => n[2] === event.key);
        if (entry !== undefined) navigate(entry[0]);
        else if (event.key === 'u') navigate('/users');
        return;
      }
      if (event.key === 'g') pending = true;
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  if (session === undefined) return <div class="loading">Loading…</div>;
  if (session === null) {
    return (
      <SignInPage
        onSignedIn={(s) => {
          setCsrfToken(s.csrfToken);
          setSession(s);
        }}
      />
    );
  }
  const signOut = (): void => {
    void api('POST', '/auth/logout').finally(() => {
      setCsrfToken(undefined);
      setSession(null);
      navigate('/');
    });
  };
  const nav = session.user.isAdmin
    ? [...NAV, ['/users', 'Users', 'u'] as [string, string, string]]
    : NAV;
  return (
    <div class="shell">
      <nav class="sidebar" aria-label="Main">
        <div class="brand">Carillon</div>
        {nav.map(([href, label, key]) => (
          <Link
            key={href}
            href={href}
            class={(href === '/' ? path === '/' : path.startsWith(href)) ? 'active' : ''}
          >
            {label}
            <kbd title={`g then ${key}`}>g {key}</kbd>
          </Link>
        ))}
        <div class="me">
          <span title="Signed in">{session.user.username}</span>
          {session.user.isAdmin ? <span class="badge">admin</span> : null}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main>{route(path, session.user)}</main>
    </div>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
