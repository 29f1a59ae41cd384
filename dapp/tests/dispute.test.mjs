// A dispute and an arbiter's split through the UI, and a refused action: its error shown by
// name, and nothing signed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEV, hash, outcome, screenshot, seedDeal, setUp } from './harness.mjs';

let chain;
before(async () => {
  chain = await setUp();
});
after(async () => chain?.tearDown());

const UNIT = 1_000_000_000_000n; // 10^12: the native token's smallest units per UNIT

test('the buyer disputes a submitted milestone and the arbiter splits it 60/40, paid exactly', async () => {
  const id = await seedDeal(chain, { extra: ['--arbiter', '//Dave'], fund: false });
  // The buyer accepts and funds in the page: a native deal is one call carrying the total.
  const escrowFunded = await chain.free(chain.escrow);
  const buyer = await chain.page('Bob', `/deal/${id}`);
  await buyer.getByTestId('accept-panel').getByText('(matches the proposal)').waitFor();
  await buyer.getByTestId('accept').click();
  assert.match(await outcome(buyer.getByTestId('accept-panel')), /^Accepted in block #\d+ and funded$/);
  assert.equal(await chain.free(chain.escrow), escrowFunded + 1000n * UNIT);
  await chain.cli('--suri', '//Charlie', 'deal', 'submit', String(id), '1', '--evidence-hash', hash('b1'));
  await buyer.reload();
  const m1 = buyer.getByTestId('milestone-1');
  await m1.getByLabel('reason').fill('3 of 8,000 shirts arrived torn');
  await m1.getByRole('button', { name: 'Dispute' }).click();
  await outcome(m1);
  await m1.getByTestId('milestone-status').getByText('Disputed').waitFor();
  await buyer.getByTestId('clock').filter({ hasText: 'milestone 1 arbitration ends' }).waitFor();
  await screenshot(buyer, 'dispute');

  const escrowBefore = await chain.free(chain.escrow);
  const feesBefore = await chain.free(DEV.Alice);
  const arbiter = await chain.page('Dave', `/deal/${id}`);
  const a1 = arbiter.getByTestId('milestone-1');
  assert.equal(await arbiter.getByTestId('roles').textContent(), 'You are: arbiter.');
  await a1.getByLabel('sellerAmount').fill('240');
  await a1.getByRole('button', { name: 'Rule: seller gets' }).click();
  await outcome(a1);
  await a1.getByTestId('milestone-status').getByText('Resolved').waitFor();
  // 240 of the 400 UNIT to the seller less the 1% fee, 160 back to the buyer.
  assert.equal(
    await a1.getByTestId('milestone-outcome').textContent(),
    'seller 237.6 UNIT, fee 2.4 UNIT, buyer 160 UNIT',
  );
  await screenshot(arbiter, 'arbiter-split');

  // On chain: the escrow paid out exactly the 400 UNIT of the milestone, 2.4 of it the fee
  // (the fee recipient signed nothing meanwhile, so its balance moves by the fee alone).
  assert.equal(await chain.free(chain.escrow), escrowBefore - 400n * UNIT);
  assert.equal(await chain.free(DEV.Alice), feesBefore + (24n * UNIT) / 10n);
  const shown = await chain.cli('--json', 'deal', 'show', String(id));
  assert.equal(shown.milestones[1].milestone.status, 'Resolved');
});

test('disputing a milestone that was never submitted shows WrongMilestoneState and signs nothing', async () => {
  const id = await seedDeal(chain);
  const nonce = await chain.nonce(DEV.Bob);
  const buyer = await chain.page('Bob', `/deal/${id}`);
  const m2 = buyer.getByTestId('milestone-2');
  await m2.getByLabel('reason').fill('not shipped yet');
  await m2.getByRole('button', { name: 'Dispute' }).click();
  const refusal = m2.getByTestId('refusal');
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute('data-error'), 'WrongMilestoneState');
  assert.equal(
    await refusal.textContent(),
    'WrongMilestoneState (found Pending): Returned if the milestone is not in a state that allows the message. Nothing was signed.',
  );
  await screenshot(buyer, 'refused');
  assert.equal(await chain.nonce(DEV.Bob), nonce, 'the buyer signed nothing');
  assert.equal((await chain.cli('--json', 'deal', 'show', String(id))).milestones[2].milestone.status, 'Pending');
});

