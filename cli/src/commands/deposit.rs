//! Deposits into a token deal (`deal fund`, `deal accept --fund`): the escrow pulls the
//! tokens with the token's `transfer_from`, so the funder must first approve the escrow on
//! the token for at least the amount.
//!
//! Before anything is signed, the deposit is checked here as the contract and the token
//! would check it ([`plan`], a pure function): the signer may fund (buyer or named funder),
//! the deal takes deposits (active, funding open, deadline not passed, not over the
//! total), the signer holds enough of the token, and the escrow's allowance covers it. A
//! short allowance is raised with `approve(escrow, amount)` — exactly the amount deposited,
//! never more — unless `--no-approve`, which instead says which approval is missing (token,
//! spender, amount needed, current allowance) and signs nothing.
//!
//! Then the transactions, each dry-run right before it is signed and submitted once, in
//! order: `approve` (if needed), `accept` (for `deal accept --fund`), `fund_tokens`. The
//! plan is confirmed once (on a terminal). `fund_tokens` cannot be dry-run before the
//! approval and the acceptance are on chain; if it is refused then, the earlier steps stay
//! (an allowance, an acceptance) and the error says so, so a retry neither approves nor
//! accepts twice.

use std::io::Write;

use escrow_client::{
    accounts::ink_account,
    keystore, messages,
    token::{self, TokenInfo},
    ClientError, Result,
};
use escrow_types::{Balance, Deal, DealId, DealStatus, Digest, Error, Timestamp};
use subxt::utils::AccountId32;

use super::{report, report_step, report_steps, Step};
use crate::{exec, exec_token, prompt, render, Ctx};

/// What a token deposit needs besides `fund_tokens` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Approve the escrow for exactly this much first (the allowance is short).
    pub approve: Option<Balance>,
}

/// The facts a token deposit is decided on, read at one block.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The deal as stored.
    pub deal: &'a Deal,
    /// Whether the deposit follows an acceptance in the same command (then the deal is
    /// still `Proposed`; the acceptance's own dry-run checks that).
    pub accepting: bool,
    /// Who signs.
    pub signer: &'a AccountId32,
    /// The chain's time.
    pub now: Timestamp,
    /// The deposit.
    pub amount: Balance,
    /// The signer's token balance.
    pub balance: Balance,
    /// What the escrow may take from the signer now.
    pub allowance: Balance,
    /// The deal's token.
    pub token: &'a TokenInfo,
    /// The escrow (the spender).
    pub escrow: &'a AccountId32,
    /// Approve a short allowance (else refuse, naming the approval missing).
    pub auto_approve: bool,
}

/// Decides a token deposit before anything is signed: the contract's checks of
/// `fund_tokens` (in its order), then the token's (balance, allowance). Returns what to
/// approve first, or the refusal: the contract's error by name (exit 1), a short balance or
/// a missing approval (exit 1, naming token, spender, amount needed and allowance).
pub fn plan(f: &Facts<'_>) -> Result<Plan> {
    // The contract's own rules (escrow_types::Funding), in `fund_tokens`' order.
    let d = f.deal;
    let funding = d.funding();
    funding
        .ensure_funder(&ink_account(f.signer))
        .map_err(ClientError::Contract)?;
    if !f.accepting && d.status != DealStatus::Active {
        return Err(ClientError::Contract(Error::WrongDealState {
            found: d.status,
        }));
    }
    if f.amount == 0 {
        return Err(ClientError::input("the deposit must be more than zero"));
    }
    funding
        .ensure_fits(f.amount, f.now)
        .map_err(ClientError::Contract)?;
    let t = f.token;
    if f.balance < f.amount {
        return Err(ClientError::Rejected(format!(
            "{} holds {} of the token {} ({}), less than the {} to deposit: the token would \
             refuse the transfer; nothing was submitted",
            f.signer,
            t.format(f.balance),
            t.address,
            t.symbol,
            t.format(f.amount)
        )));
    }
    if f.allowance >= f.amount {
        return Ok(Plan { approve: None });
    }
    if f.auto_approve {
        return Ok(Plan {
            approve: Some(f.amount),
        });
    }
    Err(ClientError::Rejected(format!(
        "missing approval: the escrow may not pull this deposit from {}\n  token      {} ({})\n  \
         spender    {} (the escrow)\n  needed     {}\n  allowance  {}\napprove the escrow on the \
         token for the amount (`escrow token approve --token {} {}`, the token's \
         PSP22::approve), or run without --no-approve and `escrow` approves exactly the amount \
         it deposits; nothing was submitted",
        f.signer,
        t.address,
        t.symbol,
        f.escrow,
        t.format(f.amount),
        t.format(f.allowance),
        t.address,
        t.format(f.amount).replace(' ', ""),
    )))
}

