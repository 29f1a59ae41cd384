// A deal: parties and every term, the milestone timeline, the running clocks, the events, and
// the actions open to the connected account's roles (each dry-run before it is signed).
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { assetOf, formatAmount, parseAmount, type AssetInfo } from '../chain';
import { parseUtc } from '../money';
import {
  attestedBy,
  clocksOf,
  dealEvents,
  type DealEvent,
  eventId,
  loadDeal,
  type LoadedDeal,
  type MilestoneView,
  type Role,
  rolesOf,
} from '../deals';
import { call, deposit, type Outcome } from '../tx';
import { summary } from '../condition';
import {
  Countdown,
  DocumentHash,
  formatTime,
  hashFile,
  hashTermsDocument,
  hashText,
  Money,
  Name,
  StatusLine,
  useAction,
  useApp,
} from '../ui';
import { AcceptPanel, Terms } from './terms';

const AssetCtx = createContext<AssetInfo>(undefined as never);
const useAsset = () => useContext(AssetCtx);

export function DealPage({ id, focus }: { id: bigint; focus?: string }) {
  const { session, revision } = useApp();
  const [deal, setDeal] = useState<LoadedDeal | null | undefined>();
  const [events, setEvents] = useState<DealEvent[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    loadDeal(session, id)
      .then(async (d) => {
        setDeal(d ?? null);
        if (d) setEvents(await dealEvents(session, d));
      })
      .catch((e) => setError(String(e)));
  }, [id, revision]);
  useEffect(() => {
    if (focus && events) document.getElementById(`ev-${focus}`)?.scrollIntoView();
  }, [focus, events]);
  if (error) return <p class="error">{error}</p>;
  if (deal === undefined) return <p>Loading deal {String(id)}…</p>;
  if (deal === null) return <p class="error">No deal {String(id)} on this contract.</p>;
  const asset = assetOf(session, deal.view.deal.asset);
  const clocks = clocksOf(deal);
  return (
    <AssetCtx.Provider value={asset}>
      <div class="deal" data-testid="deal-page">
        <h2>
          Deal {String(id)}{' '}
          <span class={`badge ${deal.view.deal.status}`} data-testid="deal-status">
            {deal.view.deal.status}
          </span>
        </h2>
        <Figures deal={deal} asset={asset} />
        <AcceptPanel deal={deal} asset={asset} />
        <DealActions deal={deal} asset={asset} />
        <section>
          <h3>Clocks</h3>
          {clocks.length === 0 ? (
            <p>No clock is running.</p>
          ) : (
            <ul class="clocks">
              {clocks.map((c) => (
                <li data-testid="clock">
                  <strong>{c.label}</strong> <Countdown at={c.at} /> <span class="hint">{c.meaning}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section>
          <h3>Milestones</h3>
          <ol class="timeline">
            {deal.milestones.map((m) => (
              <MilestoneCard deal={deal} m={m} asset={asset} />
            ))}
          </ol>
        </section>
        <Terms deal={deal} asset={asset} />
        <section>
          <h3>Events</h3>
          {events === undefined ? (
            <p>Reading the deal's events…</p>
          ) : (
            <EventTable events={events} asset={asset} focus={focus} />
          )}
        </section>
      </div>
    </AssetCtx.Provider>
  );
}

function Figures({ deal, asset }: { deal: LoadedDeal; asset: AssetInfo }) {
  const d = deal.view.deal;
  const rows: [string, bigint][] = [
    ['total', d.total],
    ['deposited', d.deposited],
    ['locked', deal.view.locked],
    ['released', d.released],
    ['fees', d.fees],
    ['refunded', d.refunded],
  ];
  return (
    <dl class="figures">
      {rows.map(([label, amount]) => (
        <div data-testid={`figure-${label}`}>
          <dt>{label}</dt>
          <dd>
            <Money amount={amount} asset={asset} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function MilestoneCard({ deal, m, asset }: { deal: LoadedDeal; m: MilestoneView; asset: AssetInfo }) {
  const ms = m.milestone;
  const settled = ms.status === 'Released' || ms.status === 'Refunded' || ms.status === 'Resolved';
  return (
    <li class={`milestone ${ms.status}`} data-testid={`milestone-${m.index}`}>
      <h4>
        Milestone {m.index}: <Money amount={ms.amount} asset={asset} />{' '}
        <span class={`badge ${ms.status}`} data-testid="milestone-status">
          {ms.status}
        </span>
      </h4>
      <dl>
        <dt>condition (terms hash)</dt>
        <dd>
          <DocumentHash hash={ms.termsHash} />
        </dd>
        <dt>ship-by</dt>
        <dd>{settled ? formatTime(ms.shipBy) : <Countdown at={ms.shipBy} />}</dd>
        <dt>funded</dt>
        <dd>
          <Money amount={m.covered} asset={asset} /> of <Money amount={ms.amount} asset={asset} />
        </dd>
        <dt>payee</dt>
        <dd>
          <Name address={m.payee} />
        </dd>
        {ms.evidenceHash && (
          <>
            <dt>evidence</dt>
            <dd class="hash">{ms.evidenceHash}</dd>
          </>
        )}
        {deal.view.deal.oracles.length > 0 && (
          <>
            <dt>attestations</dt>
            <dd data-testid="attestations">
              {attestedBy(ms.attestations, deal.view.deal.oracles).length} of {deal.view.deal.oracleThreshold} needed
              {attestedBy(ms.attestations, deal.view.deal.oracles).map((o, n) => (
                <>
                  {n === 0 ? ': ' : ', '}
                  <Name address={o} />
                </>
              ))}
            </dd>
          </>
        )}
        {m.reviewEnds !== undefined && ms.status === 'Submitted' && (
          <>
            <dt>review ends</dt>
            <dd>
              <Countdown at={m.reviewEnds} />
            </dd>
          </>
        )}
        {ms.dispute && (
          <>
            <dt>dispute</dt>
            <dd>
              by the {ms.dispute.by.toLowerCase()}, reason {ms.dispute.reasonHash.slice(0, 18)}…
              {ms.dispute.offer && (
                <>
                  ; offer by the {ms.dispute.offer.by.toLowerCase()}:{' '}
                  <Money amount={ms.dispute.offer.sellerAmount} asset={asset} /> to the seller, the rest to the buyer
                </>
              )}
            </dd>
          </>
        )}
        {m.arbitrationEnds !== undefined && ms.status === 'Disputed' && (
          <>
            <dt>arbitration ends</dt>
            <dd>
              <Countdown at={m.arbitrationEnds} />
            </dd>
          </>
        )}
        {ms.amendment && (
          <>
            <dt>amendment</dt>
            <dd>
              the {ms.amendment.by.toLowerCase()} proposes ship-by {formatTime(ms.amendment.newShipBy)}
            </dd>
          </>
        )}
        {ms.outcome && (
          <>
            <dt>outcome</dt>
            <dd data-testid="milestone-outcome">
              seller <Money amount={ms.outcome.toSeller} asset={asset} />, fee{' '}
              <Money amount={ms.outcome.fee} asset={asset} />, buyer <Money amount={ms.outcome.toBuyer} asset={asset} />
            </dd>
          </>
        )}
      </dl>
      <CheckDocument m={m} />
      <MilestoneActions deal={deal} m={m} asset={asset} />
    </li>
  );
}

/** Checks a document received off chain (a condition, an evidence file) against the milestone's
 * hashes, in the browser. */
function CheckDocument({ m }: { m: MilestoneView }) {
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const check = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return setResult(undefined);
    const { hash, condition } = await hashTermsDocument(file);
    // Evidence is hashed as it is; only a condition's terms hash is over its canonical form.
    const raw = condition ? await hashFile(file) : hash;
    const ms = m.milestone;
    if (hash === ms.termsHash) {
      setResult({
        ok: true,
        text: condition ? `matches its condition: ${summary(condition)}` : 'matches its terms document',
      });
    } else if (raw === ms.evidenceHash) {
      setResult({ ok: true, text: 'matches its evidence' });
    } else {
      setResult({
        ok: false,
        text: `matches neither its terms (${ms.termsHash.slice(0, 10)}…) nor its evidence: this document hashes to ${hash.slice(0, 10)}…`,
      });
    }
  };
  return (
    <div class="check">
      <label>
        check a document against this milestone <input type="file" aria-label="check a document" onChange={check} />
      </label>
      {result && (
        <p class={result.ok ? 'ok' : 'error'} data-testid="document-check">
          {result.text}
        </p>
      )}
    </div>
  );
}

/** An action the connected account's roles may take. */
interface Spec {
  message: string;
  label: string;
  roles: Role[] | 'anyone';
  input?: 'evidence' | 'reason' | 'sellerAmount' | 'shipBy' | 'to' | 'amount';
  prefill?: string;
  args(inputs: string): Promise<unknown[]> | unknown[];
}

type Run = (args: unknown[], input: string) => Promise<Outcome>;

/** A list of actions sharing one status line, which stays in view when the list changes
 * (an included action changes the deal, and with it the actions offered). */
function Actions({ specs }: { specs: (Spec & { run?: Run })[] }) {
  const [status, act] = useAction();
  return (
    <div class="actions">
      {specs.map((spec) => (
        <ActionRow key={spec.message} spec={spec} act={act} busy={status.state === 'busy'} run={spec.run} />
      ))}
      <StatusLine status={status} />
    </div>
  );
}

function ActionRow({
  spec,
  act,
  busy,
  run,
}: {
  spec: Spec;
  act: ReturnType<typeof useAction>[1];
  busy: boolean;
  run?: Run;
}) {
  const { session, account } = useApp();
  const asset = useAsset();
  const [input, setInput] = useState(spec.prefill ?? '');
  const [file, setFile] = useState<File>();
  const go = () =>
    act(`${spec.label}: dry run`, async () => {
      const value = spec.input === 'evidence' && file ? await hashFile(file) : input;
      const args = await spec.args(value);
      const outcome = run ? await run(args, value) : await call(session, account!, session.escrow, spec.message, args);
      return `${spec.label}: included in block #${outcome.block}`;
    });
  return (
    <div class="action" data-testid={`action-${spec.message}`}>
      {spec.input === 'evidence' && (
        <>
          <input
            type="file"
            aria-label="evidence document"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])}
          />
          <span class="hint">or</span>
        </>
      )}
      {spec.input && (
        <input
          aria-label={spec.input}
          placeholder={PLACEHOLDERS[spec.input].replace('ASSET', asset.symbol)}
          value={input}
          onInput={(e) => setInput((e.target as HTMLInputElement).value)}
        />
      )}
      <button onClick={go} disabled={busy}>
        {spec.label}
      </button>
    </div>
  );
}

const PLACEHOLDERS = {
  evidence: 'evidence hash 0x…',
  reason: 'reason for the dispute',
  sellerAmount: "seller's share, ASSET",
  shipBy: 'new ship-by, 2099-01-31T12:00:00Z',
  to: 'assignee address',
  amount: 'amount, ASSET',
};

function allowed(spec: Spec, roles: Role[]): boolean {
  return spec.roles === 'anyone' || spec.roles.some((r) => roles.includes(r));
}

function hexOrHash(input: string, what: string): `0x${string}` {
  if (/^0x[0-9a-fA-F]{64}$/.test(input.trim())) return input.trim() as `0x${string}`;
  throw new Error(`${what}: choose a document, or give its 32-byte hash as 0x and 64 hex digits`);
}

function MilestoneActions({ deal, m, asset }: { deal: LoadedDeal; m: MilestoneView; asset: AssetInfo }) {
  const { account } = useApp();
  if (!account) return null;
  const roles = rolesOf(deal, account.address);
  const id = deal.view.id;
  const i = m.index;
  const active = deal.view.deal.status === 'Active';
  const status = m.milestone.status;
  const amount = (s: string) => parseAmount(s, asset.decimals);
  const open = active && (status === 'Pending' || status === 'Submitted');
  const specs: Spec[] = [];
  if (open) {
    specs.push(
      {
        message: 'submit',
        label: 'Submit evidence',
        roles: ['seller'],
        input: 'evidence',
        args: (e) => [id, i, hexOrHash(e, 'evidence')],
      },
      { message: 'approve', label: 'Approve', roles: ['buyer'], args: () => [id, i] },
      { message: 'attest', label: 'Attest', roles: ['oracle'], args: () => [id, i] },
      {
        message: 'dispute',
        label: 'Dispute',
        roles: ['buyer', 'seller'],
        input: 'reason',
        args: async (r) => [id, i, await hashText(r)],
      },
      {
        message: 'proposeAmendment',
        label: 'Propose a new ship-by',
        roles: ['buyer', 'seller'],
        input: 'shipBy',
        args: (t) => [id, i, parseUtc(t, 'new ship-by')],
      },
    );
  }
  if (active && m.milestone.amendment) {
    const t = m.milestone.amendment.newShipBy;
    specs.push(
      {
        message: 'acceptAmendment',
        label: 'Accept the new ship-by',
        roles: ['buyer', 'seller'],
        args: () => [id, i, t],
      },
      {
        message: 'withdrawAmendment',
        label: 'Withdraw the amendment',
        roles: ['buyer', 'seller'],
        args: () => [id, i],
      },
    );
  }
  if (active && status === 'Disputed') {
    const offer = m.milestone.dispute?.offer;
    specs.push(
      {
        message: 'offerSettlement',
        label: 'Offer a settlement',
        roles: ['buyer', 'seller'],
        input: 'sellerAmount',
        args: (s) => [id, i, amount(s)],
      },
      {
        message: 'acceptSettlement',
        label: 'Accept the offer',
        roles: ['buyer', 'seller'],
        args: () => [id, i, offer?.sellerAmount ?? 0n],
      },
      {
        message: 'resolveDispute',
        label: 'Rule: seller gets',
        roles: ['arbiter'],
        input: 'sellerAmount',
        args: (s) => [id, i, amount(s)],
      },
    );
  }
  if (active && status !== 'Released' && status !== 'Refunded' && status !== 'Resolved') {
    specs.push({ message: 'settleMilestone', label: 'Apply its clock', roles: 'anyone', args: () => [id, i] });
  }
  return <Actions specs={specs.filter((s) => allowed(s, roles))} />;
}

function DealActions({ deal, asset }: { deal: LoadedDeal; asset: AssetInfo }) {
  const { session, account } = useApp();
  if (!account) return <p class="hint">Choose an account to act on this deal.</p>;
  const d = deal.view.deal;
  const roles = rolesOf(deal, account.address);
  const id = deal.view.id;
  const specs: (Spec & { run?: Run })[] = [];
  const proposer = d.proposer === 'Buyer' ? 'buyer' : 'seller';
  if (d.status === 'Proposed') {
    specs.push({ message: 'withdrawProposal', label: 'Withdraw the proposal', roles: [proposer], args: () => [id] });
  }
  if (d.status === 'Active') {
    if (d.deposited < d.total) {
      const remaining = d.total - d.deposited;
      specs.push({
        message: 'fund',
        label: 'Deposit',
        roles: ['buyer', 'funder'],
        input: 'amount',
        prefill: formatAmount(remaining, asset.decimals).replace(/,/g, ''),
        args: (s) => [parseAmount(s, asset.decimals)],
        run: ([amount]) => deposit(session, account, deal, amount as bigint),
      });
    }
    if (d.cancelProposedBy) {
      specs.push(
        { message: 'acceptCancel', label: 'Accept the cancellation', roles: ['buyer', 'seller'], args: () => [id] },
        { message: 'withdrawCancel', label: 'Withdraw the cancellation', roles: ['buyer', 'seller'], args: () => [id] },
      );
    } else {
      specs.push({
        message: 'proposeCancel',
        label: 'Propose to cancel',
        roles: ['buyer', 'seller'],
        args: () => [id],
      });
    }
    specs.push(
      {
        message: 'assign',
        label: 'Assign payouts from milestone',
        roles: ['seller'],
        input: 'to',
        args: (to) => assignArgs(id, to),
      },
      { message: 'settleDue', label: 'Apply every passed clock', roles: 'anyone', args: () => [id] },
    );
  }
  if (d.settledCount === d.milestoneCount && !d.closureRecorded && d.status === 'Active') {
    specs.push({ message: 'closeDeal', label: 'Record the closure', roles: 'anyone', args: () => [id] });
  }
  const mine = specs.filter((s) => allowed(s, roles));
  return (
    <section>
      <h3>Your actions</h3>
      <p class="hint" data-testid="roles">
        You are: {roles.join(', ')}.
      </p>
      <Actions specs={mine} />
    </section>
  );
}

/** `assign` takes "INDEX ADDRESS" (from which milestone on, to whom). */
function assignArgs(id: bigint, input: string): unknown[] {
  const [from, to] = input.trim().split(/\s+/);
  if (!/^\d+$/.test(from ?? '') || !to)
    throw new Error('assign: give the first milestone to assign and the address, e.g. "1 5Grw…"');
  return [id, Number(from), to];
}

function EventTable({ events, asset, focus }: { events: DealEvent[]; asset: AssetInfo; focus?: string }) {
  return (
    <table class="events" data-testid="events">
      <thead>
        <tr>
          <th>block</th>
          <th>time</th>
          <th>event</th>
          <th>details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr
            id={`ev-${eventId(e)}`}
            class={focus === eventId(e) ? 'focused' : ''}
            data-testid="event-row"
            data-event={e.name}
          >
            <td>#{e.block}</td>
            <td>{formatTime(e.at)}</td>
            <td>{e.name}</td>
            <td>
              <EventFields data={e.data} asset={asset} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const AMOUNT_FIELDS = new Set(['amount', 'fee', 'toSeller', 'toBuyer', 'sellerAmount', 'deposited', 'refunded']);
const TIME_FIELDS = new Set(['at', 'reviewEnds', 'arbitrationEnds', 'newShipBy']);
const HIDDEN = new Set(['dealId', 'prevBlock', 'terms']);

function EventFields({ data, asset }: { data: Record<string, any>; asset: AssetInfo }) {
  const entries = Object.entries(data ?? {}).filter(([k]) => !HIDDEN.has(k));
  return (
    <span>
      {entries.map(([key, value], n) => (
        <span>
          {n > 0 && ', '}
          {key}{' '}
          {value && typeof value.address === 'function' ? (
            <Name address={value} />
          ) : AMOUNT_FIELDS.has(key) && typeof value === 'bigint' ? (
            <Money amount={value} asset={asset} />
          ) : TIME_FIELDS.has(key) && typeof value === 'bigint' ? (
            formatTime(value)
          ) : typeof value === 'object' && value !== null ? (
            JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
          ) : (
            String(value)
          )}
        </span>
      ))}
    </span>
  );
}
