//! Money in and out: `escrow deal fund` deposits for a deal (the buyer, or the funder its
//! terms name, until the funding deadline); `escrow withdraw` pulls the payouts the chain
//! refused earlier (the signer's claimable balance), to the signer or, with `--to`, to
//! another account of its choice (for a payout that cannot land on its own account).

use std::io::Write;

use clap::Args;
use escrow_client::{accounts, messages, ClientError, Result};
use escrow_types::DealId;

use super::{call, report};
use crate::{exec, Ctx};

/// `escrow withdraw`.
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// Pay it to this account instead of the signer's (SS58, 0x-hex, //Dev or a keystore
    /// name): for a payout the signer's own account cannot receive, e.g. below the
    /// existential deposit on a fresh account.
    #[arg(long)]
    pub to: Option<String>,
}

/// `deal fund`.
#[derive(Debug, Args)]
pub struct FundArgs {
    /// Deal id.
    pub deal: u64,
    /// Amount, e.g. "1200.5 UNIT" or "1200.5".
    pub amount: String,
}

/// `deal fund`.
pub async fn fund(a: FundArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let token = ctx.chain().await?.token.clone();
    let amount = token
        .parse(&a.amount)
        .map_err(|e| ClientError::input(format!("amount: {e}")))?;
    if amount == 0 {
        return Err(ClientError::input("amount: must be more than zero"));
    }
    let s = format!("deal {} funded with {}", a.deal, token.format(amount));
    call(ctx, out, messages::fund(DealId(a.deal), amount), &s).await
}

/// `escrow withdraw [--to ACCOUNT]`: the summary names the amount the contract returns,
/// and where it went.
pub async fn withdraw(a: WithdrawArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let to =
        a.to.as_deref()
            .map(|s| ctx.resolve_account(s))
            .transpose()?;
    let (name, msg, dest) = match &to {
        Some(acc) => (
            "withdraw_to",
            messages::withdraw_to(accounts::ink_account(acc)),
            format!(" to {acc}"),
        ),
        None => ("withdraw", messages::withdraw(), String::new()),
    };
    let e = exec(ctx, msg).await?;
    let s = format!("withdrew {}{dest}", ctx.render().token.format(e.ret));
    report(ctx, out, name, &e, &s)
}