/// Deposits `amount` into token deal `id` (paid in `token`), first accepting it with
/// `accept` (its terms hash) when given: checks ([`plan`]), approves the escrow if needed
/// (unless `no_approve`), accepts, and calls `fund_tokens`. `accept_summary` describes
/// the acceptance.
#[allow(clippy::too_many_arguments)]
pub async fn deposit_tokens(
    ctx: &mut Ctx,
    out: &mut impl Write,
    id: DealId,
    deal: &Deal,
    token: &TokenInfo,
    amount: Balance,
    no_approve: bool,
    accept: Option<(Digest, String)>,
) -> Result<()> {
    let escrow = ctx.escrow().await?;
    let signer = ctx.signer()?;
    let me = keystore::address_of(&signer);
    let (psp22, _) = ctx.token(&token.address).await?;
    // The acceptance first: it fails on the terms or the deal's state before anything is
    // said about funding it.
    if let Some((hash, _)) = &accept {
        escrow.dry_run(&me, &messages::accept(id, *hash, 0)).await?;
    }
    let reads = escrow.reads_at_best().await?;
    let now = reads.now().await?;
    let balance = psp22.balance_of(reads.block, &me).await?;
    let allowance = psp22.allowance(reads.block, &me, escrow.address()).await?;
    let p = plan(&Facts {
        deal,
        accepting: accept.is_some(),
        signer: &me,
        now,
        amount,
        balance,
        allowance,
        token,
        escrow: escrow.address(),
        auto_approve: !no_approve,
    })?;
    let fund_summary = format!("deal {} funded with {}", id.0, token.format(amount));
    // Nothing to do before fund_tokens: one transaction, reported as `deal fund` always is.
    if p.approve.is_none() && accept.is_none() {
        let e = exec(ctx, messages::fund_tokens(id, amount)).await?;
        return report(ctx, out, "fund_tokens", &e, &fund_summary);
    }
    let approve_summary = p.approve.map(|v| {
        format!(
            "approved the escrow {} for exactly {} on the token {} (the allowance was {})",
            escrow.address(),
            token.format(v),
            token.address,
            token.format(allowance)
        )
    });
    let mut plan_lines = Vec::new();
    if let Some(v) = p.approve {
        plan_lines.push(format!(
            "approve the escrow {} for exactly {} on the token {} (the allowance is {})",
            escrow.address(),
            token.format(v),
            token.address,
            token.format(allowance)
        ));
    }
    if let Some((hash, _)) = &accept {
        plan_lines.push(format!(
            "accept deal {} (terms hash {})",
            id.0,
            escrow_client::units::hex0x(hash)
        ));
    }
    plan_lines.push(format!(
        "fund_tokens: deposit {} into deal {}",
        token.format(amount),
        id.0
    ));
    let plan_text = plan_lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("  {}. {l}", i + 1))
        .collect::<Vec<_>>()
        .join("\n");
    if !ctx.global.quiet {
        eprintln!(
            "depositing {} in deal {} takes {} transactions:\n{plan_text}",
            token.format(amount),
            id.0,
            plan_lines.len()
        );
    }
    let escrow_addr = escrow.address().to_string();
    let mut steps: Vec<Step> = Vec::new();
    if ctx.global.dry_run {
        if let Some(v) = p.approve {
            let (dry, _) = exec_token(ctx, &psp22, token::approve(escrow.address(), v), "").await?;
            steps.push(Step {
                message: "approve",
                contract: token.address.to_string(),
                summary: approve_summary.clone().unwrap_or_default(),
                ret: render::to_json(&()),
                dry,
                included: None,
            });
        }
        if let Some((hash, summary)) = &accept {
            let e = exec(ctx, messages::accept(id, *hash, 0)).await?;
            steps.push(Step {
                message: "accept",
                contract: escrow_addr.clone(),
                summary: summary.clone(),
                ret: render::to_json(&e.ret),
                dry: e.dry,
                included: None,
            });
        }
        for s in &steps {
            report_step(ctx, out, s)?;
        }
        if !ctx.global.json {
            super::w(
                out,
                format!(
                    "not dry-run: fund_tokens of {} (it needs the approval and the acceptance \
                     on chain first)",
                    token.format(amount)
                ),
            )?;
        }
        return report_steps(ctx, out, &steps);
    }
    prompt::confirm(
        &ctx.global,
        &format!("sign these transactions as {me}:\n{plan_text}"),
    )?;
    // Confirmed once for the whole plan: the steps below do not ask again.
    ctx.global.yes = true;
    if let Some(v) = p.approve {
        if !ctx.global.quiet {
            eprintln!(
                "approving the escrow {} for exactly {} on the token {} (allowance {} is short)",
                escrow.address(),
                token.format(v),
                token.address,
                token.format(allowance)
            );
        }
        let what = approve_summary.clone().unwrap_or_default();
        let (dry, included) =
            exec_token(ctx, &psp22, token::approve(escrow.address(), v), &what).await?;
        let step = Step {
            message: "approve",
            contract: token.address.to_string(),
            summary: what,
            ret: render::to_json(&()),
            dry,
            included,
        };
        report_step(ctx, out, &step)?;
        steps.push(step);
    }
    if let Some((hash, summary)) = &accept {
        let e = match exec(ctx, messages::accept(id, *hash, 0)).await {
            Ok(e) => e,
            Err(err) => {
                done_before(&steps, "accept");
                return Err(err);
            }
        };
        let step = Step {
            message: "accept",
            contract: escrow_addr.clone(),
            summary: summary.clone(),
            ret: render::to_json(&e.ret),
            dry: e.dry,
            included: e.included,
        };
        report_step(ctx, out, &step)?;
        steps.push(step);
    }
    let e = match exec(ctx, messages::fund_tokens(id, amount)).await {
        Ok(e) => e,
        Err(err) => {
            done_before(&steps, "fund_tokens");
            if !steps.is_empty() {
                eprintln!(
                    "deposit later with `escrow deal fund {} {}` (the approval stays)",
                    id.0,
                    token.format(amount).replace(' ', "")
                );
            }
            return Err(err);
        }
    };
    let step = Step {
        message: "fund_tokens",
        contract: escrow_addr,
        summary: fund_summary,
        ret: render::to_json(&e.ret),
        dry: e.dry,
        included: e.included,
    };
    report_step(ctx, out, &step)?;
    steps.push(step);
    report_steps(ctx, out, &steps)
}

