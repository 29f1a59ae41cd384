//! Money in and out: `escrow deal fund` deposits for a deal; `escrow withdraw` pulls the
//! payouts the chain refused earlier (the signer's claimable balance).

use std::io::Write;

use clap::Args;
use escrow_client::{messages, ClientError, Result};
use escrow_types::DealId;

use super::{call, report};
use crate::{exec, Ctx};

/// No arguments.
#[derive(Debug, Args)]
pub struct NoArgs {}

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

/// `escrow withdraw`: the summary names the amount the contract returns.
pub async fn withdraw(ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let e = exec(ctx, messages::withdraw()).await?;
    let s = format!("withdrew {}", ctx.render().token.format(e.ret));
    report(ctx, out, "withdraw", &e, &s)
}
