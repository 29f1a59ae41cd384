// The dApp's pure rules, without a chain or a browser: amounts (exact parse and format, the
// split helper), every flag rule, each at its threshold and just below it, a deal's clocks and
// its attestations. Runs on the
// JavaScript `tsc -p tsconfig.unit.json` emits (npm run build).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attestedBy, clocksOf } from '../.unit-build/deals.js';
import { flagsOf } from '../.unit-build/flags.js';
import { formatAmount, parseAmount, parseUtc, splitTotal } from '../.unit-build/money.js';

test('amounts format and parse exactly, grouping thousands and trimming trailing zeros', () => {
  assert.equal(formatAmount(1_234_500_000_000_000n, 12), '1,234.5');
  assert.equal(formatAmount(0n, 6), '0');
  assert.equal(formatAmount(1n, 12), '0.000000000001');
  assert.equal(formatAmount(-2_400_000n, 6), '-2.4');
  assert.equal(
    formatAmount(340_282_366_920_938_463_463_374_607_431_768_211_455n, 0),
    '340,282,366,920,938,463,463,374,607,431,768,211,455',
  );
  assert.equal(parseAmount('1,234.5', 12), 1_234_500_000_000_000n);
  assert.equal(parseAmount(' 240 ', 12), 240_000_000_000_000n);
  assert.equal(parseAmount('0.000001', 6), 1n);
  assert.equal(parseAmount('7.', 6), 7_000_000n);
});

test('parse(format(x)) is x for any amount and number of decimals', () => {
  let seed = 0x2545f491n;
  const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n);
  for (let n = 0; n < 2000; n++) {
    const amount = (next() << 64n) | next(); // up to 128 bits, as a Balance
    const decimals = Number(next() % 19n);
    assert.equal(parseAmount(formatAmount(amount, decimals), decimals), amount, `${amount} with ${decimals} decimals`);
  }
});

test('a malformed amount is refused with what was wrong', () => {
  assert.throws(() => parseAmount('12,5 USD', 6), {
    message: '"12,5 USD" is not an amount (digits, with an optional decimal point)',
  });
  assert.throws(() => parseAmount('-1', 6), {
    message: '"-1" is not an amount (digits, with an optional decimal point)',
  });
  assert.throws(() => parseAmount('1.0000001', 6), { message: '"1.0000001" has 7 decimals; this asset has 6' });
});

test('a date and time is UTC unless it names its zone, and anything else is refused naming the field', () => {
  const noon = BigInt(Date.UTC(2099, 0, 31, 12, 0));
  assert.equal(parseUtc('2099-01-31T12:00', 'ship-by'), noon); // a datetime-local input's value
  assert.equal(parseUtc('2099-01-31T12:00:00Z', 'ship-by'), noon);
  assert.equal(parseUtc(' 2099-01-31T14:00:00+02:00 ', 'ship-by'), noon);
  for (const bad of ['', 'tomorrow', '2099-01-31', '31/01/2099 12:00']) {
    assert.throws(() => parseUtc(bad, 'milestone 0 ship-by'), {
      message: `milestone 0 ship-by: "${bad}" is not a date and time (UTC, e.g. 2099-01-31T12:00:00Z)`,
    });
  }
});

test('the split helper gives each milestone its share and the last one the rounding', () => {
  assert.deepEqual(splitTotal(1000n, [30, 40, 30]), [300n, 400n, 300n]);
  assert.deepEqual(splitTotal(1001n, [30, 40, 30]), [300n, 400n, 301n]);
  assert.deepEqual(splitTotal(7n, [50, 50]), [3n, 4n]);
  assert.deepEqual(splitTotal(20_000_000_000n, [100]), [20_000_000_000n]);
  for (let total = 0n; total < 500n; total += 7n) {
    const parts = splitTotal(total, [33, 33, 34]);
    assert.equal(
      parts.reduce((a, b) => a + b, 0n),
      total,
    );
  }
  assert.throws(() => splitTotal(100n, [30, 40]), { message: 'split: the percentages sum to 70, not 100' });
  assert.throws(() => splitTotal(100n, [50, 50.5]), { message: 'split: whole, positive percentages, e.g. 30,40,30' });
  assert.throws(() => splitTotal(100n, [110, -10]), { message: 'split: whole, positive percentages, e.g. 30,40,30' });
  assert.throws(() => splitTotal(100n, []), { message: 'split: whole, positive percentages, e.g. 30,40,30' });
});

// --- flags, on synthetic histories (the shapes dedot decodes: accounts answer `address()`).
const account = (name) => ({ address: () => name });
const ME = 'seller';
let block = 0;
const event = (name, data, at = 0n) => ({ name, data: { dealId: 0n, ...data }, block: ++block, index: 0, at });
const deal = (id, { advance = false, amounts = [300n, 400n, 300n], buyer = 'buyer' } = {}) => ({
  view: {
    id,
    deal: { buyer: account(buyer), seller: account(ME), advance, total: amounts.reduce((a, b) => a + b, 0n) },
  },
  milestones: amounts.map((amount, index) => ({ index, milestone: { amount } })),
});
const submitted = (index, reviewEnds = 10_000_000n) => event('MilestoneSubmitted', { index, reviewEnds });
const disputed = (index, at = 0n, by = 'buyer') => event('MilestoneDisputed', { index, by: account(by) }, at);
const attested = (index) => event('MilestoneAttested', { index, oracle: account('oracle') });
const HOUR = 3_600_000n;

