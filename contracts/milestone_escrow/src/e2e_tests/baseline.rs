//! The baseline contract on chain: `bare_pay`'s own behaviour, which the cost table (see
//! `costs`) measures the escrow against. Moved here from `bare_pay`, so both contracts'
//! on-chain tests share one harness and one release build of each contract.

use super::*;
use bare_pay::bare_pay::{BarePay, BarePayRef, Error};

#[test]
fn pay_transfers_exact_amount_to_fresh_account() -> E2EResult<()> {
    run(async |mut client| {
        // given: a contract endowed with 10 UNIT and a payee that does not exist yet
        let endowment = 10 * UNIT;
        let amount = 3 * UNIT;
        let mut constructor = BarePayRef::new();
        let contract = client
            .instantiate("bare_pay", &ink_e2e::alice(), &mut constructor)
            .value(endowment)
            .submit()
            .await
            .expect("instantiate failed");
        let mut call_builder = contract.call_builder::<BarePay>();
        let (_, payee) = fresh_account("Payee")?;
        assert_eq!(client.free_balance(payee).await?, 0);
        let contract_before = client.free_balance(contract.account_id).await?;

        // when
        let pay = call_builder.pay(payee, amount);
        let result = client
            .call(&ink_e2e::bob(), &pay)
            .submit()
            .await
            .expect("pay failed");

        // then
        assert_eq!(result.return_value(), Ok(()));
        assert_eq!(client.free_balance(payee).await?, amount);
        assert_eq!(
            client.free_balance(contract.account_id).await?,
            contract_before - amount
        );
        let count = call_builder.count();
        let count = client.call(&ink_e2e::bob(), &count).dry_run().await?;
        assert_eq!(count.return_value(), 1);
        Ok(())
    })
}

#[test]
fn pay_fails_when_amount_exceeds_balance() -> E2EResult<()> {
    run(async |mut client| {
        // given
        let endowment = UNIT;
        let mut constructor = BarePayRef::new();
        let contract = client
            .instantiate("bare_pay", &ink_e2e::alice(), &mut constructor)
            .value(endowment)
            .submit()
            .await
            .expect("instantiate failed");
        let mut call_builder = contract.call_builder::<BarePay>();
        let (_, payee) = fresh_account("Payee")?;

        // when
        let pay = call_builder.pay(payee, 2 * endowment);
        let dry_run = client.call(&ink_e2e::bob(), &pay).dry_run().await?;

        // then: the typed error, the counter reverted, nothing moved
        assert_eq!(dry_run.return_value(), Err(Error::TransferFailed));
        assert_eq!(client.free_balance(payee).await?, 0);
        let count = call_builder.count();
        let count = client.call(&ink_e2e::bob(), &count).dry_run().await?;
        assert_eq!(count.return_value(), 0);
        Ok(())
    })
}
