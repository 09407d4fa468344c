import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, onSignedOut, type Organization, type User } from './api';
import { AuthPage } from './pages/auth';
import { CreateOrganizationPage } from './pages/create-organization';
import { DetailPage } from './pages/detail';
import { KeysPage } from './pages/keys';
import { VerificationsPage } from './pages/verifications';
import { navigate, onLinkClick, useLocation } from './router';
import { Shell } from './shell';

const ORG_KEY = 'kyc-console.organization';
const USER_KEY = 'kyc-console.user';

export interface ConsoleState {
  user: User | null;
  organizations: Organization[];
  organization: Organization | null;
  selectOrganization(id: string): void;
  reloadOrganizations(select?: string): Promise<void>;
  signedIn(user: User): Promise<void>;
  signOut(): Promise<void>;
}

function App() {
  const { path, query } = useLocation();
  // null: not known yet (the first /api/organizations answers whether the cookie is a session).
  const [signed, setSigned] = useState<boolean | null>(null);
  const [user, setUser] = useState<User | null>(() => {
    const stored = sessionStorage.getItem(USER_KEY);
    return stored ? (JSON.parse(stored) as User) : null;
  });
  const [organizations, setOrganizations] = useState<Organization[]>([]);
  const [organizationId, setOrganizationId] = useState<string | null>(() => localStorage.getItem(ORG_KEY));

  const reloadOrganizations = useCallback(async (select?: string) => {
    const { organizations } = await api<{ organizations: Organization[] }>('GET', '/api/organizations');
    setOrganizations(organizations);
    setSigned(true);
    if (select) {
      localStorage.setItem(ORG_KEY, select);
      setOrganizationId(select);
    }
  }, []);

  useEffect(() => {
    reloadOrganizations().catch(() => setSigned(false));
    return onSignedOut(() => setSigned(false));
  }, [reloadOrganizations]);

  const isAuthPage = path === '/login' || path === '/signup';
  useEffect(() => {
    if (signed === false && !isAuthPage)
      navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
    if (signed === true && isAuthPage) navigate(query.get('next') ?? '/dashboard', { replace: true });
  }, [signed, isAuthPage, path, query]);

  const organization = organizations.find((org) => org.id === organizationId) ?? organizations[0] ?? null;
  const state: ConsoleState = {
    user,
    organizations,
    organization,
    selectOrganization: (id) => {
      localStorage.setItem(ORG_KEY, id);
      setOrganizationId(id);
    },
    reloadOrganizations,
    signedIn: async (next) => {
      sessionStorage.setItem(USER_KEY, JSON.stringify(next));
      setUser(next);
      await reloadOrganizations();
    },
    signOut: async () => {
      await api('POST', '/api/auth/logout').catch(() => undefined);
      sessionStorage.removeItem(USER_KEY);
      setUser(null);
      setOrganizations([]);
      setSigned(false);
      navigate('/login', { replace: true });
    },
  };

  // The page title and focus follow navigation, so a screen reader hears where it landed.
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  if (signed === null) return <p class="loading">Loading…</p>;
  if (isAuthPage || !signed) {
    return (
      <main id="main" ref={main} tabIndex={-1} class="auth">
        {isAuthPage ? <AuthPage mode={path === '/signup' ? 'signup' : 'login'} state={state} /> : null}
      </main>
    );
  }

  let page = null;
  const detail = /^\/dashboard\/verifications\/([^/]+)$/.exec(path);
  if (path === '/dashboard/organizations/new' || !organization)
    page = <CreateOrganizationPage state={state} />;
  else if (path === '/dashboard/keys') page = <KeysPage organization={organization} />;
  else if (detail) page = <DetailPage sessionId={decodeURIComponent(detail[1]!)} />;
  else page = <VerificationsPage organization={organization} query={query} />;

  return (
    <Shell state={state} path={path}>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </Shell>
  );
}

const root = document.getElementById('app')!;
root.addEventListener('click', onLinkClick);
render(<App />, root);
