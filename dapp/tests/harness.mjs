// The browser tests' one harness: a throw-away dev chain with the escrow and the stablecoin
// deployed by the real `escrow` CLI, the built dApp served on a free port, and Debian's
// Chromium driven headless by playwright-core. Nothing is downloaded.
//
// Environment (scripts/test.sh sets them; the defaults are the scripts' build cache):
//   ESCROW_NODE   the escrow-node binary      ($CARGO_TARGET_DIR/release/escrow-node)
//   ESCROW_BIN    the escrow CLI              ($CARGO_TARGET_DIR/debug/escrow)
//   CHROMIUM      the browser                 (/usr/bin/chromium)
//   DAPP_ARTIFACTS where screenshots go       (dapp/test-artifacts)
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DedotClient, WsProvider } from 'dedot';
import { Contract } from 'dedot/contracts';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DAPP = join(here, '..');
const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/milestone-escrow/target');
const NODE_BIN = process.env.ESCROW_NODE || join(target, 'release/escrow-node');
export const ESCROW_BIN = process.env.ESCROW_BIN || join(target, 'debug/escrow');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.DAPP_ARTIFACTS || join(DAPP, 'test-artifacts');
const run = promisify(execFile);

await cryptoWaitReady();
const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
/** A dev account's key pair (`//Alice`…), as `escrow-node --dev` endows them. */
export const devPair = (name) => keyring.addFromUri(`//${name}`);
/** Dev account addresses, by name. */
export const DEV = Object.fromEntries(
  ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, devPair(n).address]),
);

/** Starts `escrow-node --dev --tmp` on a port it picks, and waits for its RPC. */
async function startNode() {
  const child = spawn(NODE_BIN, ['--dev', '--tmp', '--rpc-port', '0', '--port', '0', '--no-prometheus'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`escrow-node's RPC not ready after 60 s:\n${log}`)), 60_000);
    const onData = (chunk) => {
      log += chunk;
      const port = /Running JSON-RPC server: addr=127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`ws://127.0.0.1:${port}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`escrow-node exited (${code}):\n${log}`)));
  });
  return { child, url };
}

/**
 * One chain, contract, token, server and browser for a test file. `chain.escrow(...args)` runs
 * the CLI against it (JSON output parsed when `--json` is given).
 */
export async function setUp() {
  const home = mkdtempSync(join(tmpdir(), 'escrow-dapp-'));
  const node = await startNode();
  const cli = async (...args) => {
    try {
      const { stdout } = await run(ESCROW_BIN, ['-q', '-y', '--url', node.url, ...args], {
        env: { ...process.env, ESCROW_HOME: home },
        maxBuffer: 1 << 24,
      });
      return args.includes('--json') ? JSON.parse(stdout) : stdout;
    } catch (error) {
      throw new Error(`escrow ${args.join(' ')} failed: ${error.stderr || error.message}`);
    }
  };
  const escrow = (await cli('--json', '--suri', '//Alice', 'deploy', '--fee', '1%')).contract;
  const token = (
    await cli(
      '--json',
      '--suri',
      '//Alice',
      'token',
      'deploy',
      '--name',
      'US Dollar',
      '--symbol',
      'USD',
      '--decimals',
      '6',
    )
  ).contract;
  for (const who of ['Bob', 'Charlie', 'Dave']) {
    await cli('--suri', '//Alice', 'token', 'mint', '--token', token, '--to', `//${who}`, '1000000 USD');
  }
  const server = await serve({ dir: join(DAPP, 'dist'), config: { node: node.url, escrow, tokens: [token] } });
  const client = await DedotClient.legacy({ provider: new WsProvider(node.url), stalingDetectionTimeout: 0 });
  const stablecoin = new Contract(
    client,
    JSON.parse(readFileSync(join(DAPP, 'src/generated/stablecoin.json'), 'utf8')),
    token,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's own background traffic is refused by a closed network: keep it off.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    url: server.url,
    node: node.url,
    escrow,
    token,
    cli,
    client,
    browser,
    /** Native free balance. */
    async free(address) {
      return (await client.query.system.account(address)).data.free;
    },
    /** USD balance in its smallest unit (10^-6). */
    async usd(address) {
      return (await stablecoin.query.psp22BalanceOf(address, { caller: address })).data;
    },
    async nonce(address) {
      return (await client.query.system.account(address)).nonce;
    },
    /** A page signed in as `name` (a dev account), at `route`. */
    async page(name, route = '/') {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && console.error(`page console: ${m.text()}`));
      await page.goto(`${server.url}#${route}`);
      if (name) await page.getByLabel('account').selectOption({ label: `${name} (dev key, test chain)` });
      return page;
    },
    async tearDown() {
      await browser.close().catch(() => {});
      await client.disconnect().catch(() => {});
      await server.close();
      node.child.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as a test artifact; returns its path. */
export async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** 0x-prefixed 32-byte hex of a repeated byte: a stand-in document hash for seeded deals. */
export const hash = (byte) => `0x${byte.repeat(32)}`;

/** Fixed future dates for seeded deals. */
export const FUTURE = {
  fundBy: '2099-01-01T00:00:00Z',
  shipBy: '2099-02-01T00:00:00Z,2099-03-01T00:00:00Z,2099-04-01T00:00:00Z',
};

/**
 * Seeds a deal through the CLI: `seller` proposes to `buyer`; with `accept`, the buyer accepts
 * naming the proposal's terms hash, and with `fund` funds it all. Returns the deal id.
 */
export async function seedDeal(
  chain,
  {
    seller = 'Charlie',
    buyer = 'Bob',
    total = '1000',
    split = '30,40,30',
    extra = [],
    fund = true,
    accept = fund,
  } = {},
) {
  const proposed = await chain.cli(
    '--json',
    '--suri',
    `//${seller}`,
    'deal',
    'propose',
    '--buyer',
    `//${buyer}`,
    '--total',
    total,
    '--split',
    split,
    '--fund-by',
    FUTURE.fundBy,
    '--ship-by',
    FUTURE.shipBy.split(',').slice(0, split.split(',').length).join(','),
    ...extra,
  );
  const id = proposed.return;
  if (accept) {
    const termsHash = proposed.events.find((e) => e.event === 'DealProposed').terms_hash;
    const funding = fund ? ['--fund', 'all'] : [];
    await chain.cli('--suri', `//${buyer}`, 'deal', 'accept', String(id), '--terms-hash', termsHash, ...funding);
  }
  return id;
}

/**
 * Waits for the outcome of the action started in `scope` (a page or a part of it): resolves
 * with its text when it was included, throws with the page's message when it was refused.
 */
export async function outcome(scope, timeout = 60_000) {
  const shown = scope.locator('[data-testid=action-done], [data-testid=refusal], [data-testid=failure]').first();
  await shown.waitFor({ timeout }).catch(async (e) => {
    throw new Error(`no outcome shown after ${timeout} ms; the page shows:\n${await scope.innerText()}`, { cause: e });
  });
  const text = await shown.textContent();
  if ((await shown.getAttribute('data-testid')) !== 'action-done') throw new Error(`the page says: ${text}`);
  return text;
}
