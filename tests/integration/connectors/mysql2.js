// node mysql2: execute() (server-side prepared statements, binary protocol) and query() (text),
// run by test_connectors.py against MariaDB directly and through mypoold. Environment:
// MYSQL_SOCKET, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB, and NODE_PATH pointing at the node_modules
// that hold mysql2. Prints a transcript (compared between the two runs) and exits 1 if one of its
// own checks failed.
'use strict';
const assert = require('assert');
const crypto = require('crypto');
const mysql = require('mysql2/promise');

let failed = 0;
const out = (s) => process.stdout.write(s + '\n');
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() + 'n'
  : Buffer.isBuffer(x) ? 'buf:' + x.toString('hex') : x));
function check(what, got, want) {
  try {
    assert.deepStrictEqual(got, want);
    out('ok - ' + what);
  } catch (e) {
    failed++;
    out('not ok - ' + what + ': got ' + show(got) + ' want ' + show(want));
  }
}
const md5 = (b) => (b === null ? null : crypto.createHash('md5').update(b).digest('hex'));
async function sqlerr(f) {
  try { await f(); return ['no error']; } catch (e) { return [e.errno, e.code, e.sqlState, e.sqlMessage]; }
}
const opts = {
  socketPath: process.env.MYSQL_SOCKET, user: process.env.MYSQL_USER,
  password: process.env.MYSQL_PASSWORD, database: process.env.MYSQL_DB,
  charset: 'utf8mb4_general_ci', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  multipleStatements: true,
};

