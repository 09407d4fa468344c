import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type Organization } from '../api';
import { ErrorMessage, Field } from '../forms';
import type { ConsoleState } from '../main';
import { navigate } from '../router';

/** Create an organization (the signed-in operator becomes its owner) and switch to it. */
export function CreateOrganizationPage({ state }: { state: ConsoleState }) {
  const [displayName, setDisplayName] = useState('');
  const [customerId, setCustomerId] = useState('');
  const [legalEmail, setLegalEmail] = useState('');
  const [legalCompanyName, setLegalCompanyName] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = state.organizations.length === 0;
  useEffect(() => {
    document.title = 'New organization · KYC console';
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!displayName.trim()) problems.displayName = 'Enter the name your users will see.';
    if (!customerId.trim()) problems.customerId = 'Enter a customer ID, for example acme-bank.';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(legalEmail))
      problems.legalEmail = 'Enter an email address like legal@company.com.';
    setFields(problems);
    if (Object.keys(problems).length) return setError('Some fields need attention.');
    setBusy(true);
    setError(null);
    try {
      const { organization } = await api<{ organization: Organization }>('POST', '/api/organizations', {
        displayName: displayName.trim(),
        customerId: customerId.trim(),
        legalEmail,
        ...(legalCompanyName.trim() ? { legalCompanyName: legalCompanyName.trim() } : {}),
      });
      await state.reloadOrganizations(organization.id);
      navigate('/dashboard/keys');
    } catch (caught) {
      const apiError = caught as ApiError;
      setError(apiError);
      if (apiError.code === 'CUSTOMER_ID_TAKEN') setFields({ customerId: 'Already taken.' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel narrow">
      <h1>{first ? 'Create your first organization' : 'New organization'}</h1>
      <p class="lead">
        An organization is a tenant: it has its own API keys and verifications. You become its owner.
      </p>
      <form onSubmit={submit} noValidate>
        <ErrorMessage error={error} />
        <Field
          label="Display name"
          name="displayName"
          value={displayName}
          onInput={setDisplayName}
          error={fields.displayName}
          hint="Shown to your users in the verification flow."
          required
          maxLength={200}
        />
        <Field
          label="Customer ID"
          name="customerId"
          value={customerId}
          onInput={setCustomerId}
          error={fields.customerId}
          hint="Your unique reference, for example acme-bank."
          required
          maxLength={255}
        />
        <Field
          label="Legal email"
          name="legalEmail"
          type="email"
          value={legalEmail}
          onInput={setLegalEmail}
          error={fields.legalEmail}
          required
          autoComplete="email"
        />
        <Field
          label="Legal company name"
          name="legalCompanyName"
          value={legalCompanyName}
          onInput={setLegalCompanyName}
          maxLength={500}
        />
        <button class="button primary" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create organization'}
        </button>
      </form>
    </section>
  );
}
