// The dApp's figures (docs/dapp-bench.md), measured, never asserted by a test:
//   1. the time to the first meaningful render of the deal list for an account with 50 deals:
//      from navigation start to the `deal-list-rendered` mark the list sets when it first
//      renders with its data, in headless Chromium against a local dev node; median of RUNS
//      fresh page loads (each a new browser context: nothing cached);
//   2. the JS bundle's size, raw and gzipped (level 9, as `gzip -9`), file by file.
//
//   node bench/render.mjs [--deals 50] [--runs 7] [--out ../docs/dapp-bench.md]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { DAPP, DEV, seedDeal, setUp } from '../tests/harness.mjs';

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DEALS = Number(option('deals', 50));
const RUNS = Number(option('runs', 7));
const OUT = option('out', join(DAPP, '../docs/dapp-bench.md'));

const chain = await setUp();
try {
  const seeding = Date.now();
  for (let n = 0; n < DEALS; n++) {
    // Every third deal stays a proposal, the others are accepted and funded.
    await seedDeal(chain, { fund: n % 3 !== 0, total: String(100 + n) });
  }
  console.error(`seeded ${DEALS} deals for Charlie in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await chain.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((address) => localStorage.setItem('account', address), DEV.Charlie);
    const page = await context.newPage();
    await page.goto(`${chain.url}#/`);
    await page
      .getByTestId('deal-row')
      .nth(DEALS - 1)
      .waitFor();
    const rows = await page.getByTestId('deal-row').count();
    if (rows !== DEALS) throw new Error(`the list shows ${rows} deals, not ${DEALS}`);
    const ms = await page.evaluate(() => performance.getEntriesByName('deal-list-rendered')[0].startTime);
    times.push(ms);
    console.error(`run ${run + 1}: ${ms.toFixed(0)} ms`);
    await context.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];

  // What index.html loads (its script, its preloads), and what is imported later, on demand.
  const html = readFileSync(join(DAPP, 'dist/index.html'), 'utf8');
  const assets = join(DAPP, 'dist/assets');
  const files = readdirSync(assets).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
  const sizes = files.map((f) => {
    const bytes = readFileSync(join(assets, f));
    return { f, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length, atStart: html.includes(`assets/${f}`) };
  });
  const js = sizes.filter((s) => s.f.endsWith('.js'));
  const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
  const sum = (list, key) => kb(list.reduce((a, s) => a + s[key], 0));
  const commit = execFileSync('git', ['-C', DAPP, 'rev-parse', '--short', 'HEAD']).toString().trim();
  const chromium = chain.browser.version();
  const report = `# The dApp's figures

Written by \`scripts/bench.sh --dapp\` (dapp/bench/render.mjs) at commit ${commit}, on this
project's 2-core machine, ${new Date().toISOString().slice(0, 10)}; Chromium ${chromium}
(Debian's, headless), \`escrow-node --dev\`.

## First render of the deal list, ${DEALS} deals

The connected account (\`//Charlie\`) takes part in ${DEALS} deals (a third of them proposals, the
rest accepted and funded). Time from navigation start to the list's first render with its
data (the \`deal-list-rendered\` performance mark: the page has connected, checked the
contract's code hash, read the account's deal ids and each deal): **median ${median.toFixed(0)} ms**
of ${RUNS} fresh page loads (goal ≤ 1,500 ms).

| run | ms |
| --- | ---: |
${times.map((t, i) => `| ${i + 1} | ${t.toFixed(0)} |`).join('\n')}

## Bundle size

\`vite build\`'s output. *At start*: what \`index.html\` loads. The rest is imported on demand:
the keyring and its sr25519 code, for the dev accounts, on test chains only.

| file | loaded | raw | gzipped (-9) |
| --- | --- | ---: | ---: |
${sizes.map((s) => `| ${s.f.replace(/-[\w-]{8}\./, '.')} | ${s.atStart ? 'at start' : 'on demand'} | ${kb(s.raw)} | ${kb(s.gz)} |`).join('\n')}
| **JS at start** | | ${sum(
    js.filter((s) => s.atStart),
    'raw',
  )} | **${sum(
    js.filter((s) => s.atStart),
    'gz',
  )}** |
| JS in all | | ${sum(js, 'raw')} | ${sum(js, 'gz')} |
`;
  writeFileSync(OUT, report);
  console.error(`written to ${OUT}`);
} finally {
  await chain.tearDown();
}