/// Says on stderr which earlier steps are on chain when step `failed` did not happen: they
/// are not undone, and a retry finds them (no second approval, no second acceptance).
fn done_before(steps: &[Step], failed: &str) {
    if steps.is_empty() {
        return;
    }
    let done: Vec<String> = steps
        .iter()
        .filter_map(|s| {
            s.included.as_ref().map(|i| {
                format!(
                    "{} (tx {:?}, block #{})",
                    s.message, i.tx_hash, i.block_number
                )
            })
        })
        .collect();
    eprintln!(
        "{failed} did not go through; already on chain: {}",
        done.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use escrow_client::error::exit;
    use escrow_types::{ReleaseRule, Role};

    const M: Balance = 1_000_000; // 1 USDT

    fn deal(buyer: &AccountId32) -> Deal {
        Deal {
            buyer: ink_account(buyer),
            seller: [2; 32].into(),
            oracles: vec![],
            oracle_threshold: 0,
            arbiter: None,
            release_rule: ReleaseRule::Buyer,
            review_window: 1,
            arbitration_window: 1,
            fallback_seller_bps: 0,
            advance: false,
            agreement_hash: [0; 32],
            funder: None,
            fund_by: 1_000,
            asset: escrow_types::Asset::Psp22([9; 32].into()),
            terms_hash: [0; 32],
            milestone_count: 2,
            total: 100 * M,
            proposer: Role::Seller,
            status: DealStatus::Active,
            proposed_at: 0,
            accepted_at: Some(1),
            deposited: 30 * M,
            released: 0,
            fees: 0,
            refunded: 0,
            settled_count: 0,
            funding_closed: false,
            cancel_proposed_by: None,
            closure_recorded: false,
            last_event_block: 0,
        }
    }

    fn usdt() -> TokenInfo {
        TokenInfo {
            address: AccountId32([9; 32]),
            name: "US Dollar".into(),
            symbol: "USDT".into(),
            decimals: 6,
        }
    }

    struct Case {
        deal: Deal,
        accepting: bool,
        signer: AccountId32,
        now: Timestamp,
        amount: Balance,
        balance: Balance,
        allowance: Balance,
        auto_approve: bool,
    }

    impl Case {
        fn new() -> Case {
            let buyer = AccountId32([1; 32]);
            Case {
                deal: deal(&buyer),
                accepting: false,
                signer: buyer,
                now: 500,
                amount: 70 * M,
                balance: 70 * M,
                allowance: 0,
                auto_approve: true,
            }
        }

        fn plan(&self) -> Result<Plan> {
            let (token, escrow) = (usdt(), AccountId32([7; 32]));
            plan(&Facts {
                deal: &self.deal,
                accepting: self.accepting,
                signer: &self.signer,
                now: self.now,
                amount: self.amount,
                balance: self.balance,
                allowance: self.allowance,
                token: &token,
                escrow: &escrow,
                auto_approve: self.auto_approve,
            })
        }
    }

    fn contract_error(r: Result<Plan>) -> Error {
        match r {
            Err(ClientError::Contract(e)) => e,
            other => panic!("expected a contract error, got {other:?}"),
        }
    }

    #[test]
    fn a_short_allowance_is_approved_for_exactly_the_deposit() {
        let mut c = Case::new();
        assert_eq!(
            c.plan().unwrap(),
            Plan {
                approve: Some(70 * M)
            }
        );
        // A partial allowance is replaced by exactly the amount, not topped up.
        c.allowance = 69 * M;
        assert_eq!(c.plan().unwrap().approve, Some(70 * M));
    }

    #[test]
    fn an_allowance_that_covers_the_deposit_needs_no_approval() {
        let mut c = Case::new();
        c.allowance = 70 * M;
        assert_eq!(c.plan().unwrap(), Plan { approve: None });
        c.allowance = u128::MAX;
        assert_eq!(c.plan().unwrap(), Plan { approve: None });
    }

    #[test]
    fn no_approve_names_the_missing_approval_token_spender_amount_and_allowance() {
        let mut c = Case::new();
        c.auto_approve = false;
        c.allowance = 5 * M;
        let e = c.plan().unwrap_err();
        assert_eq!(e.exit_code(), exit::REJECTED);
        let text = e.to_string();
        for needle in [
            "missing approval".to_string(),
            format!("token      {} (USDT)", AccountId32([9; 32])),
            format!("spender    {} (the escrow)", AccountId32([7; 32])),
            "needed     70 USDT".to_string(),
            "allowance  5 USDT".to_string(),
            "nothing was submitted".to_string(),
        ] {
            assert!(text.contains(&needle), "lacks {needle:?}: {text}");
        }
    }

    #[test]
    fn a_short_token_balance_is_refused_naming_holder_token_and_amounts() {
        let mut c = Case::new();
        c.balance = 69_999_999;
        let e = c.plan().unwrap_err();
        assert_eq!(e.exit_code(), exit::REJECTED);
        assert_eq!(
            e.to_string(),
            format!(
                "rejected: {} holds 69.999999 USDT of the token {} (USDT), less than the 70 USDT \
                 to deposit: the token would refuse the transfer; nothing was submitted",
                AccountId32([1; 32]),
                AccountId32([9; 32])
            )
        );
    }

    #[test]
    fn the_contracts_checks_come_first_in_its_order() {
        // What the unchanged case plans; each taken variant below must plan exactly that.
        let taken = Case::new().plan().expect("the base case is taken");
        // Not the buyer nor the funder.
        let mut c = Case::new();
        c.signer = AccountId32([3; 32]);
        assert_eq!(contract_error(c.plan()), Error::CallerIsNotFunder);
        // The named funder may deposit.
        c.deal.funder = Some(ink_account(&AccountId32([3; 32])));
        assert_eq!(c.plan().expect("taken"), taken);
        // A deal that is not active (unless this command accepts it first).
        let mut c = Case::new();
        c.deal.status = DealStatus::Proposed;
        assert_eq!(
            contract_error(c.plan()),
            Error::WrongDealState {
                found: DealStatus::Proposed
            }
        );
        c.accepting = true;
        assert_eq!(c.plan().expect("taken"), taken);
        let mut c = Case::new();
        c.deal.funding_closed = true;
        assert_eq!(contract_error(c.plan()), Error::FundingClosed);
        let mut c = Case::new();
        c.now = 1_001;
        assert_eq!(contract_error(c.plan()), Error::FundingDeadlinePassed);
        // At the deadline itself deposits are still taken.
        c.now = 1_000;
        assert_eq!(c.plan().expect("taken"), taken);
        let mut c = Case::new();
        c.amount = 70 * M + 1;
        assert_eq!(
            contract_error(c.plan()),
            Error::OverFunded { remaining: 70 * M }
        );
        let mut c = Case::new();
        c.amount = 0;
        assert_eq!(c.plan().unwrap_err().exit_code(), exit::BAD_INPUT);
    }
}
