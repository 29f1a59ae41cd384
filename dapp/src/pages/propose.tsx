// Proposing a deal: a split helper, deadlines, oracles and threshold, arbiter, asset, documents
// hashed in the browser, and the terms hash shown before anything is signed.
import { useState } from 'preact/hooks';
import type { Account } from '../accounts';
import { type AssetInfo, formatMoney, parseAmount } from '../chain';
import { parseUtc, splitTotal } from '../money';
import type { EscrowTypesDealTermsLike, EscrowTypesReleaseRule } from '../generated/milestone-escrow';
import { call, dryRun, Refusal } from '../tx';
import { summary } from '../condition';
import { hashFile, hashTermsDocument, NO_DOCUMENT, type Status, StatusLine, useAction, useApp } from '../ui';

const DAY = 86_400_000;

function localInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export function ProposePage() {
  const { session, account, accounts } = useApp();
  const assets: AssetInfo[] = [session.native, ...[...session.tokens.values()].map((t) => t.info)];
  const now = Date.now();
  const [f, setF] = useState({
    role: 'seller' as 'seller' | 'buyer',
    counterparty: '',
    asset: 'native',
    total: '',
    split: '30,40,30',
    advance: true,
    fundBy: localInput(now + 14 * DAY),
    shipBy: [30, 60, 90].map((d) => localInput(now + d * DAY)),
    oracles: '',
    threshold: '1',
    rule: 'Buyer' as EscrowTypesReleaseRule,
    arbiter: '',
    funder: '',
    reviewHours: '72',
    arbitrationDays: '14',
    fallbackPercent: '50',
  });
  const [docs, setDocs] = useState<Record<string, `0x${string}`>>({});
  const [conditions, setConditions] = useState<Record<string, string>>({});
  const [review, setReview] = useState<{ terms: EscrowTypesDealTermsLike; hash: string; amounts: bigint[] }>();
  const [checked, setChecked] = useState<Status>({ state: 'idle' });
  const [status, act] = useAction();
  if (!account) return <p>Choose an account to propose a deal.</p>;
  const asset = assets.find((a) => a.key === f.asset)!;
  const percents = f.split.split(',').map((p) => Number(p.trim()));
  const set = (patch: Partial<typeof f>) => {
    setReview(undefined);
    setF({ ...f, ...patch });
  };
  const setSplit = (split: string) => {
    const n = split.split(',').length;
    const shipBy = Array.from({ length: n }, (_, i) => f.shipBy[i] ?? localInput(now + 30 * (i + 1) * DAY));
    set({ split, shipBy });
  };
  const resolve = (text: string, what: string): string => {
    const t = text.trim();
    const known = accounts.find((a) => a.name.toLowerCase() === t.toLowerCase() || a.address === t);
    if (known) return known.address;
    if (/^[1-9A-HJ-NP-Za-km-z]{46,48}$/.test(t)) return t;
    throw new Error(`${what}: "${text}" is neither an address nor a known account's name`);
  };
  const list = (text: string, what: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => resolve(s, what));

  const build = (): { terms: EscrowTypesDealTermsLike; amounts: bigint[] } => {
    const other = resolve(f.counterparty, 'counterparty');
    const amounts = splitTotal(parseAmount(f.total, asset.decimals), percents);
    const oracles = list(f.oracles, 'oracles');
    const terms: EscrowTypesDealTermsLike = {
      buyer: f.role === 'buyer' ? account.address : other,
      seller: f.role === 'seller' ? account.address : other,
      oracles,
      oracleThreshold: oracles.length ? Number(f.threshold) : 0,
      arbiter: f.arbiter.trim() ? resolve(f.arbiter, 'arbiter') : undefined,
      releaseRule: f.rule,
      reviewWindow: BigInt(Math.round(Number(f.reviewHours) * 3_600_000)),
      arbitrationWindow: BigInt(Math.round(Number(f.arbitrationDays) * DAY)),
      fallbackSellerBps: Math.round(Number(f.fallbackPercent) * 100),
      advance: f.advance,
      agreementHash: docs.agreement ?? NO_DOCUMENT,
      funder: f.funder.trim() ? resolve(f.funder, 'funder') : undefined,
      fundBy: parseUtc(f.fundBy, 'funding deadline'),
      asset: asset.key === 'native' ? { type: 'Native' } : { type: 'Psp22', value: asset.key },
      milestones: amounts.map((amount, i) => ({
        amount,
        termsHash: docs[`m${i}`] ?? NO_DOCUMENT,
        shipBy: parseUtc(f.shipBy[i] ?? '', `milestone ${i} ship-by`),
      })),
    };
    return { terms, amounts };
  };

  const onReview = async () => {
    setChecked({ state: 'busy', what: 'Propose: dry run' });
    try {
      const { terms, amounts } = build();
      await dryRun(session.escrow, 'propose', [terms], account.address);
      const { data: hash } = await session.escrow.query.termsHash(terms, { caller: account.address });
      setReview({ terms, hash, amounts });
      setChecked({ state: 'idle' });
    } catch (e) {
      setChecked(
        e instanceof Refusal
          ? { state: 'refused', refusal: e }
          : { state: 'failed', message: e instanceof Error ? e.message : String(e) },
      );
    }
  };
  const onPropose = () =>
    act('Propose: dry run', async () => {
      const outcome = await call(session, account as Account, session.escrow, 'propose', [review!.terms]);
      const proposed = outcome.events.find((e) => e.name === 'DealProposed');
      if (proposed) location.hash = `#/deal/${proposed.data.dealId}`;
      return `Proposed deal ${proposed?.data.dealId} in block #${outcome.block}`;
    });
  const onDoc = (key: string) => async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    setReview(undefined);
    if (!file) return;
    if (key === 'agreement') return setDocs({ ...docs, [key]: await hashFile(file) });
    const { hash, condition } = await hashTermsDocument(file);
    setDocs({ ...docs, [key]: hash });
    setConditions({ ...conditions, [key]: condition ? summary(condition) : '' });
  };
  const text = (key: keyof typeof f, label: string, placeholder = '') => (
    <label>
      {label}
      <input
        aria-label={label}
        placeholder={placeholder}
        value={f[key] as string}
        onInput={(e) => set({ [key]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );

  return (
    <div class="propose">
      <h2>Propose a deal</h2>
      <fieldset>
        <legend>Parties and money</legend>
        <label>
          I am the{' '}
          <select
            aria-label="my role"
            value={f.role}
            onChange={(e) => set({ role: (e.target as HTMLSelectElement).value as 'seller' })}
          >
            <option value="seller">seller (exporter)</option>
            <option value="buyer">buyer (importer)</option>
          </select>
        </label>
        {text('counterparty', 'counterparty', 'address, or a known name such as Bob')}
        <label>
          asset{' '}
          <select
            aria-label="asset"
            value={f.asset}
            onChange={(e) => set({ asset: (e.target as HTMLSelectElement).value })}
          >
            {assets.map((a) => (
              <option value={a.key}>{a.symbol}</option>
            ))}
          </select>
        </label>
        {text('total', 'total', `e.g. 1000 ${asset.symbol}`)}
        {text('funder', 'funder (optional)', 'a bank paying for the buyer')}
      </fieldset>
      <fieldset>
        <legend>Milestones</legend>
        <label>
          split (%)
          <input aria-label="split" value={f.split} onInput={(e) => setSplit((e.target as HTMLInputElement).value)} />
        </label>{' '}
        {['30,40,30', '50,50', '100'].map((s) => (
          <button type="button" onClick={() => setSplit(s)}>
            {s.replace(/,/g, '/')}
          </button>
        ))}
        <label>
          <input
            type="checkbox"
            aria-label="advance"
            checked={f.advance}
            onChange={(e) => set({ advance: (e.target as HTMLInputElement).checked })}
          />{' '}
          milestone 0 is an advance, paid when funded
        </label>
        <table>
          <thead>
            <tr>
              <th>milestone</th>
              <th>share</th>
              <th>ship-by (UTC)</th>
              <th>condition document</th>
            </tr>
          </thead>
          <tbody>
            {percents.map((p, i) => (
              <tr>
                <td>{i}</td>
                <td>{p}%</td>
                <td>
                  <input
                    type="datetime-local"
                    aria-label={`ship-by ${i}`}
                    value={f.shipBy[i]}
                    onInput={(e) =>
                      set({ shipBy: f.shipBy.map((s, j) => (j === i ? (e.target as HTMLInputElement).value : s)) })
                    }
                  />
                </td>
                <td>
                  <input type="file" aria-label={`document ${i}`} onChange={onDoc(`m${i}`)} />
                  <code>{docs[`m${i}`]?.slice(0, 18) ?? 'none'}</code>
                  {conditions[`m${i}`] && (
                    <span class="hint" data-testid={`condition-${i}`}>
                      {' '}
                      oracle condition: {conditions[`m${i}`]}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <label>
          funding deadline (UTC)
          <input
            type="datetime-local"
            aria-label="funding deadline"
            value={f.fundBy}
            onInput={(e) => set({ fundBy: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          agreement document <input type="file" aria-label="agreement document" onChange={onDoc('agreement')} />
          <code>{docs.agreement?.slice(0, 18) ?? 'none'}</code>
        </label>
      </fieldset>
      <fieldset>
        <legend>Release and disputes</legend>
        <label>
          release rule{' '}
          <select
            aria-label="release rule"
            value={f.rule}
            onChange={(e) => set({ rule: (e.target as HTMLSelectElement).value as EscrowTypesReleaseRule })}
          >
            <option value="Buyer">the buyer approves</option>
            <option value="BuyerOrOracles">the buyer approves, or the oracles attest</option>
            <option value="Oracles">the oracles attest</option>
          </select>
        </label>
        {text('oracles', 'oracles', 'names or addresses, comma-separated')}
        {text('threshold', 'threshold', 'how many oracles must attest')}
        {text('arbiter', 'arbiter', 'name or address (optional)')}
        {text('reviewHours', 'review window (hours)')}
        {text('arbitrationDays', 'arbitration window (days)')}
        {text('fallbackPercent', "fallback: seller's share (%)")}
      </fieldset>
      <button data-testid="review" onClick={onReview}>
        Review the terms
      </button>
      <StatusLine status={checked} />
      {review && (
        <section class="review" data-testid="propose-review">
          <h3>What you are about to sign</h3>
          <ul>
            {review.amounts.map((a, i) => (
              <li>
                milestone {i}: {formatMoney(a, asset)}
              </li>
            ))}
          </ul>
          <p>
            Terms hash: <code data-testid="propose-hash">{review.hash}</code>. The counterparty accepts by naming this
            hash.
          </p>
          <button data-testid="propose" onClick={onPropose} disabled={status.state === 'busy'}>
            Propose (sign)
          </button>
        </section>
      )}
      <StatusLine status={status} />
    </div>
  );
}
