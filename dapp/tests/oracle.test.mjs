// The oracles' side in the page: under the Oracles rule the buyer's approval is refused by name,
// each oracle attests from its own page, and the quorum releases the milestone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEV, hash, outcome, screenshot, seedDeal, setUp } from './harness.mjs';

let chain;
before(async () => {
  chain = await setUp();
});
after(async () => chain?.tearDown());

const UNIT = 1_000_000_000_000n;

test('two oracles attest a submitted milestone from their pages and the quorum releases it; the buyer may not', async () => {
  const oracles = ['--oracle', '//Ferdie', '--oracle', '//Eve', '--threshold', '2', '--rule', 'oracles'];
  const id = await seedDeal(chain, { extra: oracles });
  await chain.cli('--suri', '//Charlie', 'deal', 'submit', String(id), '1', '--evidence-hash', hash('a1'));

  // The buyer's approval is refused by the rule, and nothing is signed.
  const nonce = await chain.nonce(DEV.Bob);
  const buyer = await chain.page('Bob', `/deal/${id}`);
  await buyer.getByTestId('milestone-1').getByRole('button', { name: 'Approve' }).click();
  const refusal = buyer.getByTestId('milestone-1').getByTestId('refusal');
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute('data-error'), 'RuleForbidsBuyerRelease');
  assert.equal(await chain.nonce(DEV.Bob), nonce);

  const ferdie = await chain.page('Ferdie', `/deal/${id}`);
  assert.equal(await ferdie.getByTestId('roles').textContent(), 'You are: oracle.');
  await ferdie.getByTestId('milestone-1').getByRole('button', { name: 'Attest' }).click();
  await outcome(ferdie.getByTestId('milestone-1'));
  await ferdie.getByTestId('milestone-1').getByTestId('attestations').getByText('1 of 2 needed: Ferdie').waitFor();

  const escrowBefore = await chain.free(chain.escrow);
  const eve = await chain.page('Eve', `/deal/${id}`);
  await eve.getByTestId('milestone-1').getByRole('button', { name: 'Attest' }).click();
  await outcome(eve.getByTestId('milestone-1'));
  await eve.getByTestId('milestone-1').getByTestId('milestone-status').getByText('Released').waitFor();
  assert.equal(
    await eve.getByTestId('milestone-1').getByTestId('attestations').textContent(),
    '2 of 2 needed: Ferdie, Eve',
  );
  await screenshot(eve, 'oracle-quorum');

  // The escrow paid out the milestone's 400 UNIT (396 to the seller, 4 in fees).
  assert.equal(await chain.free(chain.escrow), escrowBefore - 400n * UNIT);
  const shown = await chain.cli('--json', 'deal', 'show', String(id));
  assert.equal(shown.milestones[1].milestone.status, 'Released');
});
