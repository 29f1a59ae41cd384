//! Money in and out: `escrow deal fund` deposits for a deal (the buyer, or the funder its
//! terms name, until the funding deadline), in the deal's asset (a token deal's deposit is
//! [`super::deposit`]); `escrow withdraw` pulls the payouts the chain (or, with `--token`,
//! a token) refused earlier (the signer's claimable balance), to the signer or, with `--to`,
//! to another account of its choice (for a payout that cannot land on its own account).

use std::io::Write;

use clap::Args;
use escrow_client::{
    accounts, config::AssetRef, messages, token::format_or_raw, ClientError, Result,
};
use escrow_types::DealId;
use subxt::utils::AccountId32;

use super::{call, deposit, report};
use crate::{exec, Ctx};

/// `escrow withdraw`.
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// Pay it to this account instead of the signer's (SS58, 0x-hex, //Dev or a keystore
    /// name): for a payout the signer's own account cannot receive, e.g. below the
    /// existential deposit on a fresh account.
    #[arg(long)]
    pub to: Option<String>,
    /// Withdraw what a token refused earlier, in this token (its address, or the symbol of
    /// a token this CLI knows): `withdraw_tokens`. Without it: native payouts.
    #[arg(long, value_name = "ADDRESS|SYMBOL")]
    pub token: Option<String>,
}

/// `deal fund`.
#[derive(Debug, Args)]
pub struct FundArgs {
    /// Deal id.
    pub deal: u64,
    /// Amount in the deal's asset, e.g. "1200.5", "1200.5 UNIT" or "250 USDT".
    pub amount: String,
    /// Token deals: never approve; if the escrow's allowance is short, say which approval
    /// is missing and sign nothing.
    #[arg(long = "no-approve")]
    pub no_approve: bool,
}

/// `deal fund`: reads the deal for its asset, parses the amount in it; a native deposit is
/// `fund` (with value), a token deposit `fund_tokens` after the checks and the approval of
/// [`super::deposit`].
pub async fn fund(a: FundArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let id = DealId(a.deal);
    let escrow = ctx.escrow().await?;
    let view = escrow.reads_at_best().await?.deal(id).await?;
    let units = ctx.asset_units(&view.deal.asset).await?;
    ctx.learn_deal_asset(id, view.deal.asset).await;
    let amount = units
        .parse(&a.amount)
        .map_err(|e| ClientError::input(format!("amount: {e}")))?;
    if amount == 0 {
        return Err(ClientError::input("amount: must be more than zero"));
    }
    if let Some(t) = view.deal.asset.token() {
        let (_, info) = ctx.token(&accounts::chain_account(&t)).await?;
        return deposit::deposit_tokens(
            ctx,
            out,
            id,
            &view.deal,
            &info,
            amount,
            a.no_approve,
            None,
        )
        .await;
    }
    let s = format!("deal {} funded with {}", a.deal, units.format(amount));
    call(ctx, out, messages::fund(id, amount), &s).await
}

/// `escrow withdraw [--to ACCOUNT] [--token T]`: the summary names the amount the contract
/// returns, in its asset, and where it went.
pub async fn withdraw(a: WithdrawArgs, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    let to =
        a.to.as_deref()
            .map(|s| ctx.resolve_account(s))
            .transpose()?;
    if let Some(t) = &a.token {
        return withdraw_tokens(ctx, out, t, to).await;
    }
    let (name, msg, dest) = match &to {
        Some(acc) => (
            "withdraw_to",
            messages::withdraw_to(accounts::ink_account(acc)),
            format!(" to {acc}"),
        ),
        None => ("withdraw", messages::withdraw(), String::new()),
    };
    let e = exec(ctx, msg).await?;
    let s = format!("withdrew {}{dest}", ctx.render().native.format(e.ret));
    report(ctx, out, name, &e, &s)
}

/// `withdraw --token T [--to A]`: `withdraw_tokens(token, to)`, `to` defaulting to the
/// signer. Nothing is typed in the token's units, so a token whose metadata is unusable
/// (the token that refused to pay, say) can still be withdrawn from by its address: the
/// amount is then shown in its smallest unit, with a warning. The contract refuses an
/// address it holds nothing in (`NothingToWithdraw`).
async fn withdraw_tokens(
    ctx: &mut Ctx,
    out: &mut impl Write,
    token: &str,
    to: Option<AccountId32>,
) -> Result<()> {
    let address = match ctx.check_asset_name(token, "--token")? {
        AssetRef::Native => {
            return Err(ClientError::input(
                "--token native: native payouts are withdrawn without --token",
            ))
        }
        AssetRef::Token { address, .. } => address,
    };
    let info = match ctx.resolve_asset(token, "--token").await {
        Ok((_, info)) => info,
        Err(e @ ClientError::NotToken { .. }) => {
            eprintln!(
                "warning: {}; the amount is shown in its smallest unit",
                e.to_string().lines().next().unwrap_or_default()
            );
            None
        }
        Err(e) => return Err(e),
    };
    let dest = match to {
        Some(a) => a,
        None => ctx.signer_address()?,
    };
    let msg = messages::withdraw_tokens(
        accounts::ink_account(&address),
        accounts::ink_account(&dest),
    );
    let e = exec(ctx, msg).await?;
    let s = format!(
        "withdrew {} of the token {address} to {dest}",
        format_or_raw(info.as_ref(), e.ret)
    );
    report(ctx, out, "withdraw_tokens", &e, &s)
}
