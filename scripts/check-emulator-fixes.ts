/**
 * Proves that every fix in patches/@firestore-emulator+server+*.patch is needed: for each fix it
 * undoes that fix alone in node_modules/@firestore-emulator/server/src (a small source mutation),
 * runs the Firestore conformance suite against it and lists the tests that fail. A fix whose
 * removal fails no test is reported as UNGUARDED and the script exits 1.
 *
 * Run after changing the patch or upgrading the package: `npx tsx scripts/check-emulator-fixes.ts
 * [name-filter...]` (~10 minutes; it restores the file it mutated, also on Ctrl-C). Do not run
 * patch-package while it runs: the patch would capture a mutation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

interface Fix {
  name: string;
  file: string;
  /** Source text of the fix and what replaces it to undo the fix. */
  find: string;
  undo: string;
}

const src = join(dirname(createRequire(import.meta.url).resolve('@firestore-emulator/server/package.json')), 'src');
const STATE = 'FirestoreState/index.ts';
const QUERY = 'FirestoreState/query.ts';
const ORDER = 'FirestoreState/order.ts';
const WRITE = 'FirestoreState/write.ts';
const PATH = 'FirestoreState/fieldPath.ts';
const TX = 'FirestoreState/transactions.ts';
const SERVICE = 'server/FirestoreServiceV1Impl/index.ts';
const notImplemented = (method: string) => `throw new Error("Method<${method}> not implemented.");`;

/**
 * Not listed, because no bounded test can observe them: the release of a transaction whose first
 * read failed (every failure after locking already aborts it: wound, timeout, cancellation) and a
 * retry keeping its age (it prevents starvation under sustained contention).
 */
const FIXES: Fix[] = [
  // 1. queries
  { name: '1 collection groups', file: STATE, find: 'if (!all_descendants) {', undo: 'if (true) {' },
  {
    name: '1 name tie-break',
    file: QUERY,
    find: 'orders.push({ path: "__name__", descending: last?.descending ?? false });',
    undo: 'void last;',
  },
  {
    name: '1 order-by field must exist',
    file: QUERY,
    find: 'orders.every((o) => doc.getField(o.path) !== undefined)',
    undo: 'true',
  },
  {
    name: '1 order across types',
    file: ORDER,
    find: 'if (ta !== tb) return sign(ta - tb);',
    undo: 'if (ta !== tb) return 0;',
  },
  {
    name: '1 range filters keep to one type',
    file: QUERY,
    find: 'if (typeOrder(value) !== typeOrder(operand)) return false;',
    undo: '',
  },
  { name: '1 offset', file: QUERY, find: 'if (query.offset > 0) results', undo: 'if (false) results' },
  { name: '1 start cursors', file: QUERY, find: 'if (query.has_start_at) {', undo: 'if (false) {' },
  { name: '1 end cursors', file: QUERY, find: 'if (query.has_end_at) {', undo: 'if (false) {' },
  {
    name: '1 == null / NaN (unary filters)',
    file: QUERY,
    find: 'if (filter.has_unary_filter) return matchesUnaryFilter(doc, filter.unary_filter);',
    undo: 'if (filter.has_unary_filter) return true;',
  },
  {
    name: '1 nested AND/OR',
    file: QUERY,
    find: 'if (op === CompositeOp.AND) return filters.every((f) => matchesFilter(doc, f));',
    undo: 'if (op === CompositeOp.AND) return filters.every((f) => !f.has_composite_filter && matchesFilter(doc, f));',
  },
  {
    name: '1 nested field paths',
    file: STATE,
    find: 'return getValueAt(this.version.fields, parseFieldPath(path));',
    undo: 'return this.version.fields[path];',
  },
  { name: '1 document-name comparisons', file: STATE, find: 'if (path === "__name__") {', undo: 'if (false) {' },
  // 2. transactions
  { name: '2 transactions lock', file: TX, find: 'if (tx.readOnly) return;', undo: 'return;' },
  {
    name: '2 rollback releases',
    file: SERVICE,
    find: 'this.#state.transactions.finish(\n          this.#state.transactions.get(call.request.transaction),\n        );',
    undo: 'this.#state.transactions.get(call.request.transaction);',
  },
  {
    name: '2 rollback fails its waiting reads',
    file: TX,
    find: 'if (tx.state === "active") tx.state = "finished";\n    this.#end(tx, expiredError());',
    undo: 'if (tx.state === "active") tx.state = "finished";\n    this.#release(tx);\n    this.#forgetLater(tx);',
  },
  {
    name: '2 plain writes abort lock holders',
    file: SERVICE,
    find: 'this.#state.transactions.woundHolders(paths);',
    undo: '',
  },
  { name: '2 deadlock detection', file: TX, find: 'if (cycle) {', undo: 'if (false) {' },
  {
    name: '2 deadlock detection when a lock changes hands',
    file: TX,
    find: 'this.#breakCycle(waiter.tx, holder);',
    undo: '',
  },
  {
    name: '2 cancelled read releases',
    file: SERVICE,
    find: 'const onCancel = () => {\n      if (active) {',
    undo: 'const onCancel = () => {\n      if (false) {',
  },
  {
    name: '2 lock timeout',
    file: TX,
    find: '() => this.abort(tx, "transaction has expired (lock timeout)"),',
    undo: '() => {},',
  },
  // 3. update times
  { name: '3 lastUpdateTime precondition', file: WRITE, find: 'if (pre.has_update_time) {', undo: 'if (false) {' },
  {
    name: '3 distinct update times',
    file: STATE,
    find: 'Math.max(\n      Date.now() * 1000,\n      this.#lastCommitMicros + 1,\n    )',
    undo: 'Date.now() * 1000',
  },
  // 4. delete and replace
  {
    name: '4 FieldValue.delete()',
    file: WRITE,
    find: '? deleteValueAt(fields, segments)',
    undo: '? fields',
  },
  {
    name: '4 set() replaces',
    file: WRITE,
    find: ': given; // set() without merge replaces the whole document',
    undo: ': applyMask(current.fields, given, Object.keys(given));',
  },
  // 5. quoted keys
  {
    name: '5 quoted field path segments',
    file: PATH,
    find: '} else if (c === "`") {\n      quoted = true;',
    undo: '} else if (false) {\n      quoted = true;',
  },
  // 6. RPCs
  {
    name: '6 BatchWrite',
    file: SERVICE,
    find: 'const outcomes = call.request.writes.map(',
    undo: `${notImplemented('BatchWrite')} const outcomes = call.request.writes.map(`,
  },
  {
    name: '6 ListDocuments',
    file: SERVICE,
    find: 'const { documents, nextPageToken } = this.#state.listDocuments(',
    undo: `${notImplemented('ListDocuments')} const { documents, nextPageToken } = this.#state.listDocuments(`,
  },
  {
    name: '6 ListCollectionIds',
    file: SERVICE,
    find: 'const { parent, page_size, page_token } = call.request;',
    undo: `${notImplemented('ListCollectionIds')} const { parent, page_size, page_token } = call.request;`,
  },
  // 7. transforms
  {
    name: '7 every transform of a write',
    file: WRITE,
    find: 'for (const transform of transforms) {',
    undo: 'for (const transform of transforms.slice(0, 1)) {',
  },
  {
    name: '7 arrayUnion on a missing field',
    file: WRITE,
    find: 'const appended = [...existing];',
    undo: 'const appended = [...(current as FirestoreStateDocumentArrayField).value];',
  },
  {
    name: '7 transforms on nested fields',
    file: WRITE,
    find: 'const segments = parseFieldPath(transform.field_path);',
    undo: 'const segments = [transform.field_path];',
  },
  // 8. atomic commits
  {
    name: '8 atomic commits',
    file: STATE,
    find: 'staged.set(document, next);',
    undo: 'staged.set(document, next);\n      document.applyVersion(next);',
  },
  // 10. Listen streams with several targets (the client SDK's multiplexing)
  {
    name: '10 every request of a Listen stream',
    file: SERVICE,
    find: 'call.on("data", (request: ListenRequest) => {',
    undo: 'call.once("data", (request: ListenRequest) => {',
  },
  { name: '10 remove_target', file: 'FirestoreState/listen.ts', find: 'if (stop) {', undo: 'if (false) {' },
];

