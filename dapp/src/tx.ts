// Every action: a dry run first (the contract's own answer, with the connected account as the
// caller); a refusal is shown by the contract's error name and nothing is signed; otherwise one
// signature, with the gas and storage deposit the dry run measured, and the outcome once a block
// includes it. A transaction is sent once and never re-sent (a retry could land twice): dedot's
// WsProvider does not re-subscribe `author_` calls after a reconnect (NO_RESUBSCRIBE_PREFIXES).
// What it does not do either is tell the page: an action whose connection drops while it waits
// stays waiting, and a reload shows the chain's state (docs/dapp.md, "Left").
import { ContractDispatchError, ContractLangError } from 'dedot/contracts';
import type { Account } from './accounts';
import explanations from './generated/errors.json';
import type { Session } from './chain';
import type { LoadedDeal } from './deals';

/** The contract (or the chain) said no. `name` is the error's name in the metadata. */
export class Refusal extends Error {
  constructor(
    readonly name: string,
    readonly explanation: string,
    readonly detail?: string,
  ) {
    super(`${name}${detail ? ` (${detail})` : ''}: ${explanation}`);
  }
}

/** A contract error value as dedot decodes it: `{ type, value? }`, or a bare name. */
type ErrorValue = { type: string; value?: unknown } | string;

export function refusalOf(error: ErrorValue): Refusal {
  const name = typeof error === 'string' ? error : error.type;
  const value = typeof error === 'string' ? undefined : error.value;
  const known = (explanations as Record<string, { doc: string; field?: string }>)[name];
  // An amount is shown as the contract counts it (the smallest unit), named by its field.
  const detail = value === undefined ? undefined : `${known?.field ?? 'value'} ${String(value)}`;
  return new Refusal(name, known?.doc ?? 'an error this dApp has no explanation for (regenerate it)', detail);
}

/** What a dry run measured: the gas to send, and the storage deposit it charged or refunded. */
interface DryRun {
  gasRequired: unknown;
  storageDeposit: { type: 'Charge' | 'Refund'; value: bigint };
}

interface CallableContract {
  query: Record<string, (...args: unknown[]) => Promise<{ data: unknown; raw: DryRun }>>;
  tx: Record<string, (...args: unknown[]) => { signAndSend: Function }>;
}

export interface Outcome {
  block: number;
  blockHash: string;
  /** The escrow's events the transaction emitted. */
  events: { name: string; data: any }[];
}

/** The dry run alone: resolves with its gas, or throws a [`Refusal`]. */
export async function dryRun(
  contract: unknown,
  message: string,
  args: unknown[],
  caller: string,
  value = 0n,
): Promise<DryRun> {
  const c = contract as CallableContract;
  let result;
  try {
    result = await c.query[message](...args, { caller, value });
  } catch (error) {
    if (error instanceof ContractDispatchError) {
      const meta = (error as { moduleError?: { pallet: string; name: string; docs: string[] } }).moduleError;
      if (meta) throw new Refusal(`${meta.pallet}::${meta.name}`, meta.docs.join(' ') || 'the chain refused the call');
    }
    if (error instanceof ContractLangError) throw new Refusal('LangError', String(error.message));
    throw error;
  }
  const data = result.data as { isErr?: boolean; err?: ErrorValue } | undefined;
  if (data && typeof data === 'object' && data.isErr) throw refusalOf(data.err as ErrorValue);
  return result.raw;
}

/** Dry-runs `message`, then signs and sends it with `account`; throws [`Refusal`] on a no. */
export async function call(
  session: Session,
  account: Account,
  contract: unknown,
  message: string,
  args: unknown[],
  value = 0n,
): Promise<Outcome> {
  const raw = await dryRun(contract, message, args, account.address, value);
  // The storage deposit is capped at what the dry run charged (nothing when it refunded), as
  // the CLI does: a call that would take more fails with StorageDepositLimitExhausted.
  const storageDepositLimit = raw.storageDeposit.type === 'Charge' ? raw.storageDeposit.value : 0n;
  const tx = (contract as CallableContract).tx[message](...args, {
    value,
    gasLimit: raw.gasRequired,
    storageDepositLimit,
  });
  const signing = account.pair ?? account.address;
  const options = account.signer ? { signer: account.signer } : {};
  const result = await tx.signAndSend(signing, options).untilBestChainBlockIncluded();
  if (result.dispatchError) {
    const meta = session.client.registry.findErrorMeta(result.dispatchError);
    throw new Refusal(
      meta ? `${meta.pallet}::${meta.name}` : 'DispatchError',
      meta?.docs.join(' ') || JSON.stringify(result.dispatchError),
    );
  }
  const status = result.status as { type: string; value: { blockHash: string; blockNumber: number } };
  const events = session.escrow.decodeEvents(result.events) as { name: string; data: any }[];
  return { block: status.value.blockNumber, blockHash: status.value.blockHash, events };
}

/** Deposits: native with the call's value; a token with its approve, then `fund_tokens`. */
export async function deposit(session: Session, account: Account, deal: LoadedDeal, amount: bigint): Promise<Outcome> {
  const id = deal.view.id;
  const asset = deal.view.deal.asset;
  if (asset.type === 'Native') return call(session, account, session.escrow, 'fund', [id], amount);
  const token = session.tokens.get(asset.value.address());
  if (!token) throw new Error(`token ${asset.value.address()} is not configured for this dApp`);
  await call(session, account, token.contract, 'psp22Approve', [session.config.escrow, amount]);
  return call(session, account, session.escrow, 'fundTokens', [id, amount]);
}
