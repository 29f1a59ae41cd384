// The happy path through the UI alone, in dollars: the seller proposes with the split helper
// and an oracle condition hashed in the browser, the buyer reads every term, checks the
// condition and accepts and funds (approve, accept, fund_tokens), the seller submits an evidence
// document, the buyer checks and approves it; then the balances, read from the chain.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { ARTIFACTS, DEV, ESCROW_BIN, outcome, screenshot, setUp } from './harness.mjs';

const LOADED = {
  format: 'milestone-escrow/condition/v1',
  transportDocumentReference: 'MUN-HAM-0042',
  events: [{ eventType: 'EQUIPMENT', equipmentEventTypeCode: 'LOAD', location: 'INMUN' }],
};

let chain;
before(async () => {
  chain = await setUp();
});
after(async () => chain?.tearDown());

const USD = 1_000_000n; // 10^6: the stablecoin's smallest units per dollar

test('propose, accept and fund, submit and approve through the UI move exactly the dollars the terms say', async () => {
  const before = {
    seller: await chain.usd(DEV.Charlie),
    buyer: await chain.usd(DEV.Bob),
    fees: await chain.usd(DEV.Alice),
    escrow: await chain.usd(chain.escrow),
  };

  // The seller proposes: 1,000 USD, 30/40/30 with an advance, a condition document per milestone.
  const seller = await chain.page('Charlie', '/propose');
  await seller.getByLabel('counterparty').fill('Bob');
  await seller.getByLabel('asset').selectOption({ label: 'USD' });
  await seller.getByLabel('total', { exact: true }).fill('1000');
  await seller.getByRole('button', { name: '30/40/30' }).click();
  await seller.getByLabel('arbiter').fill('Dave');
  // Milestone 1's terms document is an oracle condition (docs/oracle.md): hashed over its
  // canonical form, as the CLI and the oracle service hash it.
  const condition = join(ARTIFACTS, 'loaded-mundra.json');
  writeFileSync(condition, JSON.stringify(LOADED, null, 2));
  const conditionHash = JSON.parse(
    execFileSync(ESCROW_BIN, ['--json', 'condition', 'show', condition]).toString(),
  ).hash;
  await seller.getByLabel('document 1').setInputFiles(condition);
  assert.equal(
    await seller.getByTestId('condition-1').textContent(),
    ' oracle condition: EQUIPMENT LOAD at INMUN for MUN-HAM-0042',
  );
  const doc = join(ARTIFACTS, 'bill-of-lading.txt');
  writeFileSync(doc, 'MUN-HAM-0042: 8,000 shirts, loaded at INMUN');
  await seller.getByTestId('review').click();
  const hash = await seller.getByTestId('propose-hash').textContent();
  assert.match(hash, /^0x[0-9a-f]{64}$/);
  await screenshot(seller, 'propose');
  await seller.getByTestId('propose').click();
  await seller.getByTestId('deal-page').waitFor();
  const id = Number((await seller.locator('h2').textContent()).match(/Deal (\d+)/)[1]);
  const shown = await chain.cli('--json', 'deal', 'show', String(id));
  assert.equal(shown.milestones[1].milestone.terms_hash, conditionHash);

  // The buyer sees every term and the hash the page computed, which is the proposal's.
  const buyer = await chain.page('Bob', `/deal/${id}`);
  await buyer.getByTestId('accept-panel').getByText('(matches the proposal)').waitFor();
  assert.equal(await buyer.getByTestId('accept-hash').textContent(), hash);
  assert.equal(await buyer.getByTestId('term-total').textContent(), '1,000 USD');
  assert.equal(await buyer.getByTestId('milestone-term').count(), 3);
  // The buyer checks the condition document the seller sent along against the milestone.
  await buyer.getByTestId('milestone-1').getByLabel('check a document').setInputFiles(condition);
  assert.equal(
    await buyer.getByTestId('milestone-1').getByTestId('document-check').textContent(),
    'matches its condition: EQUIPMENT LOAD at INMUN for MUN-HAM-0042',
  );
  await screenshot(buyer, 'accept');
  await buyer.getByTestId('accept').click();
  await outcome(buyer.getByTestId('accept-panel'));
  await buyer.getByTestId('deal-status').getByText('Active').waitFor();
  // The advance (300 USD) was released at funding.
  await buyer.getByTestId('milestone-0').getByTestId('milestone-status').getByText('Released').waitFor();

  // The seller submits milestone 1 with its evidence; the buyer approves it.
  await seller.reload();
  await seller.getByTestId('milestone-1').getByLabel('evidence document').setInputFiles(doc);
  await seller.getByTestId('milestone-1').getByRole('button', { name: 'Submit evidence' }).click();
  await outcome(seller.getByTestId('milestone-1'));
  await buyer.reload();
  await buyer.getByTestId('milestone-1').getByLabel('check a document').setInputFiles(doc);
  assert.equal(
    await buyer.getByTestId('milestone-1').getByTestId('document-check').textContent(),
    'matches its evidence',
  );
  await buyer.getByTestId('milestone-1').getByRole('button', { name: 'Approve' }).click();
  await outcome(buyer.getByTestId('milestone-1'));
  await buyer.getByTestId('milestone-1').getByTestId('milestone-status').getByText('Released').waitFor();
  await buyer.getByTestId('event-row').filter({ hasText: 'MilestoneReleased' }).nth(1).waitFor();
  await screenshot(buyer, 'deal');

  // On chain: the buyer paid 1,000 USD; 700 released (300 + 400) less 1% to the seller, the
  // fee to the fee recipient, and the 300 USD of milestone 2 stays locked in the escrow.
  assert.equal(await chain.usd(DEV.Bob), before.buyer - 1000n * USD);
  assert.equal(await chain.usd(DEV.Charlie), before.seller + 693n * USD);
  assert.equal(await chain.usd(DEV.Alice), before.fees + 7n * USD);
  assert.equal(await chain.usd(chain.escrow), before.escrow + 300n * USD);
  const events = await buyer.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.dataset.event));
  assert.deepEqual(events, [
    'DealProposed',
    'DealAccepted',
    'DealFunded',
    'MilestoneReleased',
    'MilestoneSubmitted',
    'MilestoneReleased',
  ]);
});