const only = process.argv.slice(2);
const report = join(tmpdir(), `conformance-${process.pid}.json`);
let unguarded = 0;
// Whatever happens, the mutated source file goes back to its fixed text.
let restore = () => {};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    restore();
    process.exit(130);
  });
}
const selected = FIXES.filter((f) => only.length === 0 || only.some((o) => f.name.includes(o)));
// Check every mutation applies before spending minutes on the first ones.
for (const fix of selected) {
  if (readFileSync(join(src, fix.file), 'utf8').split(fix.find).length !== 2) {
    throw new Error(`${fix.name}: expected exactly one occurrence of ${JSON.stringify(fix.find)} in ${fix.file}`);
  }
}
for (const fix of selected) {
  const file = join(src, fix.file);
  const original = readFileSync(file, 'utf8');
  restore = () => writeFileSync(file, original);
  try {
    writeFileSync(file, original.replace(fix.find, fix.undo));
    spawnSync(
      'npx',
      [
        'mocha',
        '--exit', // a listener left open by a failing test must not keep mocha alive
        '--timeout',
        '10000',
        '--reporter',
        'json',
        '--reporter-option',
        `output=${report}`,
        'test/firestore-conformance/*.test.ts',
        'test/integration/firestore-backend.test.ts',
      ],
      { stdio: 'ignore', timeout: 300_000 },
    );
  } finally {
    restore();
    restore = () => {};
  }
  const result = JSON.parse(readFileSync(report, 'utf8')) as { failures: { fullTitle: string }[] };
  rmSync(report, { force: true });
  const failed = result.failures.map((f) => f.fullTitle.replace(/^Firestore (conformance: )?/, ''));
  if (failed.length === 0) unguarded++;
  process.stdout.write(
    `${JSON.stringify({ fix: fix.name, failing: failed.length, tests: failed, ...(failed.length ? {} : { UNGUARDED: true }) })}\n`,
  );
}
process.exit(unguarded > 0 ? 1 : 0);
