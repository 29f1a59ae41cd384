// Generates the dApp's contract clients from the contracts' metadata, so that no ABI is
// written by hand: a new message, event or field shows up by running this again.
//
//   node tools/generate.mjs
//
// Reads the release bundles scripts/build-contract.sh wrote
// ($CARGO_TARGET_DIR/ink/<crate>/by-mode/release/<crate>.json; CARGO_TARGET_DIR defaults to the
// scripts' build cache, ~/.cache/milestone-escrow/target), and writes into src/generated/:
//   milestone-escrow/, stablecoin/   dedot's typed ContractApi (`dedot typink`)
//   milestone_escrow.json, stablecoin.json   the metadata the app loads
//   errors.json   per variant of escrow_types::Error: the doc comment in
//                 contracts/escrow-types/src/lib.rs (release metadata carries no type docs), and
//                 the name of its field, if it has one
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dapp = join(here, '..');
const repo = join(dapp, '..');
const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/milestone-escrow/target');
const out = join(dapp, 'src/generated');

function die(message) {
  console.error(`generate: ${message}`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const crate of ['milestone_escrow', 'stablecoin']) {
  const metadata = join(target, 'ink', crate, 'by-mode/release', `${crate}.json`);
  if (!existsSync(metadata)) {
    die(`${metadata} is missing: build the bundle first (scripts/build-contract.sh contracts/${crate})`);
  }
  execFileSync(join(dapp, 'node_modules/.bin/dedot'), ['typink', '-m', metadata, '-o', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  copyFileSync(metadata, join(out, `${crate}.json`));
}

// The Error enum's variants, as the metadata names them, with their doc comments from source.
const metadata = JSON.parse(readFileSync(join(out, 'milestone_escrow.json'), 'utf8'));
const errorType = metadata.types.find((t) => t.type.path?.[0] === 'escrow_types' && t.type.path?.at(-1) === 'Error');
if (!errorType) die('the metadata has no escrow_types::Error');
const variants = errorType.type.def.variant.variants;

const source = readFileSync(join(repo, 'contracts/escrow-types/src/lib.rs'), 'utf8');
const body = source.split('\npub enum Error {\n')[1]?.split('\n}\n')[0];
if (!body) die('contracts/escrow-types/src/lib.rs has no `pub enum Error`');
const docs = {};
let pending = [];
for (const line of body.split('\n').map((l) => l.trim())) {
  if (line.startsWith('///')) {
    pending.push(line.slice(3).trim());
  } else if (/^[A-Z]\w*/.test(line)) {
    const name = line.match(/^([A-Z]\w*)/)[1];
    if (pending.length && !(name in docs)) docs[name] = pending.join(' ');
    pending = [];
  } else if (line.startsWith('}') || line === '') {
    // The end of a data-carrying variant's fields: its field docs are not the variant's.
    pending = [];
  }
}
const missing = variants.filter((v) => !docs[v.name]).map((v) => v.name);
if (missing.length) die(`no doc comment for Error variant(s) ${missing.join(', ')}`);
// Per variant: its explanation, and the name of its one field if it has one (dedot decodes a
// one-field variant to the bare value, so the page names it from here: "found Pending").
const entries = variants.map((v) => [v.name, { doc: docs[v.name], field: v.fields?.[0]?.name }]);
writeFileSync(join(out, 'errors.json'), JSON.stringify(Object.fromEntries(entries), null, 1) + '\n');
console.log(`generate: ${out} (escrow ${metadata.source.hash}, ${variants.length} error variants)`);
