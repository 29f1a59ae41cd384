// Who signs: accounts of a browser extension (the polkadot.js extension's injected API, as real
// users sign), and on test chains only the well-known dev accounts, labelled as such.
import type { KeyringPair } from '@polkadot/keyring/types';
import type { InjectedSigner } from 'dedot/types';

export interface Account {
  address: string;
  /** The name the user gave it in the extension, or the dev account's name. */
  name: string;
  source: 'extension' | 'dev';
  /** Dev accounts sign here, with their well-known key. */
  pair?: KeyringPair;
  /** Extension accounts sign in the extension. */
  signer?: InjectedSigner;
}

/** The dev accounts `escrow-node --dev` endows. Their keys are public: test chains only. */
export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'] as const;

export async function devAccounts(): Promise<Account[]> {
  // The keyring and its sr25519 WebAssembly load only here, on a test chain: a page on a live
  // chain signs in the extension and never downloads them.
  const [{ Keyring }, { cryptoWaitReady }] = await Promise.all([
    import('@polkadot/keyring'),
    import('@polkadot/util-crypto'),
  ]);
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`);
    return { address: pair.address, name, source: 'dev' as const, pair };
  });
}

interface InjectedAccount {
  address: string;
  name?: string;
  type?: string;
}
interface Injected {
  accounts: { get(): Promise<InjectedAccount[]> };
  signer: InjectedSigner;
}
interface InjectedWindowProvider {
  enable(origin: string): Promise<Injected>;
  version?: string;
}
declare global {
  interface Window {
    injectedWeb3?: Record<string, InjectedWindowProvider>;
  }
}

/** The extensions the page can see (`window.injectedWeb3`), by name. */
export function extensionNames(): string[] {
  return Object.keys(window.injectedWeb3 ?? {});
}

/** Asks the extension for access (it shows its own prompt) and lists its sr25519 accounts. */
export async function extensionAccounts(name: string): Promise<Account[]> {
  const provider = window.injectedWeb3?.[name];
  if (!provider) throw new Error(`no extension "${name}" in this browser`);
  const injected = await provider.enable('milestone-escrow');
  const accounts = await injected.accounts.get();
  return accounts
    .filter((a) => !a.type || a.type === 'sr25519' || a.type === 'ed25519')
    .map((a) => ({ address: a.address, name: a.name ?? name, source: 'extension' as const, signer: injected.signer }));
}

export function accountLabel(account: Account): string {
  return account.source === 'dev' ? `${account.name} (dev key, test chain)` : `${account.name} (extension)`;
}
