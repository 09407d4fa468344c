import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, type ListItem, type Organization } from '../api';
import { Badge, ErrorMessage } from '../forms';
import { navigate } from '../router';
import { CAPTURE_PHASE, DOCUMENT_TYPE, formatDate, LIVENESS_STATUS, RISK, REVIEW_STATUS } from '../words';

const PAGE_SIZE = 25;

/** Still moving: capture not finished, or a liveness recording being analysed. */
export const inProgress = (item: ListItem) =>
  item.session.capturePhase !== 'complete' ||
  (item.session.riskLabel === null && item.session.reviewStatus === 'pending') ||
  ['pending', 'validating', 'analyzing'].includes(item.latestLiveness?.status ?? '');

export const riskTone = (risk: string | null) =>
  risk === 'high' ? 'bad' : risk === 'medium' ? 'warn' : risk === 'low' ? 'good' : 'muted';
export const statusTone = (status: string) =>
  status === 'approved' ? 'good' : status === 'rejected' ? 'bad' : status === 'pending' ? 'info' : 'warn';

/** Verifications of the selected organization: filters, search, pages, live refresh. */
export function VerificationsPage({
  organization,
  query,
}: {
  organization: Organization;
  query: URLSearchParams;
}) {
  const status = query.get('status') ?? '';
  const risk = query.get('risk') ?? '';
  const search = query.get('q') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const [items, setItems] = useState<ListItem[] | null>(null);
  const [hasNext, setHasNext] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [searchText, setSearchText] = useState(search);
  const timer = useRef<number | undefined>(undefined);

  const setQuery = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ status, risk, q: search, page: String(page), ...changes });
    for (const [key, value] of [...next]) if (!value || (key === 'page' && value === '1')) next.delete(key);
    const text = next.toString();
    navigate(`/dashboard${text ? `?${text}` : ''}`);
  };

  useEffect(() => {
    document.title = `Verifications · ${organization.displayName} · KYC console`;
    let stopped = false;
    const params = new URLSearchParams({
      organizationId: organization.id,
      limit: String(PAGE_SIZE),
      offset: String((page - 1) * PAGE_SIZE),
    });
    if (status) params.set('reviewStatus', status);
    if (risk) params.set('riskLabel', risk);
    if (search) params.set('externalUserId', search);
    const load = async () => {
      let busy = false;
      try {
        const result = await api<{ items: ListItem[]; nextOffset: number | null }>(
          'GET',
          `/api/dashboard/verifications?${params}`,
        );
        if (stopped) return;
        setItems(result.items);
        setHasNext(result.nextOffset !== null);
        setUpdatedAt(new Date());
        setError(null);
        busy = result.items.some(inProgress);
      } catch (caught) {
        if (!stopped) setError(caught as ApiError);
      }
      // Live refresh: every 3 s while something on the page is being captured or analysed.
      if (!stopped) timer.current = window.setTimeout(load, busy ? 3000 : 15000);
    };
    setItems(null);
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [organization.id, organization.displayName, status, risk, search, page]);

  useEffect(() => setSearchText(search), [search]);

  return (
    <>
      <h1>Verifications</h1>
      <form
        class="filters"
        aria-label="Filter verifications"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery({ q: searchText.trim(), page: '1' });
        }}
      >
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(e) => setQuery({ status: (e.target as HTMLSelectElement).value, page: '1' })}
          >
            <option value="">All statuses</option>
            {Object.entries(REVIEW_STATUS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-risk">Risk</label>
          <select
            id="filter-risk"
            value={risk}
            onChange={(e) => setQuery({ risk: (e.target as HTMLSelectElement).value, page: '1' })}
          >
            <option value="">All risks</option>
            <option value="high">High</option>
            <option value="medium">Medium</option>
            <option value="low">Low</option>
            <option value="none">Not assessed yet</option>
          </select>
        </div>
        <div class="field grow">
          <label for="filter-search">External user ID</label>
          <input
            id="filter-search"
            type="search"
            value={searchText}
            onInput={(e) => setSearchText((e.target as HTMLInputElement).value)}
            placeholder="Search by your user ID"
          />
        </div>
        <button class="button secondary" type="submit">
          Search
        </button>
      </form>
      <ErrorMessage error={error} />
      <p class="live" aria-live="polite">
        {items === null
          ? 'Loading verifications…'
          : `${items.length} verification${items.length === 1 ? '' : 's'} on this page${updatedAt ? `, updated ${updatedAt.toLocaleTimeString('en-GB')}` : ''}`}
      </p>
      {items && items.length === 0 ? (
        <p class="empty">
          {status || risk || search
            ? 'No verification matches these filters.'
            : 'No verifications yet. Create one with your secret key: POST /api/verification/sessions.'}
        </p>
      ) : null}
      {items && items.length > 0 ? (
        <ul class="cards" aria-label="Verifications, newest first">
          {items.map((item) => (
            <li key={item.session.id} class="card" data-session-id={item.session.id}>
              <a class="card-link" href={`/dashboard/verifications/${item.session.id}`}>
                <span class="card-title">{item.session.externalUserId ?? 'No external user ID'}</span>
                <span class="visually-hidden">, </span>
                <span class="card-meta">
                  {item.session.documentType
                    ? (DOCUMENT_TYPE[item.session.documentType] ?? item.session.documentType)
                    : 'No document yet'}{' '}
                  · {formatDate(item.session.createdAt)}
                </span>
              </a>
              <div class="card-badges">
                <Badge tone={statusTone(item.session.reviewStatus)}>
                  {REVIEW_STATUS[item.session.reviewStatus] ?? item.session.reviewStatus}
                </Badge>
                <Badge tone={riskTone(item.session.riskLabel)}>
                  {item.session.riskLabel ? RISK[item.session.riskLabel] : 'Risk not assessed'}
                </Badge>
                {item.session.capturePhase !== 'complete' ? (
                  <Badge tone="info">
                    {CAPTURE_PHASE[item.session.capturePhase] ?? item.session.capturePhase}
                  </Badge>
                ) : null}
                {item.latestLiveness ? (
                  <Badge tone="muted">
                    Liveness: {LIVENESS_STATUS[item.latestLiveness.status] ?? item.latestLiveness.status}
                  </Badge>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          class="button secondary"
          disabled={page <= 1}
          onClick={() => setQuery({ page: String(page - 1) })}
        >
          Previous page
        </button>
        <span>Page {page}</span>
        <button
          type="button"
          class="button secondary"
          disabled={!hasNext}
          onClick={() => setQuery({ page: String(page + 1) })}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
