// Serves the built dApp (dist/) and its config.json on 127.0.0.1, with no dependency.
//
//   node serve.mjs --escrow ADDRESS [--node ws://127.0.0.1:9944] [--token ADDRESS]... [--port 5173]
//
// --port 0 takes any free port; the URL printed is the one bound. scripts/dapp.sh runs it with
// what the CLI recorded at deploy time; the browser tests import `serve` directly.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** Starts the server; resolves with `{ url, close }` once it listens. */
export function serve({ dir, port = 0, config }) {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: build the dApp first (npm run build in dapp/)`);
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      return res.end(JSON.stringify(config));
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(normalize(dir)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end(`not found: ${path}\n`);
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      resolve({ url, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const config = { node: 'ws://127.0.0.1:9944', escrow: '', tokens: [] };
  let port = 5173;
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--node') config.node = value;
    else if (flag === '--escrow') config.escrow = value;
    else if (flag === '--token') config.tokens.push(value);
    else if (flag === '--port') port = Number(value);
    else fail(`unknown option ${flag} (expected --node, --escrow, --token, --port)`);
  }
  if (!config.escrow) fail('--escrow ADDRESS is required (the escrow contract the dApp talks to)');
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'dist');
  serve({ dir, port, config }).then(
    ({ url }) => console.log(`dApp: ${url} (node ${config.node}, escrow ${config.escrow})`),
    (e) => fail(e.message),
  );
}

function fail(message) {
  console.error(`serve: ${message}`);
  process.exit(2);
}
