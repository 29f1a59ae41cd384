// The page hashes a milestone condition the way the CLI and the oracle service do: for each
// document below, its canonical form and hash from src/condition.ts equal what
// `escrow condition show --json` prints (the Rust implementation, oracle/condition.rs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canonical, conditionHash, parseCondition } from '../.unit-build/condition.js';

const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/milestone-escrow/target');
const ESCROW_BIN = process.env.ESCROW_BIN || join(target, 'debug/escrow');
const dir = mkdtempSync(join(tmpdir(), 'escrow-conditions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const loaded = {
  format: 'milestone-escrow/condition/v1',
  description: 'Both containers loaded on board at Mundra',
  transportDocumentReference: 'MUN-HAM-0042',
  events: [{ eventType: 'EQUIPMENT', equipmentEventTypeCode: 'LOAD', location: 'INMUN' }],
  notBefore: '2026-12-01T00:00:00Z',
  notAfter: '2027-03-01T00:00:00Z',
};
const DOCUMENTS = {
  'the demo condition, pretty-printed': JSON.stringify(loaded, null, 2),
  'its keys reordered, on one line': JSON.stringify({
    notAfter: loaded.notAfter,
    events: loaded.events,
    format: loaded.format,
    transportDocumentReference: loaded.transportDocumentReference,
    notBefore: loaded.notBefore,
    description: loaded.description,
  }),
  'escapes and non-ASCII text': JSON.stringify({
    ...loaded,
    description: 'quote " backslash \\ line\u2028sep é 中文 😀',
  }),
  'two requirements of other event types': JSON.stringify({
    format: 'milestone-escrow/condition/v1',
    transportDocumentReference: 'HAM-0007',
    events: [
      { eventType: 'TRANSPORT', transportEventTypeCode: 'ARRI', location: 'DEHAM' },
      { eventType: 'SHIPMENT', shipmentEventTypeCode: 'ISSU', documentTypeCode: 'TRD' },
    ],
  }),
};

for (const [name, text] of Object.entries(DOCUMENTS)) {
  test(`the page and the CLI give one hash for ${name}`, () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    const cli = JSON.parse(execFileSync(ESCROW_BIN, ['--json', 'condition', 'show', file]).toString());
    const condition = parseCondition(text);
    assert.ok(condition, 'recognised as a condition document');
    assert.equal(canonical(condition), cli.canonical);
    assert.equal(conditionHash(condition), cli.hash);
  });
}

test('a document that is not a condition is not taken for one', () => {
  assert.equal(parseCondition('MUN-HAM-0042: 8,000 shirts'), undefined);
  assert.equal(parseCondition('{"format":"something/else"}'), undefined);
  assert.equal(parseCondition('[1, 2]'), undefined);
});