async function main() {
  const a = await mysql.createConnection(opts);
  const b = await mysql.createConnection(opts);   // holds a backend in its transactions
  await a.query('DROP TABLE IF EXISTS conn_mysql2');
  await a.query(`CREATE TABLE conn_mysql2 (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100) UNIQUE,
    n BIGINT, d DECIMAL(15,5), f DOUBLE, dt DATETIME(3), t TIME, j JSON, b MEDIUMBLOB, bt BIT(12))
    ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);

  const blob = Buffer.alloc(70000, 0xab);
  const rows = [
    ['first', 1, '123.45', 0.125, '2024-02-29 01:02:03.456', '-12:34:56', '{"k": [1, "x"]}', Buffer.from([0, 1, 255]), 5],
    ['\u00fcml\u00e4ut \u{1F680}', '-9223372036854775808', '-9999999999.99999', -1e308, '1000-01-01 00:00:00.000', '838:59:59', '[]', blob, 4095],
    ['', 0, '0.00000', 0, '2038-01-19 03:14:07.000', '00:00:00', 'null', Buffer.alloc(0), 0],
    [null, null, null, null, null, null, null, null, null],
  ];
  const ids = [];
  for (let i = 0; i < rows.length; i++) {
    if (i === 1) { await b.beginTransaction(); await b.query('SELECT 1'); }
    const [res] = await a.execute('INSERT INTO conn_mysql2 (s, n, d, f, dt, t, j, b, bt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', rows[i]);
    check(`insert ${i} affectedRows`, res.affectedRows, 1);
    ids.push(res.insertId);
    if (i === 1) await b.commit();
  }
  check('insert ids', ids, [1, 2, 3, 4]);

  const [sel, fields] = await a.execute('SELECT id, s, n, d, f, dt, t, j, b, bt, ? AS p FROM conn_mysql2 WHERE id >= ? ORDER BY id', ['echo', 1]);
  out('fields ' + show(fields.map((f) => [f.name, f.orgName, f.table, f.orgTable, f.schema, f.columnType, f.columnLength, f.flags, f.decimals, f.characterSet, f.extendedTypeName || null, f.extendedFormat || null])));
  for (const r of sel) out('row ' + show({ ...r, b: md5(r.b) }) + ' types ' + show(Object.values(r).map((v) => (v === null ? 'null' : Buffer.isBuffer(v) ? 'buffer' : typeof v))));
  check('row count', sel.length, 4);
  // MariaDB marks JSON columns in its extended metadata (format=json): mysql2 then parses them.
  check('JSON column extended metadata', fields.map((f) => f.extendedFormat || null)[7], 'json');
  check('row 0', [sel[0].s, sel[0].n, sel[0].d, sel[0].f, sel[0].dt, sel[0].t, sel[0].j, sel[0].b, sel[0].bt, sel[0].p],
    ['first', '1', '123.45000', 0.125, '2024-02-29 01:02:03.456', '-12:34:56', { k: [1, 'x'] }, Buffer.from([0, 1, 255]), Buffer.from([0, 5]), 'echo']);
  check('row 1', [sel[1].s, sel[1].n, sel[1].d, sel[1].f, sel[1].t, md5(sel[1].b)],
    ['\u00fcml\u00e4ut \u{1F680}', '-9223372036854775808', '-9999999999.99999', -1e308, '838:59:59', md5(blob)]);
  check('row 2 empty values', [sel[2].s, sel[2].b, sel[2].j], ['', Buffer.alloc(0), null]);
  check('row 3 NULLs', Object.values(sel[3]).slice(1, 10), [null, null, null, null, null, null, null, null, null]);

  // The same SQL again (mysql2 caches the statement) after another client held a backend.
  await b.beginTransaction(); await b.query('SELECT 2');
  const [again] = await a.execute('SELECT id, s, n, d, f, dt, t, j, b, bt, ? AS p FROM conn_mysql2 WHERE id >= ? ORDER BY id', ['x', 4]);
  check('re-execute', again.map((r) => [r.id, r.p]), [[4, 'x']]);
  await b.rollback();

  // Explicit prepare / execute / close.
  const st = await a.prepare('SELECT COUNT(*) AS c FROM conn_mysql2 WHERE n > ?');
  check('prepare columns and params', [st.statement.columns.map((c) => c.name), st.statement.parameters.length], [['c'], 1]);
  const [[c1]] = await st.execute([0]);
  const [[c2]] = await st.execute([-1]);
  check('prepared counts', [c1.c, c2.c], ['1', '2']);   // BIGINT: strings with bigNumberStrings
  await st.close();

  // query() (text protocol) with client-side interpolation.
  const [q] = await a.query('SELECT id, s, d, n FROM conn_mysql2 WHERE id IN (?) ORDER BY id', [[1, 2]]);
  check('query rows', q.map((r) => [r.id, r.s, r.d, r.n]), [[1, 'first', '123.45000', '1'], [2, '\u00fcml\u00e4ut \u{1F680}', '-9999999999.99999', '-9223372036854775808']]);
  const [multi] = await a.query('SELECT 1 AS x; SELECT 2 AS y; UPDATE conn_mysql2 SET f = f WHERE id = 1');
  check('multi statements', [multi[0], multi[1], multi[2].affectedRows], [[{ x: 1 }], [{ y: 2 }], 1]);   // mysql2 sets CLIENT_FOUND_ROWS
  const [upd] = await a.query('INSERT INTO conn_mysql2 (s, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + 1', ['first', 0]);
  check('ON DUPLICATE KEY UPDATE affectedRows', upd.affectedRows, 2);
  const [wr] = await a.query('SELECT 1/0 AS z');
  const [[wc]] = await a.query('SELECT @@warning_count AS w');
  check('division by zero', [wr[0].z, wc.w], [null, '1']);

  // Errors through execute() and query().
  check('duplicate key (execute)', await sqlerr(() => a.execute('INSERT INTO conn_mysql2 (s) VALUES (?)', ['first'])),
    [1062, 'ER_DUP_ENTRY', '23000', "Duplicate entry 'first' for key 's'"]);
  check('unknown table (execute)', await sqlerr(() => a.execute('SELECT * FROM conn_mysql2_nope WHERE id = ?', [1])),
    [1146, 'ER_NO_SUCH_TABLE', '42S02', "Table 'test.conn_mysql2_nope' doesn't exist"]);
  check('syntax (query)', await sqlerr(() => a.query('SELEC 1')),
    [1064, 'ER_PARSE_ERROR', '42000', "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1"]);
  check('data too long (execute)', await sqlerr(() => a.execute('INSERT INTO conn_mysql2 (s) VALUES (?)', ['y'.repeat(101)])),
    [1406, 'ER_DATA_TOO_LONG', '22001', "Data too long for column 's' at row 1"]);

  // Transactions.
  await a.beginTransaction();
  await a.execute('DELETE FROM conn_mysql2 WHERE id = ?', [4]);
  await a.rollback();
  const [[n1]] = await a.execute('SELECT COUNT(*) AS c FROM conn_mysql2');
  await a.beginTransaction();
  await a.execute('DELETE FROM conn_mysql2 WHERE id = ?', [4]);
  await a.commit();
  const [[n2]] = await a.execute('SELECT COUNT(*) AS c FROM conn_mysql2');
  check('rollback then commit', [n1.c, n2.c], ['4', '3']);

  // A pool of 6 connections running 60 execute()s at once.
  const pool = mysql.createPool({ ...opts, connectionLimit: 6 });
  const res = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    pool.execute('SELECT ? + id AS v FROM conn_mysql2 WHERE id = ?', [i, 1 + (i % 3)]).then(([r]) => r[0].v)));
  check('pool executes', res, Array.from({ length: 60 }, (_, i) => i + 1 + (i % 3)));
  await pool.end();

  await a.query('DROP TABLE conn_mysql2');
  await a.end();
  await b.end();
}

main().then(() => {
  out(failed ? `FAILED ${failed}` : 'DONE');
  process.exit(failed ? 1 : 0);
}, (e) => {
  out('not ok - exception: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