test('the parties settle a dispute by an offer the other accepts as shown, and extend a ship-by by amendment', async () => {
  const id = await seedDeal(chain);
  await chain.cli('--suri', '//Charlie', 'deal', 'submit', String(id), '1', '--evidence-hash', hash('b2'));
  await chain.cli('--suri', '//Bob', 'deal', 'dispute', String(id), '1', '--hash', hash('d2'));

  // The seller offers to take 300 of the 400 UNIT; the buyer's page shows the offer and accepts it.
  const seller = await chain.page('Charlie', `/deal/${id}`);
  const s1 = seller.getByTestId('milestone-1');
  await s1.getByLabel('sellerAmount').fill('300');
  await s1.getByRole('button', { name: 'Offer a settlement' }).click();
  await outcome(s1);
  const buyer = await chain.page('Bob', `/deal/${id}`);
  const b1 = buyer.getByTestId('milestone-1');
  await b1.getByText('offer by the seller: 300 UNIT to the seller, the rest to the buyer').waitFor();
  await b1.getByRole('button', { name: 'Accept the offer' }).click();
  await outcome(b1);
  await b1.getByTestId('milestone-status').getByText('Resolved').waitFor();
  assert.equal(await b1.getByTestId('milestone-outcome').textContent(), 'seller 297 UNIT, fee 3 UNIT, buyer 100 UNIT');

  // The seller asks for a later ship-by for milestone 2; the buyer accepts the date shown.
  const s2 = seller.getByTestId('milestone-2');
  await seller.reload();
  await s2.getByLabel('shipBy').fill('2099-05-01T00:00:00Z');
  await s2.getByRole('button', { name: 'Propose a new ship-by' }).click();
  await outcome(s2);
  await buyer.reload();
  const b2 = buyer.getByTestId('milestone-2');
  await b2.getByText('the seller proposes ship-by 2099-05-01 00:00:00Z').waitFor();
  await b2.getByRole('button', { name: 'Accept the new ship-by' }).click();
  await outcome(b2);
  const shown = await chain.cli('--json', 'deal', 'show', String(id));
  assert.equal(shown.milestones[2].milestone.ship_by, Date.parse('2099-05-01T00:00:00Z'));
  assert.equal(shown.milestones[1].milestone.status, 'Resolved');
});

test('a deposit beyond what the deal lacks is refused as OverFunded, naming what remains, then the exact deposit goes through', async () => {
  const id = await seedDeal(chain, { accept: true, fund: false });
  const buyer = await chain.page('Bob', `/deal/${id}`);
  const deposit = buyer.getByTestId('action-fund');
  assert.equal(await deposit.getByLabel('amount').inputValue(), '1000', 'prefilled with what the deal lacks');
  await deposit.getByLabel('amount').fill('1000.5');
  await deposit.getByRole('button', { name: 'Deposit' }).click();
  const refusal = buyer.getByTestId('refusal');
  await refusal.waitFor();
  assert.equal(
    await refusal.textContent(),
    'OverFunded (remaining 1000000000000000): Returned if a deposit would take the deal beyond its total. Nothing was signed.',
  );
  const escrowBefore = await chain.free(chain.escrow);
  await deposit.getByLabel('amount').fill('1000');
  await deposit.getByRole('button', { name: 'Deposit' }).click();
  await refusal.waitFor({ state: 'detached' }); // the earlier refusal gives way to this action's outcome
  await outcome(buyer.getByTestId('deal-page'));
  assert.equal(await chain.free(chain.escrow), escrowBefore + 1000n * UNIT);
});

test('a proposal with a ship-by in the past is refused at review by name, and nothing is signed', async () => {
  const nonce = await chain.nonce(DEV.Charlie);
  const seller = await chain.page('Charlie', '/propose');
  await seller.getByLabel('counterparty').fill('Bob');
  await seller.getByLabel('total', { exact: true }).fill('1000');
  await seller.getByLabel('ship-by 0').fill('2020-01-01T00:00');
  await seller.getByTestId('review').click();
  const refusal = seller.getByTestId('refusal');
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute('data-error'), 'ShipByInPast');
  assert.equal(await seller.getByTestId('propose').count(), 0, 'no proposal to sign');
  assert.equal(await chain.nonce(DEV.Charlie), nonce);
});
