// The connected account's deals, by role and status.
import { useEffect, useState } from 'preact/hooks';
import { addressOf, assetOf } from '../chain';
import { dealIdsOf, loadDeals, type LoadedDeal, type Role, rolesOf } from '../deals';
import { Money, Name, useApp } from '../ui';

const STATUSES = ['Proposed', 'Active', 'Closed', 'Cancelled', 'Withdrawn'] as const;

export function DealsPage() {
  const { session, account, revision } = useApp();
  const [deals, setDeals] = useState<LoadedDeal[]>();
  const [error, setError] = useState<string>();
  const [role, setRole] = useState<Role | ''>('');
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!account) return;
    setDeals(undefined);
    dealIdsOf(session, account.address)
      .then((ids) => loadDeals(session, ids))
      .then(setDeals)
      .catch((e) => setError(String(e)));
  }, [account?.address, revision]);
  useEffect(() => {
    // The first render of the list with its data: the figure docs/dapp.md reports.
    if (deals && !performance.getEntriesByName('deal-list-rendered').length) performance.mark('deal-list-rendered');
  }, [deals]);
  if (!account) return <p>Choose an account to see its deals.</p>;
  if (error) return <p class="error">{error}</p>;
  if (!deals) return <p>Loading the deals of {account.name}…</p>;
  const me = account.address;
  const shown = deals
    .filter((d) => !role || rolesOf(d, me).includes(role))
    .filter((d) => !status || d.view.deal.status === status)
    .reverse();
  return (
    <div>
      <h2>Deals of {account.name}</h2>
      <div class="filters">
        <label>
          role{' '}
          <select
            aria-label="role"
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}
          >
            <option value="">any</option>
            {(['seller', 'buyer', 'funder', 'oracle', 'arbiter', 'payee'] as const).map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          status{' '}
          <select aria-label="status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>{' '}
        <span data-testid="deal-count">
          {shown.length} of {deals.length} deals
        </span>
      </div>
      <table class="deals" data-testid="deal-list">
        <thead>
          <tr>
            <th>deal</th>
            <th>your role</th>
            <th>counterparty (or seller → buyer)</th>
            <th>status</th>
            <th>total</th>
            <th>locked</th>
            <th>released</th>
            <th>refunded</th>
            <th>milestones settled</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((d) => {
            const v = d.view;
            const asset = assetOf(session, v.deal.asset);
            const seller = addressOf(v.deal.seller);
            const buyer = addressOf(v.deal.buyer);
            return (
              <tr data-testid="deal-row" data-deal={String(v.id)}>
                <td>
                  <a href={`#/deal/${v.id}`}>#{String(v.id)}</a>
                </td>
                <td>{rolesOf(d, me).join(', ')}</td>
                <td>
                  {seller === me ? (
                    <Name address={buyer} />
                  ) : buyer === me ? (
                    <Name address={seller} />
                  ) : (
                    <span title="seller → buyer">
                      <Name address={seller} /> → <Name address={buyer} />
                    </span>
                  )}
                </td>
                <td>
                  <span class={`badge ${v.deal.status}`}>{v.deal.status}</span>
                </td>
                <td>
                  <Money amount={v.deal.total} asset={asset} />
                </td>
                <td>
                  <Money amount={v.locked} asset={asset} />
                </td>
                <td>
                  <Money amount={v.deal.released} asset={asset} />
                </td>
                <td>
                  <Money amount={v.deal.refunded} asset={asset} />
                </td>
                <td>
                  {v.deal.settledCount} / {v.deal.milestoneCount}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
