// Reading deals: the contract's own views, and each deal's events found along the trails the
// records keep (every record names the block of its latest event, every event the block of the
// previous one on its trail), so a deal's page reads the blocks that hold its events and no
// others, however long the chain (docs/audit.md, "Trails").
import type { Session } from './chain';
import type { EscrowTypesDealView, EscrowTypesMilestoneView } from './generated/milestone-escrow';

export type DealView = EscrowTypesDealView;
export type MilestoneView = EscrowTypesMilestoneView;

export interface LoadedDeal {
  view: DealView;
  milestones: MilestoneView[];
}

export interface DealEvent {
  name: string;
  data: Record<string, any>;
  block: number;
  /** Position among the block's events: with `block`, the event's id (`block-index`). */
  index: number;
  /** The block's timestamp (ms). */
  at: bigint;
}

/** The contract returns at most this many ids per `deals_of` page (its `MAX_PAGE`). */
const PAGE = 32;

export async function dealIdsOf(session: Session, account: string): Promise<bigint[]> {
  const { data: count } = await session.escrow.query.dealCountOf(account, { caller: account });
  const pages = [];
  for (let start = 0; start < count; start += PAGE) {
    pages.push(session.escrow.query.dealsOf(account, start, PAGE, { caller: account }));
  }
  return (await Promise.all(pages)).flatMap((p) => p.data);
}

export async function loadDeal(session: Session, id: bigint, withMilestones = true): Promise<LoadedDeal | undefined> {
  const caller = session.config.escrow;
  const { data: view } = await session.escrow.query.deal(id, { caller });
  if (!view) return undefined;
  if (!withMilestones) return { view, milestones: [] };
  const milestones = await Promise.all(
    Array.from({ length: view.deal.milestoneCount }, (_, i) => session.escrow.query.milestone(id, i, { caller })),
  );
  return { view, milestones: milestones.map((m) => m.data!).filter(Boolean) };
}

export async function loadDeals(session: Session, ids: bigint[], withMilestones = false): Promise<LoadedDeal[]> {
  const deals = await Promise.all(ids.map((id) => loadDeal(session, id, withMilestones)));
  return deals.filter((d): d is LoadedDeal => d !== undefined);
}

// One read per block, shared by every deal that has events in it.
const blockCache = new Map<number, Promise<DealEvent[]>>();

function readBlock(session: Session, block: number): Promise<DealEvent[]> {
  let cached = blockCache.get(block);
  if (!cached) {
    cached = (async () => {
      const hash = await session.client.rpc.chain_getBlockHash(block);
      if (!hash) throw new Error(`the node has no block #${block}`);
      const at = await session.client.at(hash);
      const [records, now] = await Promise.all([at.query.system.events(), at.query.timestamp.now()]);
      return records.flatMap((record, index) =>
        session.escrow.decodeEvents([record]).map((e) => ({
          name: e.name,
          data: (e as { data: Record<string, any> }).data,
          block,
          index,
          at: BigInt(now),
        })),
      );
    })();
    cached.catch(() => blockCache.delete(block));
    blockCache.set(block, cached);
  }
  return cached;
}

/** Events on a claimable balance's trail, which links across deals: never followed here
 * (a deal's deferrals sit in the blocks of its releases, which its own trails reach). */
const CLAIM_TRAIL = new Set(['PayoutDeferred', 'Withdrawn']);

/** Every event of `deal`, oldest first, read along its trails. */
export async function dealEvents(session: Session, deal: LoadedDeal): Promise<DealEvent[]> {
  const id = deal.view.id;
  const starts = [deal.view.deal.lastEventBlock, ...deal.milestones.map((m) => m.milestone.lastEventBlock)];
  const visited = new Set<number>();
  const found: DealEvent[] = [];
  let pending = [...new Set(starts.filter((b) => b > 0))];
  while (pending.length) {
    pending.forEach((b) => visited.add(b));
    const blocks = await Promise.all(pending.map((b) => readBlock(session, b)));
    const next = new Set<number>();
    for (const event of blocks.flat()) {
      if (event.data?.dealId !== id) continue;
      found.push(event);
      const prev = Number(event.data.prevBlock ?? 0);
      if (prev > 0 && !CLAIM_TRAIL.has(event.name) && !visited.has(prev)) next.add(prev);
    }
    pending = [...next];
  }
  return found.sort((a, b) => a.block - b.block || a.index - b.index);
}

export function eventId(event: { block: number; index: number }): string {
  return `${event.block}-${event.index}`;
}

/** A deal's clocks that are still running, soonest first. */
export interface Clock {
  deal: bigint;
  milestone?: number;
  label: string;
  at: bigint;
  /** Who must act before it, and what happens after. */
  meaning: string;
}

export function clocksOf({ view, milestones }: LoadedDeal): Clock[] {
  const deal = view.deal;
  const id = view.id;
  const clocks: Clock[] = [];
  if (deal.status === 'Proposed') {
    clocks.push({
      deal: id,
      label: 'proposal expires (funding deadline)',
      at: deal.fundBy,
      meaning: 'the counterparty must accept before it',
    });
  }
  if (deal.status === 'Active' && deal.deposited < deal.total && !deal.fundingClosed) {
    clocks.push({
      deal: id,
      label: 'funding deadline',
      at: deal.fundBy,
      meaning: 'the buyer must deposit before it; after it, unfunded milestones lapse',
    });
  }
  if (deal.status !== 'Active') return clocks;
  for (const m of milestones) {
    const s = m.milestone.status;
    if (s === 'Pending') {
      clocks.push({
        deal: id,
        milestone: m.index,
        label: `milestone ${m.index} ship-by`,
        at: m.milestone.shipBy,
        meaning: 'the seller must submit before it; after it the buyer is refunded',
      });
    }
    if (s === 'Submitted' && m.reviewEnds !== undefined) {
      clocks.push({
        deal: id,
        milestone: m.index,
        label: `milestone ${m.index} review ends`,
        at: m.reviewEnds,
        meaning: 'the buyer may approve or dispute until then; after it the seller is paid',
      });
    }
    if (s === 'Disputed' && m.arbitrationEnds !== undefined) {
      clocks.push({
        deal: id,
        milestone: m.index,
        label: `milestone ${m.index} arbitration ends`,
        at: m.arbitrationEnds,
        meaning: 'the parties settle or the arbiter rules until then; after it the fallback split applies',
      });
    }
  }
  return clocks.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export type Role = 'buyer' | 'seller' | 'funder' | 'oracle' | 'arbiter' | 'payee' | 'observer';

export function rolesOf(deal: LoadedDeal, address: string): Role[] {
  const d = deal.view.deal;
  const roles: Role[] = [];
  if (d.buyer.address() === address) roles.push('buyer');
  if (d.seller.address() === address) roles.push('seller');
  if (d.funder?.address() === address) roles.push('funder');
  if (d.oracles.some((o) => o.address() === address)) roles.push('oracle');
  if (d.arbiter?.address() === address) roles.push('arbiter');
  // An assignee is in no role of the terms: it is paid for milestones (known once loaded).
  if (deal.milestones.some((m) => m.payee.address() === address && !roles.includes('seller'))) roles.push('payee');
  if (!roles.length) roles.push('observer');
  return roles;
}

/** The oracles whose bit is set in a milestone's `attestations` (bit `i`: oracle `i`). */
export function attestedBy<T>(attestations: number, oracles: T[]): T[] {
  return oracles.filter((_, i) => (attestations >> i) & 1);
}
