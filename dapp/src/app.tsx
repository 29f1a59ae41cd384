// The shell: connection, account choice, navigation, and the hash routes.
import { useEffect, useState } from 'preact/hooks';
import { type Account, accountLabel, devAccounts, extensionAccounts, extensionNames } from './accounts';
import { connect, isTestChain, loadConfig, type Session } from './chain';
import { DashboardPage } from './pages/dashboard';
import { DealPage } from './pages/deal';
import { DealsPage } from './pages/deals';
import { ProposePage } from './pages/propose';
import { Ctx } from './ui';

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const onChange = () => setRoute(location.hash.slice(1) || '/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route }: { route: string }) {
  const deal = /^\/deal\/(\d+)(?:\/event\/(\d+-\d+))?$/.exec(route);
  if (deal) return <DealPage id={BigInt(deal[1])} focus={deal[2]} />;
  if (route === '/propose') return <ProposePage />;
  if (route === '/dashboard') return <DashboardPage />;
  if (route === '/') return <DealsPage />;
  return <p class="error">No page at {route}.</p>;
}

export function App() {
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<string>();
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [selected, setSelected] = useState(localStorage.getItem('account') ?? '');
  const [revision, setRevision] = useState(0);
  const route = useRoute();
  useEffect(() => {
    (async () => {
      const s = await connect(await loadConfig());
      setAccounts(isTestChain(s) ? await devAccounts() : []);
      setSession(s);
    })().catch((e) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  if (error)
    return (
      <p class="error" data-testid="connect-error">
        {error}
      </p>
    );
  if (!session) return <p>Connecting…</p>;
  const account = accounts.find((a) => a.address === selected);
  const choose = (address: string) => {
    localStorage.setItem('account', address);
    setSelected(address);
  };
  const connectExtension = async (name: string) => {
    try {
      const found = await extensionAccounts(name);
      setAccounts([...found, ...accounts.filter((a) => a.source !== 'extension')]);
      if (found[0] && !account) choose(found[0].address);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const groups = [
    ['extension', 'Extension accounts'],
    ['dev', 'Dev accounts (well-known keys: test chains only)'],
  ] as const;
  return (
    <Ctx.Provider value={{ session, accounts, account, revision, changed: () => setRevision((r) => r + 1) }}>
      <header>
        <h1>milestone-escrow</h1>
        <nav>
          <a href="#/">Deals</a> <a href="#/dashboard">Dashboard</a> <a href="#/propose">Propose</a>
        </nav>
        <div class="account">
          <select aria-label="account" value={selected} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
            <option value="">choose an account</option>
            {groups.map(([source, label]) => {
              const list = accounts.filter((a) => a.source === source);
              return list.length ? (
                <optgroup label={label}>
                  {list.map((a) => (
                    <option value={a.address}>{accountLabel(a)}</option>
                  ))}
                </optgroup>
              ) : null;
            })}
          </select>
          {extensionNames().map((name) => (
            <button data-testid={`connect-${name}`} onClick={() => connectExtension(name)}>
              Connect {name}
            </button>
          ))}
        </div>
        <p class="chain">
          {session.config.node} · {session.chainType} chain · escrow <code>{session.config.escrow}</code>
        </p>
      </header>
      <main>
        <Page route={route} />
      </main>
    </Ctx.Provider>
  );
}
