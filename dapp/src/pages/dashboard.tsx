// An exporter's or importer's dashboard: money per counterparty and asset, the next clocks to
// act on, what the escrow holds for them, and flags from documented rules with their events.
import { useEffect, useState } from 'preact/hooks';
import { addressOf, assetOf, type AssetInfo, type Session } from '../chain';
import { clocksOf, dealEvents, type DealEvent, dealIdsOf, eventId, loadDeals, type LoadedDeal } from '../deals';
import { type Flag, flagsOf, RULES } from '../flags';
import { call } from '../tx';
import { Countdown, Money, Name, StatusLine, useAction, useApp } from '../ui';

interface Row {
  counterparty: string;
  asset: AssetInfo;
  deals: number;
  locked: bigint;
  released: bigint;
  refunded: bigint;
}

/** Per counterparty and asset, over the deals where `me` is the buyer or the seller. */
export function figures(session: Session, me: string, deals: LoadedDeal[]): Row[] {
  const rows = new Map<string, Row>();
  for (const { view } of deals) {
    const buyer = addressOf(view.deal.buyer);
    const seller = addressOf(view.deal.seller);
    if (buyer !== me && seller !== me) continue;
    const counterparty = buyer === me ? seller : buyer;
    const asset = assetOf(session, view.deal.asset);
    const key = `${counterparty}|${asset.key}`;
    const row = rows.get(key) ?? { counterparty, asset, deals: 0, locked: 0n, released: 0n, refunded: 0n };
    row.deals += 1;
    row.locked += view.locked;
    row.released += view.deal.released;
    row.refunded += view.deal.refunded;
    rows.set(key, row);
  }
  return [...rows.values()];
}

export function DashboardPage() {
  const { session, account, revision } = useApp();
  const [deals, setDeals] = useState<LoadedDeal[]>();
  const [events, setEvents] = useState<Map<bigint, DealEvent[]>>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!account) return;
    setDeals(undefined);
    setEvents(undefined);
    (async () => {
      const loaded = await loadDeals(session, await dealIdsOf(session, account.address), true);
      setDeals(loaded);
      const all = await Promise.all(loaded.map((d) => dealEvents(session, d)));
      setEvents(new Map(loaded.map((d, n) => [d.view.id, all[n]])));
    })().catch((e) => setError(String(e)));
  }, [account?.address, revision]);
  if (!account) return <p>Choose an account to see its dashboard.</p>;
  if (error) return <p class="error">{error}</p>;
  if (!deals) return <p>Loading the dashboard of {account.name}…</p>;
  const rows = figures(session, account.address, deals);
  const clocks = deals
    .flatMap(clocksOf)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(0, 10);
  return (
    <div class="dashboard">
      <h2>Dashboard of {account.name}</h2>
      <section>
        <h3>Money per counterparty and asset</h3>
        <table data-testid="figures">
          <thead>
            <tr>
              <th>counterparty</th>
              <th>asset</th>
              <th>deals</th>
              <th>locked</th>
              <th>released (net of fee)</th>
              <th>refunded</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-testid="figure-row" data-counterparty={r.counterparty} data-asset={r.asset.symbol}>
                <td>
                  <Name address={r.counterparty} />
                </td>
                <td>{r.asset.symbol}</td>
                <td>{r.deals}</td>
                <td data-testid="locked">
                  <Money amount={r.locked} asset={r.asset} />
                </td>
                <td data-testid="released">
                  <Money amount={r.released} asset={r.asset} />
                </td>
                <td data-testid="refunded">
                  <Money amount={r.refunded} asset={r.asset} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Next clocks</h3>
        {clocks.length === 0 ? (
          <p>No clock is running.</p>
        ) : (
          <ul class="clocks" data-testid="next-clocks">
            {clocks.map((c) => (
              <li>
                <a href={`#/deal/${c.deal}`}>deal {String(c.deal)}</a>: <strong>{c.label}</strong>{' '}
                <Countdown at={c.at} /> <span class="hint">{c.meaning}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Claimable />
      <section>
        <h3>Flags</h3>
        {events === undefined ? (
          <p>Reading the deals' events…</p>
        ) : (
          <Flags flags={flagsOf({ address: account.address, deals, events })} />
        )}
        <details>
          <summary>The rules</summary>
          <dl>
            {Object.entries(RULES).map(([rule, text]) => (
              <>
                <dt>{rule}</dt>
                <dd>{text}</dd>
              </>
            ))}
          </dl>
        </details>
      </section>
    </div>
  );
}

function Flags({ flags }: { flags: Flag[] }) {
  if (!flags.length) return <p data-testid="no-flags">No rule fired.</p>;
  return (
    <ul class="flags" data-testid="flags">
      {flags.map((f) => (
        <li data-testid="flag" data-rule={f.rule}>
          <strong>{f.rule}</strong> in <a href={`#/deal/${f.deal}`}>deal {String(f.deal)}</a>: {f.finding}.{' '}
          <span class="hint">{RULES[f.rule]}</span> events:{' '}
          {f.events.map((e) => (
            <a class="event-link" href={`#/deal/${e.data.dealId}/event/${eventId(e)}`}>
              {e.name} #{e.block}{' '}
            </a>
          ))}
        </li>
      ))}
    </ul>
  );
}

/** What the escrow holds for the account (deferred payouts), per asset, with a withdraw. */
function Claimable() {
  const { session, account, revision } = useApp();
  const [amounts, setAmounts] = useState<{ asset: AssetInfo; amount: bigint }[]>();
  const [status, act] = useAction();
  useEffect(() => {
    if (!account) return;
    const me = account.address;
    (async () => {
      const native = await session.escrow.query.claimableOf(me, { caller: me });
      const tokens = await Promise.all(
        [...session.tokens.values()].map(async (t) => ({
          asset: t.info,
          amount: (await session.escrow.query.claimableTokensOf(me, t.info.key, { caller: me })).data,
        })),
      );
      setAmounts([{ asset: session.native, amount: native.data }, ...tokens].filter((a) => a.amount > 0n));
    })();
  }, [account?.address, revision]);
  if (!account || !amounts?.length) return null;
  const withdraw = (asset: AssetInfo) =>
    act('Withdraw: dry run', async () => {
      const [message, args] =
        asset.key === 'native' ? ['withdraw', []] : ['withdrawTokens', [asset.key, account.address]];
      const outcome = await call(session, account, session.escrow, message as string, args as unknown[]);
      return `Withdrawn in block #${outcome.block}`;
    });
  return (
    <section>
      <h3>Held for you</h3>
      <ul>
        {amounts.map(({ asset, amount }) => (
          <li>
            <Money amount={amount} asset={asset} /> <button onClick={() => withdraw(asset)}>Withdraw</button>
          </li>
        ))}
      </ul>
      <StatusLine status={status} />
    </section>
  );
}
