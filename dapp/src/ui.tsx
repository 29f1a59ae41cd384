// Shared pieces: the app's context, names, money, live countdowns, and the action button that
// dry-runs before it signs.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Account } from './accounts';
import { type AssetInfo, formatMoney, type Session, short } from './chain';
import { Refusal } from './tx';
import { blake2AsHex } from 'dedot/utils';
import { type Condition, conditionHash, parseCondition } from './condition';

export interface AppContext {
  session: Session;
  accounts: Account[];
  account?: Account;
  /** Bumped after every included transaction: pages reload what they show. */
  revision: number;
  changed(): void;
}

export const Ctx = createContext<AppContext>(undefined as never);
export const useApp = () => useContext(Ctx);

export function Name({ address }: { address: string | { address(): string } }) {
  const { accounts } = useApp();
  const a = typeof address === 'string' ? address : address.address();
  const known = accounts.find((x) => x.address === a);
  return (
    <span class="name" title={a}>
      {known ? known.name : short(a)}
    </span>
  );
}

export function Money({ amount, asset }: { amount: bigint; asset: AssetInfo }) {
  return <span class="money">{formatMoney(amount, asset)}</span>;
}

export function formatTime(ms: bigint): string {
  return new Date(Number(ms)).toISOString().replace('.000Z', 'Z').replace('T', ' ');
}

function formatSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${m}m`] : [`${m}m`, `${s % 60}s`];
  return parts.join(' ');
}

/** A clock: its time, and a countdown that ticks every second. */
export function Countdown({ at }: { at: bigint }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Number(at) - now;
  return (
    <span class={left > 0 ? 'countdown' : 'countdown passed'} title={formatTime(at)}>
      {formatTime(at)} · {left > 0 ? `in ${formatSpan(left)}` : `passed ${formatSpan(left)} ago`}
    </span>
  );
}

export type Status =
  | { state: 'idle' }
  | { state: 'busy'; what: string }
  | { state: 'done'; what: string }
  | { state: 'refused'; refusal: Refusal }
  | { state: 'failed'; message: string };

export function StatusLine({ status }: { status: Status }) {
  switch (status.state) {
    case 'idle':
      return null;
    case 'busy':
      return <p class="status busy">{status.what}…</p>;
    case 'done':
      return (
        <p class="status done" data-testid="action-done">
          {status.what}
        </p>
      );
    case 'refused':
      return (
        <p class="status refused" data-testid="refusal" data-error={status.refusal.name}>
          <strong>{status.refusal.name}</strong>
          {status.refusal.detail ? ` (${status.refusal.detail})` : ''}: {status.refusal.explanation} Nothing was signed.
        </p>
      );
    case 'failed':
      return (
        <p class="status failed" data-testid="failure">
          {status.message}
        </p>
      );
  }
}

/** Runs `work` with a status line: refusals by name, anything else as its message. */
export function useAction(): [Status, (what: string, work: () => Promise<string>) => Promise<void>] {
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const { changed } = useApp();
  const run = async (what: string, work: () => Promise<string>) => {
    setStatus({ state: 'busy', what });
    try {
      const done = await work();
      setStatus({ state: 'done', what: done });
      changed();
    } catch (error) {
      if (error instanceof Refusal) setStatus({ state: 'refused', refusal: error });
      else setStatus({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };
  return [status, run];
}

/** Hex of a document's blake2-256 hash, computed in the browser (the CLI's `--*-file` hash). */
export async function hashFile(file: File): Promise<`0x${string}`> {
  return blake2AsHex(new Uint8Array(await file.arrayBuffer()), 256);
}

/** A milestone's terms document: a condition document is hashed over its canonical form, as
 * the CLI's `--milestone-condition` and the oracle service hash it; any other file as it is. */
export async function hashTermsDocument(file: File): Promise<{ hash: `0x${string}`; condition?: Condition }> {
  const condition = parseCondition(await file.text());
  return condition ? { hash: conditionHash(condition), condition } : { hash: await hashFile(file) };
}

export async function hashText(text: string): Promise<`0x${string}`> {
  return blake2AsHex(text, 256);
}

/** The all-zero hash: no document (a person approves or attests the milestone). */
export const NO_DOCUMENT = `0x${'00'.repeat(32)}` as const;

/** A document hash, or "none" for the all-zero hash (no document). */
export function DocumentHash({ hash }: { hash: string }) {
  return <span class="hash">{hash === NO_DOCUMENT ? 'none' : hash}</span>;
}
