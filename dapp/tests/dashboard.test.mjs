// The dashboard on a seeded history: money per counterparty and asset, and flags that link to
// the events behind them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEV, hash, screenshot, seedDeal, setUp } from './harness.mjs';

let chain;
before(async () => {
  chain = await setUp();
});
after(async () => chain?.tearDown());

test("the seller's dashboard sums each counterparty's deals per asset and flags a disputing buyer and an assignment", async () => {
  // With Bob, in UNIT: 1,000, advance 300 paid; Bob disputes both milestones the seller submits.
  const disputed = await seedDeal(chain, { extra: ['--advance'] });
  for (const index of ['1', '2']) {
    await chain.cli('--suri', '//Charlie', 'deal', 'submit', String(disputed), index, '--evidence-hash', hash('c1'));
    await chain.cli('--suri', '//Bob', 'deal', 'dispute', String(disputed), index, '--hash', hash('d1'));
  }
  // With Bob, in USD: 1,000, advance 300 paid; the seller assigns milestones 1.. to a factor.
  const assigned = await seedDeal(chain, { total: '1000 USD', extra: ['--asset', 'USD', '--advance'] });
  await chain.cli('--suri', '//Charlie', 'deal', 'assign', String(assigned), '--from', '1', '--to', '//Eve');
  // With Dave, in UNIT: 500, nothing released.
  await seedDeal(chain, { buyer: 'Dave', total: '500' });

  const page = await chain.page('Charlie', '/dashboard');
  await page.getByTestId('flags').waitFor();
  const rows = await page
    .getByTestId('figure-row')
    .evaluateAll((rs) =>
      rs.map((r) => [
        r.dataset.counterparty,
        r.dataset.asset,
        ...[...r.querySelectorAll('td')].slice(2).map((td) => td.textContent),
      ]),
    );
  assert.deepEqual(rows, [
    [DEV.Bob, 'UNIT', '1', '700 UNIT', '297 UNIT', '0 UNIT'],
    [DEV.Bob, 'USD', '1', '700 USD', '297 USD', '0 USD'],
    [DEV.Dave, 'UNIT', '1', '500 UNIT', '0 UNIT', '0 UNIT'],
  ]);
  const flags = await page.getByTestId('flag').evaluateAll((fs) => fs.map((f) => f.dataset.rule));
  assert.deepEqual(flags, ['dispute-rate', 'assigned-payouts']);
  const disputeFlag = page.locator('[data-rule=dispute-rate]');
  assert.match(await disputeFlag.textContent(), new RegExp(`${DEV.Bob} disputed 2 of 2 submitted milestones`));
  assert.equal(await disputeFlag.locator('a.event-link').count(), 2);
  await screenshot(page, 'dashboard');

  // A flag's event link opens the deal at that event.
  await page.locator('[data-rule=assigned-payouts] a.event-link').click();
  const focused = page.locator('tr.focused');
  await focused.waitFor();
  assert.equal(await focused.getAttribute('data-event'), 'ReceivableAssigned');
  assert.match(page.url(), new RegExp(`#/deal/${assigned}/event/\\d+-\\d+$`));
  await screenshot(page, 'flagged-event');
});

test("the deals list shows each of the account's deals with its role, filtered by role and by status", async () => {
  // Ferdie: seller of an active deal and of a proposal, arbiter of one deal, oracle of another.
  const sold = await seedDeal(chain, { seller: 'Ferdie', buyer: 'Bob' });
  const proposed = await seedDeal(chain, { seller: 'Ferdie', buyer: 'Dave', fund: false });
  const arbitrated = await seedDeal(chain, { seller: 'Eve', buyer: 'Bob', extra: ['--arbiter', '//Ferdie'] });
  const attested = await seedDeal(chain, { seller: 'Eve', buyer: 'Dave', extra: ['--oracle', '//Ferdie'] });

  const page = await chain.page('Ferdie', '/');
  await page.getByTestId('deal-row').nth(3).waitFor();
  const shown = () =>
    page.getByTestId('deal-row').evaluateAll((rows) => rows.map((r) => [r.dataset.deal, r.children[1].textContent]));
  // Newest first, each with the account's role in it.
  assert.deepEqual(await shown(), [
    [String(attested), 'oracle'],
    [String(arbitrated), 'arbiter'],
    [String(proposed), 'seller'],
    [String(sold), 'seller'],
  ]);
  await screenshot(page, 'deals');
  await page.getByLabel('role').selectOption('seller');
  assert.deepEqual(await shown(), [
    [String(proposed), 'seller'],
    [String(sold), 'seller'],
  ]);
  await page.getByLabel('status').selectOption('Proposed');
  assert.deepEqual(await shown(), [[String(proposed), 'seller']]);
  assert.equal(await page.getByTestId('deal-count').textContent(), '1 of 4 deals');
});

test('the page refuses a contract that does not run the escrow it was built for, and an address with no contract', async () => {
  const context = await chain.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${chain.url}?escrow=${chain.token}#/`);
  const error = page.getByTestId('connect-error');
  await error.waitFor();
  assert.match(
    await error.textContent(),
    new RegExp(
      `^the contract at ${chain.token} runs code 0x[0-9a-f]{64}, not the escrow this dApp was built for \\(0x[0-9a-f]{64}\\); refusing to use it$`,
    ),
  );
  await page.goto(`${chain.url}?escrow=${DEV.Alice}#/`);
  assert.equal(await page.getByTestId('connect-error').textContent(), `no contract at ${DEV.Alice} on ${chain.node}`);
  await context.close();
});
