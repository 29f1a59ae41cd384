// Every term of a deal, and the acceptance, which binds to exactly the terms shown: the page
// hashes the terms it displays (the contract's own `terms_hash`) and accepts with that hash,
// which the contract checks against the proposal's.
import { useEffect, useState } from 'preact/hooks';
import { addressOf, type AssetInfo, formatAmount } from '../chain';
import type { LoadedDeal } from '../deals';
import type { EscrowTypesDealTermsLike } from '../generated/milestone-escrow';
import { call, deposit } from '../tx';
import { Countdown, DocumentHash, formatTime, Money, Name, StatusLine, useAction, useApp } from '../ui';

export function windowText(ms: bigint): string {
  const hours = Number(ms) / 3_600_000;
  return hours >= 48 ? `${hours / 24} days` : hours >= 1 ? `${hours} hours` : `${Number(ms) / 60_000} minutes`;
}

export function Terms({ deal, asset }: { deal: LoadedDeal; asset: AssetInfo }) {
  const { session } = useApp();
  const [feeBps, setFeeBps] = useState<number>();
  useEffect(() => {
    session.escrow.query.config({ caller: session.config.escrow }).then((c) => setFeeBps(c.data.feeBps));
  }, []);
  const d = deal.view.deal;
  return (
    <section class="terms" data-testid="terms">
      <h3>Terms</h3>
      <dl>
        <dt>seller (exporter)</dt>
        <dd data-testid="term-seller">
          <Name address={d.seller} />
        </dd>
        <dt>buyer (importer)</dt>
        <dd data-testid="term-buyer">
          <Name address={d.buyer} />
        </dd>
        <dt>proposed by</dt>
        <dd>the {d.proposer.toLowerCase()}</dd>
        <dt>funder</dt>
        <dd>{d.funder ? <Name address={d.funder} /> : 'the buyer'}</dd>
        <dt>asset</dt>
        <dd data-testid="term-asset">
          {asset.key === 'native' ? `${asset.symbol} (the chain's token)` : `${asset.symbol} (PSP22 ${asset.key})`}
        </dd>
        <dt>total</dt>
        <dd data-testid="term-total">
          <Money amount={d.total} asset={asset} />
        </dd>
        <dt>platform fee</dt>
        <dd>{feeBps === undefined ? '…' : `${feeBps / 100}% of each payout to the seller`}</dd>
        <dt>advance</dt>
        <dd>{d.advance ? 'milestone 0 is paid to the seller as soon as it is funded' : 'none'}</dd>
        <dt>funding deadline</dt>
        <dd>{d.status === 'Proposed' || d.status === 'Active' ? <Countdown at={d.fundBy} /> : formatTime(d.fundBy)}</dd>
        <dt>release rule</dt>
        <dd data-testid="term-rule">{RULE_TEXT[d.releaseRule]}</dd>
        <dt>oracles</dt>
        <dd>
          {d.oracles.length === 0
            ? 'none'
            : d.oracles.map((o, n) => (
                <span>
                  {n > 0 && ', '}
                  <Name address={o} />
                </span>
              ))}
          {d.oracles.length > 0 && `; ${d.oracleThreshold} of ${d.oracles.length} must attest`}
        </dd>
        <dt>arbiter</dt>
        <dd>{d.arbiter ? <Name address={d.arbiter} /> : 'none'}</dd>
        <dt>review window</dt>
        <dd>{windowText(d.reviewWindow)} after each submission; silence pays the seller</dd>
        <dt>arbitration window</dt>
        <dd>{windowText(d.arbitrationWindow)} after a dispute opens</dd>
        <dt>fallback split</dt>
        <dd>{d.fallbackSellerBps / 100}% to the seller if nobody settles or rules in time</dd>
        <dt>agreement document</dt>
        <dd>
          <DocumentHash hash={d.agreementHash} />
        </dd>
        <dt>terms hash</dt>
        <dd class="hash" data-testid="term-hash">
          {d.termsHash}
        </dd>
      </dl>
      <table class="milestone-terms">
        <thead>
          <tr>
            <th>milestone</th>
            <th>amount</th>
            <th>share</th>
            <th>ship-by</th>
            <th>condition document</th>
          </tr>
        </thead>
        <tbody>
          {deal.milestones.map((m) => (
            <tr data-testid="milestone-term">
              <td>{m.index}</td>
              <td>
                <Money amount={m.milestone.amount} asset={asset} />
              </td>
              <td>{formatAmount((m.milestone.amount * 10_000n) / d.total, 2)}%</td>
              <td>{m.milestone.outcome ? formatTime(m.milestone.shipBy) : <Countdown at={m.milestone.shipBy} />}</td>
              <td>
                <DocumentHash hash={m.milestone.termsHash} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const RULE_TEXT = {
  Buyer: 'the buyer approves each milestone',
  Oracles: 'the oracles attest each milestone (the buyer cannot release)',
  BuyerOrOracles: 'the buyer approves, or the oracles attest',
};

/** The terms as the contract hashes them, rebuilt from what the page shows. */
export function termsOf({ view, milestones }: LoadedDeal): EscrowTypesDealTermsLike {
  const d = view.deal;
  return {
    buyer: addressOf(d.buyer),
    seller: addressOf(d.seller),
    oracles: d.oracles.map(addressOf),
    oracleThreshold: d.oracleThreshold,
    arbiter: d.arbiter && addressOf(d.arbiter),
    releaseRule: d.releaseRule,
    reviewWindow: d.reviewWindow,
    arbitrationWindow: d.arbitrationWindow,
    fallbackSellerBps: d.fallbackSellerBps,
    advance: d.advance,
    agreementHash: d.agreementHash,
    funder: d.funder && addressOf(d.funder),
    fundBy: d.fundBy,
    asset: d.asset.type === 'Native' ? { type: 'Native' } : { type: 'Psp22', value: addressOf(d.asset.value) },
    milestones: milestones.map((m) => ({
      amount: m.milestone.amount,
      termsHash: m.milestone.termsHash,
      shipBy: m.milestone.shipBy,
    })),
  };
}

export function AcceptPanel({ deal, asset }: { deal: LoadedDeal; asset: AssetInfo }) {
  const { session, account } = useApp();
  const [shownHash, setShownHash] = useState<string>();
  const [fundAll, setFundAll] = useState(true);
  const [status, act] = useAction();
  const d = deal.view.deal;
  const me = account?.address;
  const role = me === addressOf(d.buyer) ? 'Buyer' : me === addressOf(d.seller) ? 'Seller' : undefined;
  const open = d.status === 'Proposed' && role !== undefined && role !== d.proposer;
  useEffect(() => {
    if (!open) return;
    session.escrow.query.termsHash(termsOf(deal), { caller: session.config.escrow }).then((r) => setShownHash(r.data));
  }, [open, deal]);
  if (!account) return null;
  // After an acceptance the deal is no longer proposed: its outcome stays in view.
  if (!open)
    return status.state === 'idle' ? null : (
      <section class="accept" data-testid="accept-panel">
        <StatusLine status={status} />
      </section>
    );
  const matches = shownHash === d.termsHash;
  const buyer = role === 'Buyer';
  const accept = () =>
    act('Accept: dry run', async () => {
      if (!matches) throw new Error('the terms shown do not hash to the proposal’s terms hash; not accepting');
      const value = buyer && fundAll && asset.key === 'native' ? d.total : 0n;
      const outcome = await call(session, account, session.escrow, 'accept', [deal.view.id, shownHash], value);
      if (buyer && fundAll && asset.key !== 'native') {
        const funded = await deposit(session, account, deal, d.total);
        return `Accepted in block #${outcome.block}, funded in block #${funded.block}`;
      }
      return `Accepted in block #${outcome.block}${value ? ' and funded' : ''}`;
    });
  return (
    <section class="accept" data-testid="accept-panel">
      <h3>Accept this proposal</h3>
      <p>
        Read every term below. Accepting signs the hash of exactly these terms:{' '}
        <code data-testid="accept-hash">{shownHash ?? '…'}</code>{' '}
        {shownHash &&
          (matches ? (
            <span class="ok">(matches the proposal)</span>
          ) : (
            <span class="error">(does NOT match the proposal: do not accept)</span>
          ))}
      </p>
      {buyer && (
        <label>
          <input
            type="checkbox"
            checked={fundAll}
            onChange={(e) => setFundAll((e.target as HTMLInputElement).checked)}
          />{' '}
          fund it all now (<Money amount={d.total} asset={asset} />
          {asset.key !== 'native' && ', with the token approval for exactly that amount: three signatures'})
        </label>
      )}
      <button data-testid="accept" onClick={accept} disabled={!matches || status.state === 'busy'}>
        Accept
      </button>
      <StatusLine status={status} />
    </section>
  );
}
