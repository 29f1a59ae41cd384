//! `escrow deal assign ID --from N --to ACCOUNT`: assigns a deal's receivable (factoring).
//! From milestone N to the last, every unsettled milestone's payments to the seller's side
//! go to ACCOUNT from then on. Refunds still go to the buyer, and the seller stays the
//! party that submits, disputes and settles; settled milestones are untouched. The seller
//! assigns first; an assignee may assign again.
//!
//! What changes is printed (on stderr) before anything is signed: each milestone whose
//! payee changes, its amount in the deal's asset, and who it paid until now.

use std::io::Write;

use clap::Args;
use escrow_client::{
    accounts::{ink_account, ss58},
    messages,
    units::Token,
    ClientError, Result,
};
use escrow_types::{Balance, DealId, MilestoneView};
use subxt::utils::AccountId32;

use super::report;
use crate::{exec, Ctx};

/// `deal assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Deal id.
    pub deal: u64,
    /// The first milestone of the range (it runs to the deal's last).
    #[arg(long)]
    pub from: u8,
    /// The new payee (a factor): SS58, 0x-hex, //Dev or a keystore name.
    #[arg(long)]
    pub to: String,
}

/// A milestone whose payee an assignment changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The milestone.
    pub index: u8,
    /// Its amount.
    pub amount: Balance,
    /// Who it paid until now (SS58).
    pub from: String,
}

/// The milestones an assignment from `from` changes, as the contract would: every
/// unsettled milestone from `from` on (settled ones are skipped). Empty: nothing to
/// assign (the contract refuses with `NothingToAssign`).
pub fn changes(ms: &[MilestoneView], from: u8) -> Vec<Change> {
    ms.iter()
        .filter(|m| m.index >= from && !m.milestone.status.is_terminal())
        .map(|m| Change {
            index: m.index,
            amount: m.milestone.amount,
            from: ss58(&m.payee),
        })
        .collect()
}

/// The lines that say what an assignment to `to` changes, amounts in `units`.
pub fn preview(id: u64, from: u8, to: &AccountId32, cs: &[Change], units: &Token) -> Vec<String> {
    let total = cs
        .iter()
        .try_fold(0u128, |s, c| s.checked_add(c.amount))
        .map_or_else(|| "beyond 2^128-1".to_string(), |t| units.format(t));
    let mut lines = vec![format!(
        "assigning the receivable of deal {id} from milestone {from} on to {to}: {} milestone(s), {total}",
        cs.len()
    )];
    for c in cs {
        lines.push(format!(
            "  #{} {}: paid {} until now, {to} from now on",
            c.index,
            units.format(c.amount),
            c.from
        ));
    }
    lines.push(
        "  refunds still go to the buyer; the seller stays the party (submits, disputes, settles)"
            .into(),
    );
    lines
}

/// Runs `deal assign`.
pub async fn run(a: AssignArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let to = ctx.resolve_account(&a.to)?;
    let id = DealId(a.deal);
    let escrow = ctx.escrow().await?;
    let reads = escrow.reads_at_best().await?;
    let (view, ms) = reads.deal_with_milestones(id).await?;
    // Amounts only shown here: a token whose metadata is unreadable shows raw units.
    ctx.learn_deal_asset(id, view.deal.asset).await;
    let units = ctx.render().units(&view.deal.asset);
    if usize::from(a.from) >= ms.len() {
        return Err(ClientError::input(format!(
            "--from {}: deal {} has milestones 0 to {}",
            a.from,
            a.deal,
            ms.len().saturating_sub(1)
        )));
    }
    let cs = changes(&ms, a.from);
    // On stderr, whatever --quiet says: this is what the signer gives away.
    for line in preview(a.deal, a.from, &to, &cs, &units) {
        eprintln!("{line}");
    }
    let e = exec(ctx, messages::assign(id, a.from, ink_account(&to))).await?;
    let s = format!(
        "deal {} milestones {}.. assigned to {to} ({} changed)",
        a.deal, a.from, e.ret
    );
    report(ctx, out, "assign", &e, &s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_types::{Milestone, MilestoneStatus};

    fn m(index: u8, amount: Balance, status: MilestoneStatus, payee: u8) -> MilestoneView {
        let milestone = Milestone {
            amount,
            terms_hash: [0; 32],
            ship_by: 0,
            funded_from: 0,
            status,
            evidence_hash: None,
            submitted_at: None,
            attestations: 0,
            dispute: None,
            amendment: None,
            outcome: None,
            last_event_block: 0,
        };
        MilestoneView {
            index,
            milestone,
            payee: [payee; 32].into(),
            covered: 0,
            review_ends: None,
            arbitration_ends: None,
        }
    }

    #[test]
    fn an_assignment_changes_the_unsettled_milestones_from_its_first_on() {
        let ms = [
            m(0, 30, MilestoneStatus::Released, 2),
            m(1, 40, MilestoneStatus::Submitted, 2),
            m(2, 30, MilestoneStatus::Pending, 2),
        ];
        let seller = ss58(&[2u8; 32].into());
        assert_eq!(
            changes(&ms, 0),
            [
                Change {
                    index: 1,
                    amount: 40,
                    from: seller.clone()
                },
                Change {
                    index: 2,
                    amount: 30,
                    from: seller.clone()
                }
            ]
        );
        assert_eq!(changes(&ms, 2).len(), 1);
        // Everything in the range settled: nothing to assign.
        let done = [
            m(0, 30, MilestoneStatus::Released, 2),
            m(1, 40, MilestoneStatus::Refunded, 2),
        ];
        assert_eq!(changes(&done, 0), []);
    }

    #[test]
    fn the_preview_names_each_milestone_its_amount_and_old_and_new_payee() {
        let ms = [
            m(0, 300_000_000, MilestoneStatus::Released, 2),
            m(1, 400_000_000, MilestoneStatus::Pending, 2),
            m(2, 300_000_000, MilestoneStatus::Pending, 5),
        ];
        let usdt = Token {
            symbol: "USDT".into(),
            decimals: 6,
        };
        let factor = AccountId32([8; 32]);
        let text = preview(4, 1, &factor, &changes(&ms, 1), &usdt).join("\n");
        for needle in [
            format!("assigning the receivable of deal 4 from milestone 1 on to {factor}: 2 milestone(s), 700 USDT"),
            format!("#1 400 USDT: paid {} until now, {factor} from now on", ss58(&[2u8; 32].into())),
            format!("#2 300 USDT: paid {} until now", ss58(&[5u8; 32].into())),
            "refunds still go to the buyer".to_string(),
        ] {
            assert!(text.contains(&needle), "lacks {needle:?}:\n{text}");
        }
        assert!(!text.contains("#0"), "{text}");
    }
}
