import type { ComponentChildren } from 'preact';
import type { ConsoleState } from './main';
import { navigate } from './router';

/** Header (organization switcher, navigation, sign out) around every signed-in page. */
export function Shell({
  state,
  path,
  children,
}: {
  state: ConsoleState;
  path: string;
  children: ComponentChildren;
}) {
  const { organizations, organization, user } = state;
  const current = (href: string) =>
    (href === '/dashboard' ? path === href || path.startsWith('/dashboard/verifications') : path === href)
      ? 'page'
      : undefined;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/dashboard">
          Trustplane <span>KYC</span>
        </a>
        {organizations.length > 0 ? (
          <div class="org-switcher">
            <label for="organization">Organization</label>
            <select
              id="organization"
              value={organization?.id ?? ''}
              onChange={(event) => {
                const id = (event.target as HTMLSelectElement).value;
                state.selectOrganization(id);
                if (path.startsWith('/dashboard/verifications/')) navigate('/dashboard');
              }}
            >
              {organizations.map((org) => (
                <option key={org.id} value={org.id}>
                  {org.displayName}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <nav aria-label="Main">
          <ul>
            <li>
              <a href="/dashboard" aria-current={current('/dashboard')}>
                Verifications
              </a>
            </li>
            <li>
              <a href="/dashboard/keys" aria-current={current('/dashboard/keys')}>
                API keys
              </a>
            </li>
            <li>
              <a href="/dashboard/organizations/new" aria-current={current('/dashboard/organizations/new')}>
                New organization
              </a>
            </li>
          </ul>
        </nav>
        <div class="account">
          {user ? <span class="account-email">{user.email}</span> : null}
          <button type="button" class="button secondary" onClick={() => void state.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {children}
    </>
  );
}
