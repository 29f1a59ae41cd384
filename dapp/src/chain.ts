// The connection: the node, the escrow contract and the tokens, through dedot and the contract
// clients `tools/generate.mjs` generates from the contracts' metadata.
import { formatAmount } from './money';
import { DedotClient, WsProvider } from 'dedot';
import { Contract } from 'dedot/contracts';
import type { MilestoneEscrowContractApi } from './generated/milestone-escrow';
import type { StablecoinContractApi } from './generated/stablecoin';
import escrowMetadata from './generated/milestone_escrow.json';
import stablecoinMetadata from './generated/stablecoin.json';

export type Escrow = Contract<MilestoneEscrowContractApi>;
export type Token = Contract<StablecoinContractApi>;

/** Where the dApp connects: `config.json` beside the page, overridden by `?node=&escrow=`. */
export interface AppConfig {
  /** The node's WebSocket URL. */
  node: string;
  /** The escrow contract's SS58 address. */
  escrow: string;
  /** PSP22 tokens a deal may be proposed in (SS58 addresses). */
  tokens: string[];
}

/** A deal's asset as the page shows it. */
export interface AssetInfo {
  /** `native`, or the token contract's address. */
  key: string;
  symbol: string;
  decimals: number;
}

export interface Session {
  config: AppConfig;
  client: DedotClient;
  escrow: Escrow;
  /** The chain's type (`Development`, `Local`, `Live`…): dev accounts only on test chains. */
  chainType: string;
  native: AssetInfo;
  tokens: Map<string, { contract: Token; info: AssetInfo }>;
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  const file: Partial<AppConfig> = response.ok ? await response.json() : {};
  const params = new URLSearchParams(location.search);
  const config = {
    node: params.get('node') ?? file.node ?? 'ws://127.0.0.1:9944',
    escrow: params.get('escrow') ?? file.escrow ?? '',
    tokens: params.getAll('token').length ? params.getAll('token') : (file.tokens ?? []),
  };
  if (!config.escrow) {
    throw new Error(
      'no escrow contract configured: serve the dApp with scripts/dapp.sh, which writes config.json, or open it with ?escrow=ADDRESS',
    );
  }
  return config;
}

/** Connects, and refuses a contract whose code is not the code this dApp was generated from. */
export async function connect(config: AppConfig): Promise<Session> {
  // An instant-seal dev chain makes a block only for a transaction: no block for a while is not
  // a stalled connection there, so dedot's staling watchdog (which reconnects) is off.
  const client = await DedotClient.legacy({ provider: new WsProvider(config.node), stalingDetectionTimeout: 0 });
  const info = await client.query.contracts.contractInfoOf(config.escrow);
  if (!info) throw new Error(`no contract at ${config.escrow} on ${config.node}`);
  const expected = escrowMetadata.source.hash;
  if (info.codeHash !== expected) {
    throw new Error(
      `the contract at ${config.escrow} runs code ${info.codeHash}, not the escrow this dApp was built for (${expected}); refusing to use it`,
    );
  }
  const escrow = new Contract<MilestoneEscrowContractApi>(client, escrowMetadata as never, config.escrow);
  const properties = await client.chainSpec.properties();
  const native: AssetInfo = {
    key: 'native',
    symbol: String(first(properties.tokenSymbol) ?? 'UNIT'),
    decimals: Number(first(properties.tokenDecimals) ?? 12),
  };
  const tokens = new Map<string, { contract: Token; info: AssetInfo }>();
  for (const address of config.tokens) {
    const contract = new Contract<StablecoinContractApi>(client, stablecoinMetadata as never, address);
    const caller = config.escrow;
    const [symbol, decimals] = await Promise.all([
      contract.query.psp22MetadataTokenSymbol({ caller }),
      contract.query.psp22MetadataTokenDecimals({ caller }),
    ]);
    tokens.set(address, { contract, info: { key: address, symbol: symbol.data ?? '?', decimals: decimals.data } });
  }
  const chainType = String(await client.rpc.system_chainType());
  return { config, client, escrow, chainType, native, tokens };
}

function first<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Dev accounts are offered on chains whose keys are the well-known test keys. */
export function isTestChain(session: Session): boolean {
  return session.chainType === 'Development' || session.chainType === 'Local';
}

type AssetLike = { type: 'Native' } | { type: 'Psp22'; value: { address(): string } | string };

export function assetOf(session: Session, asset: AssetLike): AssetInfo {
  if (asset.type === 'Native') return session.native;
  const address = typeof asset.value === 'string' ? asset.value : asset.value.address();
  return session.tokens.get(address)?.info ?? { key: address, symbol: `token ${short(address)}`, decimals: 0 };
}

export { formatAmount, parseAmount } from './money';

export function formatMoney(amount: bigint, asset: AssetInfo): string {
  return `${formatAmount(amount, asset.decimals)} ${asset.symbol}`;
}

export function short(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export function addressOf(account: { address(): string } | string): string {
  return typeof account === 'string' ? account : account.address();
}
