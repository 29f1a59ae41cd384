// The dashboard's flags: documented rules over a party's deals and their on-chain events
// (docs/dapp.md, "Flags"). Each flag says which rule fired, why, and the events behind it.
import type { DealEvent, LoadedDeal } from './deals';

export interface Flag {
  rule: Rule;
  deal: bigint;
  /** One sentence: what was seen. */
  finding: string;
  events: DealEvent[];
}

export type Rule =
  'dispute-rate' | 'repeated-extensions' | 'late-dispute' | 'early-attestations' | 'high-advance' | 'assigned-payouts';

/** Each rule, as the dashboard explains it. */
export const RULES: Record<Rule, string> = {
  'dispute-rate':
    'A counterparty disputed at least 2 milestones, and at least a quarter of those submitted in its deals with you.',
  'repeated-extensions': 'A deal whose ship-by dates were extended (amendments accepted) 2 or more times.',
  'late-dispute': 'A dispute opened in the last hour of its review window.',
  'early-attestations': 'An oracle attested milestones before the seller submitted them, 2 or more times.',
  'high-advance': 'A deal whose advance (paid at funding) is more than half its total.',
  'assigned-payouts':
    "A deal whose payouts the seller assigned to a third party (factoring): money goes to an account that is not the deal's seller.",
};

const HOUR_MS = 3_600_000n;

export interface Party {
  address: string;
  deals: LoadedDeal[];
  events: Map<bigint, DealEvent[]>;
}

export function flagsOf({ address, deals, events }: Party): Flag[] {
  const flags: Flag[] = [];
  const eventsOf = (d: LoadedDeal) => events.get(d.view.id) ?? [];
  const named = (d: LoadedDeal, name: string) => eventsOf(d).filter((e) => e.name === name);

  // dispute-rate: per counterparty, over every deal with it.
  const byCounterparty = new Map<string, { submitted: number; disputes: DealEvent[]; deal: bigint }>();
  for (const d of deals) {
    const buyer = d.view.deal.buyer.address();
    const seller = d.view.deal.seller.address();
    const other = buyer === address ? seller : seller === address ? buyer : undefined;
    if (!other) continue;
    const entry = byCounterparty.get(other) ?? { submitted: 0, disputes: [], deal: d.view.id };
    entry.submitted += named(d, 'MilestoneSubmitted').length;
    entry.disputes.push(...named(d, 'MilestoneDisputed').filter((e) => e.data.by.address() === other));
    byCounterparty.set(other, entry);
  }
  for (const [other, { submitted, disputes }] of byCounterparty) {
    if (disputes.length >= 2 && disputes.length * 4 >= submitted) {
      flags.push({
        rule: 'dispute-rate',
        deal: disputes[0].data.dealId,
        finding: `${other} disputed ${disputes.length} of ${submitted} submitted milestones`,
        events: disputes,
      });
    }
  }

  for (const d of deals) {
    const id = d.view.id;
    const extensions = named(d, 'AmendmentAccepted');
    if (extensions.length >= 2) {
      flags.push({
        rule: 'repeated-extensions',
        deal: id,
        finding: `ship-by extended ${extensions.length} times`,
        events: extensions,
      });
    }

    for (const dispute of named(d, 'MilestoneDisputed')) {
      const submission = named(d, 'MilestoneSubmitted')
        .filter((s) => s.data.index === dispute.data.index && s.block <= dispute.block)
        .at(-1);
      if (submission && submission.data.reviewEnds - dispute.at <= HOUR_MS) {
        const minutes = (submission.data.reviewEnds - dispute.at) / 60_000n;
        flags.push({
          rule: 'late-dispute',
          deal: id,
          finding: `milestone ${dispute.data.index} disputed ${minutes} min before its review window ended`,
          events: [submission, dispute],
        });
      }
    }

    const proposal = named(d, 'DealProposed')[0];
    const first = d.milestones[0];
    if (d.view.deal.advance && first && first.milestone.amount * 2n > d.view.deal.total) {
      const share = (first.milestone.amount * 100n) / d.view.deal.total;
      flags.push({
        rule: 'high-advance',
        deal: id,
        finding: `the advance is ${share}% of the total`,
        events: proposal ? [proposal] : [],
      });
    }

    const assignments = named(d, 'ReceivableAssigned');
    if (assignments.length) {
      const to = assignments.map((a) => a.data.to.address()).join(', ');
      flags.push({ rule: 'assigned-payouts', deal: id, finding: `payouts assigned to ${to}`, events: assignments });
    }
  }

  // early-attestations: per oracle, over every deal.
  const early = new Map<string, DealEvent[]>();
  for (const d of deals) {
    for (const attestation of named(d, 'MilestoneAttested')) {
      const submitted = named(d, 'MilestoneSubmitted').some(
        (s) =>
          s.data.index === attestation.data.index &&
          (s.block < attestation.block || (s.block === attestation.block && s.index < attestation.index)),
      );
      if (submitted) continue;
      const oracle = attestation.data.oracle.address();
      early.set(oracle, [...(early.get(oracle) ?? []), attestation]);
    }
  }
  for (const [oracle, attestations] of early) {
    if (attestations.length >= 2) {
      flags.push({
        rule: 'early-attestations',
        deal: attestations[0].data.dealId,
        finding: `oracle ${oracle} attested ${attestations.length} milestones before their submission`,
        events: attestations,
      });
    }
  }
  return flags;
}