/** rule → [a history where it fires, one just below its threshold]. */
const CASES = {
  'dispute-rate': [
    () => [deal(0n), [submitted(1), disputed(1), submitted(2), disputed(2)]],
    // 2 disputes of 9 submissions: under a quarter.
    () => [
      deal(0n, { amounts: Array(9).fill(1n) }),
      [...Array(9).keys()].map((i) => submitted(i)).concat([disputed(0), disputed(1)]),
    ],
  ],
  'repeated-extensions': [
    () => [deal(0n), [event('AmendmentAccepted', { index: 1 }), event('AmendmentAccepted', { index: 1 })]],
    () => [deal(0n), [event('AmendmentAccepted', { index: 1 })]],
  ],
  'late-dispute': [
    () => [deal(0n), [submitted(1, 10n * HOUR), disputed(1, 9n * HOUR)]],
    () => [deal(0n), [submitted(1, 10n * HOUR), disputed(1, 9n * HOUR - 1n)]],
  ],
  'early-attestations': [
    () => [deal(0n), [attested(1), attested(2)]],
    () => [deal(0n), [attested(1), submitted(2), attested(2)]],
  ],
  'high-advance': [
    () => [deal(0n, { advance: true, amounts: [501n, 499n] }), [event('DealProposed', {})]],
    () => [deal(0n, { advance: true, amounts: [500n, 500n] }), [event('DealProposed', {})]],
  ],
  'assigned-payouts': [
    () => [deal(0n), [event('ReceivableAssigned', { to: account('factor') })]],
    () => [deal(0n), [event('DealProposed', {})]],
  ],
};

for (const [rule, [fires, below]] of Object.entries(CASES)) {
  test(`flag ${rule} fires on its history, with the events behind it, and not just below its threshold`, () => {
    const [d, events] = fires();
    const flags = flagsOf({ address: ME, deals: [d], events: new Map([[d.view.id, events]]) });
    assert.deepEqual(
      flags.map((f) => f.rule),
      [rule],
    );
    assert.ok(flags[0].events.length > 0 && flags[0].events.every((e) => events.includes(e)));
    const [d2, events2] = below();
    assert.deepEqual(flagsOf({ address: ME, deals: [d2], events: new Map([[d2.view.id, events2]]) }), []);
  });
}

test('a flag says what it saw', () => {
  const [d, events] = CASES['late-dispute'][0]();
  const [flag] = flagsOf({ address: ME, deals: [d], events: new Map([[0n, events]]) });
  assert.equal(flag.finding, 'milestone 1 disputed 60 min before its review window ended');
  const [d2, events2] = CASES['dispute-rate'][0]();
  const [rate] = flagsOf({ address: ME, deals: [d2], events: new Map([[0n, events2]]) });
  assert.equal(rate.finding, 'buyer disputed 2 of 2 submitted milestones');
  assert.deepEqual(
    rate.events.map((e) => e.name),
    ['MilestoneDisputed', 'MilestoneDisputed'],
  );
});

// --- clocks and attestations of a deal's records.
const record = (status, milestones, extra = {}) => ({
  view: { id: 7n, deal: { status, fundBy: 100n, total: 30n, deposited: 30n, fundingClosed: false, ...extra } },
  milestones: milestones.map(([status, more], index) => ({
    index,
    milestone: { status, shipBy: 1000n + BigInt(index) },
    ...more,
  })),
});

test("a deal's running clocks are its funding deadline, ship-bys, review and arbitration ends, soonest first", () => {
  const labels = (d) => clocksOf(d).map((c) => `${c.label} @${c.at}`);
  assert.deepEqual(labels(record('Proposed', [['Pending', {}]])), ['proposal expires (funding deadline) @100']);
  assert.deepEqual(
    labels(
      record(
        'Active',
        [
          ['Released', {}],
          ['Submitted', { reviewEnds: 500n }],
          ['Disputed', { arbitrationEnds: 2000n }],
          ['Pending', {}],
        ],
        { deposited: 20n },
      ),
    ),
    [
      'funding deadline @100',
      'milestone 1 review ends @500',
      'milestone 3 ship-by @1003',
      'milestone 2 arbitration ends @2000',
    ],
  );
  assert.deepEqual(labels(record('Active', [['Pending', {}]], { deposited: 20n, fundingClosed: true })), [
    'milestone 0 ship-by @1000',
  ]);
  for (const status of ['Closed', 'Cancelled', 'Withdrawn']) {
    assert.deepEqual(labels(record(status, [['Pending', {}]])), [], status);
  }
});

test('attestations are a bitmask over the deal’s oracles', () => {
  const oracles = ['Ferdie', 'Eve', 'Inspector'];
  assert.deepEqual(attestedBy(0, oracles), []);
  assert.deepEqual(attestedBy(0b011, oracles), ['Ferdie', 'Eve']);
  assert.deepEqual(attestedBy(0b100, oracles), ['Inspector']);
  assert.deepEqual(attestedBy(0b111, oracles), oracles);
});
