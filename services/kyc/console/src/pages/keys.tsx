import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, type ApiKey, type Organization } from '../api';
import { Badge, ErrorMessage, Field } from '../forms';
import { formatDate } from '../words';

interface MintedPair {
  publishable: { raw: string; summary: ApiKey };
  secret: { raw: string; summary: ApiKey };
}

/** API keys of the selected organization: list, mint a pair (shown once), revoke with confirmation. */
export function KeysPage({ organization }: { organization: Organization }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [environment, setEnvironment] = useState<'test' | 'live'>('test');
  const [label, setLabel] = useState('');
  const [minted, setMinted] = useState<MintedPair | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const base = `/api/dashboard/organizations/${organization.id}/api-keys`;

  const load = useCallback(async () => {
    try {
      setKeys((await api<{ keys: ApiKey[] }>('GET', base)).keys);
    } catch (caught) {
      setError(caught as ApiError);
    }
  }, [base]);
  useEffect(() => {
    document.title = `API keys · ${organization.displayName} · KYC console`;
    setKeys(null);
    setMinted(null);
    void load();
  }, [load, organization.displayName]);

  const mint = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const pair = await api<MintedPair>('POST', base, {
        environment,
        ...(label.trim() ? { label: label.trim() } : {}),
      });
      setMinted(pair);
      setLabel('');
      await load();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (key: ApiKey) => {
    setError(null);
    try {
      await api('DELETE', `${base}/${key.id}`);
      await load();
      setNotice(`The key ${key.keyPrefix}… is revoked: requests using it are now refused.`);
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setRevoking(null);
    }
  };

  return (
    <>
      <h1>API keys</h1>
      <p class="lead">
        Keys of <strong>{organization.displayName}</strong>. Your backend creates verifications with the
        secret key; the publishable key is safe to embed in your front end.
      </p>
      <ErrorMessage error={error} />
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      {minted ? <MintedKeys pair={minted} onDone={() => setMinted(null)} /> : null}
      <section class="panel">
        <h2>Create a key pair</h2>
        <form class="inline-form" onSubmit={mint}>
          <div class="field">
            <label for="environment">Environment</label>
            <select
              id="environment"
              value={environment}
              onChange={(e) => setEnvironment((e.target as HTMLSelectElement).value as 'test' | 'live')}
            >
              <option value="test">Test</option>
              <option value="live">Live</option>
            </select>
          </div>
          <Field
            label="Label"
            name="label"
            value={label}
            onInput={setLabel}
            maxLength={128}
            hint="For example backend-prod-2026."
          />
          <button class="button primary" type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create key pair'}
          </button>
        </form>
      </section>
      <section class="panel">
        <h2>Keys</h2>
        {keys === null ? (
          <p>Loading keys…</p>
        ) : keys.length === 0 ? (
          <p>No keys yet. Create a pair above to start creating verifications.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">API keys of {organization.displayName}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Type</th>
                  <th scope="col">Label</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => (
                  <tr key={key.id}>
                    <td>
                      <code>{key.keyPrefix}…</code>
                    </td>
                    <td>
                      {key.keyType === 'secret' ? 'Secret' : 'Publishable'} · {key.environment}
                    </td>
                    <td>{key.label ?? '—'}</td>
                    <td>{formatDate(key.createdAt)}</td>
                    <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'Never'}</td>
                    <td>
                      {key.revokedAt ? (
                        <Badge tone="muted">Revoked {formatDate(key.revokedAt)}</Badge>
                      ) : (
                        <button
                          type="button"
                          class="button danger small"
                          onClick={() => setRevoking(key)}
                          aria-label={`Revoke ${key.keyPrefix}…`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoking ? (
        <ConfirmRevoke
          apiKey={revoking}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke(revoking)}
        />
      ) : null}
    </>
  );
}

/** The raw pair, shown once: copy buttons, and gone when dismissed (nothing keeps it). */
function MintedKeys({ pair, onDone }: { pair: MintedPair; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="panel minted" aria-labelledby="minted-title">
      <h2 id="minted-title" ref={heading} tabIndex={-1}>
        Copy your new keys now
      </h2>
      <p>
        <strong>This is the only time the secret key is shown.</strong> Store it in your backend's secret
        manager; if it is lost, revoke it and create a new pair.
      </p>
      <CopyRow label="Secret key" value={pair.secret.raw} />
      <CopyRow label="Publishable key" value={pair.publishable.raw} />
      <button type="button" class="button primary" onClick={onDone}>
        I have stored the keys
      </button>
    </section>
  );
}

function CopyRow({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState('');
  const id = `copy-${label.replace(/\W/g, '').toLowerCase()}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(`${label} copied`);
    } catch {
      // No clipboard permission: select the text so Ctrl+C copies it.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
      setCopied('Press Ctrl+C (or ⌘C) to copy the selected key');
    }
  };
  return (
    <div class="copy-row">
      <label for={id}>{label}</label>
      <div class="copy-field">
        <input
          id={id}
          readOnly
          value={value}
          class="mono copy-input"
          data-key-kind={label}
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <button
          type="button"
          class="button secondary small"
          onClick={copy}
          aria-label={`Copy ${label.toLowerCase()}`}
        >
          Copy
        </button>
      </div>
      <span class="copied" role="status">
        {copied}
      </span>
    </div>
  );
}

function ConfirmRevoke({
  apiKey,
  onCancel,
  onConfirm,
}: {
  apiKey: ApiKey;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="revoke-title" onCancel={onCancel}>
      <h2 id="revoke-title">Revoke {apiKey.keyPrefix}…?</h2>
      <p>Every request using this {apiKey.keyType} key will be refused from now on. This cannot be undone.</p>
      <div class="actions">
        <button type="button" class="button secondary" onClick={onCancel}>
          Keep the key
        </button>
        <button type="button" class="button danger" onClick={onConfirm}>
          Revoke key
        </button>
      </div>
    </dialog>
  );
}
