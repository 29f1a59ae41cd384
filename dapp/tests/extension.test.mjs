// Signing through a browser extension, as real users sign: the page sees an injected
// polkadot.js-style extension (`window.injectedWeb3`), asks it for accounts, and sends its
// transactions to the extension's `signPayload`. The extension here is a test double: its
// signer encodes the payload it is handed (the chain's signed extensions, in the order the
// payload names them) and signs with the account's key, as an extension does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { compactToU8a, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { DEV, devPair, hash, outcome, screenshot, seedDeal, setUp } from './harness.mjs';

let chain;
before(async () => {
  chain = await setUp();
});
after(async () => chain?.tearDown());

const u32 = (hex) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, Number(BigInt(hex)), true);
  return bytes;
};

/** The bytes an extension signs for a SignerPayloadJSON (call, then extra, then implicit). */
function signingPayload(p) {
  const extra = [];
  const implicit = [];
  for (const name of p.signedExtensions) {
    switch (name) {
      case 'CheckNonZeroSender':
      case 'CheckWeight':
        break;
      case 'CheckSpecVersion':
        implicit.push(u32(p.specVersion));
        break;
      case 'CheckTxVersion':
        implicit.push(u32(p.transactionVersion));
        break;
      case 'CheckGenesis':
        implicit.push(hexToU8a(p.genesisHash));
        break;
      case 'CheckMortality':
      case 'CheckEra':
        extra.push(hexToU8a(p.era));
        implicit.push(hexToU8a(p.blockHash));
        break;
      case 'CheckNonce':
        extra.push(compactToU8a(BigInt(p.nonce)));
        break;
      case 'ChargeTransactionPayment':
        extra.push(compactToU8a(BigInt(p.tip)));
        break;
      case 'CheckMetadataHash':
        extra.push(new Uint8Array([p.mode ?? 0]));
        implicit.push(new Uint8Array([0])); // no metadata hash: mode 0
        break;
      default:
        throw new Error(`the test extension cannot encode signed extension ${name}`);
    }
  }
  const bytes = u8aConcat(hexToU8a(p.method), ...extra, ...implicit);
  return bytes.length > 256 ? blake2AsU8a(bytes, 256) : bytes;
}

test('an extension account is listed by its name, and its transaction is signed by the extension', async () => {
  const charlie = devPair('Charlie');
  const id = await seedDeal(chain);
  const signed = [];

  const context = await chain.browser.newContext();
  await context.exposeFunction('testExtensionSign', (payload) => {
    assert.equal(payload.address, DEV.Charlie);
    signed.push(payload);
    return u8aToHex(u8aConcat([1], charlie.sign(signingPayload(payload)))); // MultiSignature::Sr25519
  });
  await context.addInitScript((address) => {
    window.injectedWeb3 = {
      'polkadot-js': {
        version: 'test',
        enable: async () => ({
          accounts: { get: async () => [{ address, name: 'Tiruppur Cotton Mills', type: 'sr25519' }] },
          signer: { signPayload: async (payload) => ({ id: 1, signature: await window.testExtensionSign(payload) }) },
        }),
      },
    };
  }, DEV.Charlie);
  const page = await context.newPage();
  await page.goto(`${chain.url}#/deal/${id}`);
  await page.getByTestId('connect-polkadot-js').click();
  await page
    .getByLabel('account')
    .locator('option', { hasText: 'Tiruppur Cotton Mills (extension)' })
    .waitFor({ state: 'attached' });
  assert.equal(await page.getByLabel('account').inputValue(), DEV.Charlie);
  await page.getByTestId('roles').getByText('You are: seller.').waitFor();

  const nonce = await chain.nonce(DEV.Charlie);
  const m1 = page.getByTestId('milestone-1');
  await m1.getByLabel('evidence', { exact: true }).fill(hash('e1'));
  await m1.getByRole('button', { name: 'Submit evidence' }).click();
  await outcome(m1);
  await screenshot(page, 'extension');
  assert.equal(signed.length, 1, 'the extension signed exactly one transaction');
  assert.equal(await chain.nonce(DEV.Charlie), nonce + 1);
  const shown = await chain.cli('--json', 'deal', 'show', String(id));
  assert.equal(shown.milestones[1].milestone.status, 'Submitted');
  assert.equal(shown.milestones[1].milestone.evidence_hash, hash('e1'));
  await context.close();
});
