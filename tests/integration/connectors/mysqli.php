<?php
// PHP mysqli (mysqlnd) with server-side prepared statements, run by test_connectors.py against
// MariaDB directly and through mypoold. Environment: MYSQL_SOCKET, MYSQL_USER, MYSQL_PASSWORD,
// MYSQL_DB. Prints a transcript of what it saw (compared between the two runs; no connection ids
// in it) and exits 1 if one of its own checks failed.
declare(strict_types=1);
error_reporting(E_ALL);
set_error_handler(function ($no, $str, $file, $line) { throw new ErrorException($str, 0, $no, $file, $line); });
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);

$failed = 0;
function out(string $s): void { echo $s, "\n"; }
function show($v): string { return json_encode($v, JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE); }
function check(string $what, $got, $want): void {
    global $failed;
    if ($got === $want) { out("ok - $what"); return; }
    $failed++;
    out("not ok - $what: got " . show($got) . " want " . show($want));
}
function conn(): mysqli {
    $m = new mysqli('localhost', getenv('MYSQL_USER'), getenv('MYSQL_PASSWORD'), getenv('MYSQL_DB'),
                    0, getenv('MYSQL_SOCKET'));
    $m->set_charset('utf8mb4');
    return $m;
}
function sqlerr(callable $f): array {
    try { $f(); return ['no error']; }
    catch (mysqli_sql_exception $e) { return [$e->getCode(), $e->getSqlState(), $e->getMessage()]; }
}

$a = conn();
$b = conn();   // a second client: its transactions hold a backend, so $a's next statement may run elsewhere
$a->query('DROP TABLE IF EXISTS conn_mysqli');
$a->query('CREATE TABLE conn_mysqli (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(200) UNIQUE, n BIGINT,
           d DECIMAL(12,4), f DOUBLE, dt DATETIME(3), b MEDIUMBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');

// INSERT through a prepared statement, executed several times with new values bound.
$ins = $a->prepare('INSERT INTO conn_mysqli (s, n, d, f, dt, b) VALUES (?, ?, ?, ?, ?, ?)');
check('insert param_count', $ins->param_count, 6);
$s = $n = $d = $f = $dt = $bl = null;
$ins->bind_param('sisdsb', $s, $n, $d, $f, $dt, $bl);
$rows = [
    ['alpha', 1, '1.5000', 0.25, '2024-02-29 12:34:56.789', "\x00\x01\xff"],
    ["h\u{e9}llo \u{1F600}", -9007199254740991, '-12345678.1234', -1.5e300, '1970-01-01 00:00:01.000', ''],
    ['', 0, null, null, null, null],
    [str_repeat('x', 200), PHP_INT_MAX, '99999999.9999', 3.0, '9999-12-31 23:59:59.999', str_repeat("\xab", 300000)],
];
$ids = [];
foreach ($rows as $i => $r) {
    [$s, $n, $d, $f, $dt, $blob] = $r;
    if ($i === 1) { $b->begin_transaction(); $b->query('SELECT 1'); }   // hold a backend meanwhile
    // the blob goes as COM_STMT_SEND_LONG_DATA, in pieces
    if ($blob !== null) {
        foreach (str_split($blob === '' ? '' : $blob, 65536) as $chunk) { if ($chunk !== '') $ins->send_long_data(5, $chunk); }
    }
    $bl = null;
    $ins->execute();
    if ($i === 1) { $b->commit(); }
    check("insert $i affected_rows", $ins->affected_rows, 1);
    $ids[] = $ins->insert_id;
}
check('insert ids', $ids, [1, 2, 3, 4]);
check('connection insert_id', $a->insert_id, 4);
// An empty long-data blob is NULL (nothing was sent): fix row 2's blob to '' by a plain query.
$a->query("UPDATE conn_mysqli SET b = '' WHERE id = 2");
check('update affected_rows', $a->affected_rows, 1);
check('update info', $a->info, 'Rows matched: 1  Changed: 1  Warnings: 0');

// SELECT with get_result: native PHP types from the binary protocol.
$sel = $a->prepare('SELECT id, s, n, d, f, dt, b, LENGTH(b) AS bl FROM conn_mysqli WHERE id >= ? AND s <> ? ORDER BY id');
$lo = 1; $not = 'nothing';
$sel->bind_param('is', $lo, $not);
$sel->execute();
$res = $sel->get_result();
check('select num_rows', $res->num_rows, 4);
$meta = [];
foreach ($res->fetch_fields() as $fd) { $meta[] = [$fd->name, $fd->orgname, $fd->table, $fd->orgtable, $fd->db, $fd->type, $fd->length, $fd->flags, $fd->decimals, $fd->charsetnr]; }
out('meta ' . show($meta));
$all = $res->fetch_all(MYSQLI_ASSOC);
foreach ($all as $row) {
    $row['b'] = $row['b'] === null ? null : md5($row['b']);
    out('row ' . show($row) . ' types ' . show(array_map('gettype', $row)));
}
check('row 0 id int', $all[0]['id'], 1);
check('row 0 s', $all[0]['s'], 'alpha');
check('row 0 d', $all[0]['d'], '1.5000');
check('row 0 f', $all[0]['f'], 0.25);
check('row 0 dt', $all[0]['dt'], '2024-02-29 12:34:56.789');
check('row 1 s utf8mb4', $all[1]['s'], "h\u{e9}llo \u{1F600}");
check('row 1 n', $all[1]['n'], -9007199254740991);
check('row 1 f', $all[1]['f'], -1.5e300);
check('row 2 NULLs', [$all[2]['d'], $all[2]['f'], $all[2]['dt'], $all[2]['b']], [null, null, null, null]);
check('row 2 empty string', $all[2]['s'], '');
check('row 3 n', $all[3]['n'], PHP_INT_MAX);
check('row 3 blob length', $all[3]['bl'], 300000);
$res->free();

// The same statement again with other values, after another client held a backend.
$b->begin_transaction(); $b->query('SELECT 2');
$lo = 3; $not = '';
$sel->execute();
$r2 = $sel->get_result()->fetch_all(MYSQLI_NUM);
$b->rollback();
check('re-execute rows', array_column($r2, 0), [4]);

// bind_result + fetch (buffered with store_result), then reset (COM_STMT_RESET) and re-run.
$q = $a->prepare('SELECT id, s, d FROM conn_mysqli WHERE id <= ? ORDER BY id');
$lim = 2;
$q->bind_param('i', $lim);
$q->execute();
$q->store_result();
check('store_result num_rows', $q->num_rows, 2);
$rid = $rs = $rd = null;
$q->bind_result($rid, $rs, $rd);
$got = [];
while ($q->fetch()) { $got[] = [$rid, $rs, $rd]; }
check('bind_result rows', $got, [[1, 'alpha', '1.5000'], [2, "h\u{e9}llo \u{1F600}", '-12345678.1234']]);
$q->free_result();
$q->reset();
$lim = 1;
$q->execute();
$q->bind_result($rid, $rs, $rd);   // mysqlnd forgets the bound variables on reset()
$got = [];
while ($q->fetch()) { $got[] = [$rid, $rs, $rd]; }
check('after reset rows', $got, [[1, 'alpha', '1.5000']]);
$q->close();

// A read-only cursor: rows come by COM_STMT_FETCH.
$c = $a->prepare('SELECT id, n FROM conn_mysqli ORDER BY id');
$c->attr_set(MYSQLI_STMT_ATTR_CURSOR_TYPE, MYSQLI_CURSOR_TYPE_READ_ONLY);
$c->attr_set(MYSQLI_STMT_ATTR_PREFETCH_ROWS, 1);
$c->execute();
$cid = $cn = null;
$c->bind_result($cid, $cn);
$got = [];
while ($c->fetch()) { $got[] = $cid; }
check('cursor rows', $got, [1, 2, 3, 4]);
$c->close();

// Errors: at prepare and at execute; the connection stays usable.
check('prepare syntax error', sqlerr(fn() => $a->prepare('SELEC 1')), [1064, '42000',
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1"]);
check('prepare unknown table', sqlerr(fn() => $a->prepare('SELECT * FROM conn_mysqli_nope WHERE id = ?')),
      [1146, '42S02', "Table 'test.conn_mysqli_nope' doesn't exist"]);
$dup = $a->prepare('INSERT INTO conn_mysqli (s) VALUES (?)');
$v = 'alpha';
$dup->bind_param('s', $v);
check('execute duplicate key', sqlerr(fn() => $dup->execute()), [1062, '23000', "Duplicate entry 'alpha' for key 's'"]);
$v = 'beta';
$dup->execute();
check('execute after error', $dup->insert_id, 6);   // the failed insert used up id 5
$dup->close();

// Transactions with prepared statements.
$a->begin_transaction();
$t = $a->prepare('UPDATE conn_mysqli SET n = n + ? WHERE id = ?');
$inc = 10; $tid = 1;
$t->bind_param('ii', $inc, $tid);
$t->execute();
check('tx update affected', $t->affected_rows, 1);
$a->rollback();
check('after rollback', $a->query('SELECT n FROM conn_mysqli WHERE id = 1')->fetch_row(), ['1']);
$a->begin_transaction();
$t->execute();
$a->commit();
check('after commit', $a->query('SELECT n FROM conn_mysqli WHERE id = 1')->fetch_row(), ['11']);
$t->close();

// Plain queries (text protocol): strings unless MYSQLI_OPT_INT_AND_FLOAT_NATIVE.
$r = $a->query('SELECT id, s, d, dt FROM conn_mysqli WHERE id = 1');
check('query row', $r->fetch_assoc(), ['id' => '1', 's' => 'alpha', 'd' => '1.5000', 'dt' => '2024-02-29 12:34:56.789']);
check('query warnings', [$a->query('SELECT 1/0') instanceof mysqli_result, $a->warning_count], [true, 1]);
check('multi_query', (function () use ($a) {
    $a->multi_query('SELECT 1 AS x; SELECT 2 AS y, 3 AS z; UPDATE conn_mysqli SET n = n WHERE id = 1');
    $sets = [];
    do {
        if ($res = $a->store_result()) { $sets[] = $res->fetch_all(MYSQLI_NUM); $res->free(); }
        else { $sets[] = ['affected' => $a->affected_rows]; }
    } while ($a->more_results() && $a->next_result());
    return $sets;
})(), [[['1']], [['2', '3']], ['affected' => 0]]);
check('ping', $a->ping(), true);

// The character set of a client that does not choose one: mysqlnd takes the server's default
// collation from the handshake greeting. Then set_charset() (SET NAMES) must take effect.
$p = new mysqli('localhost', getenv('MYSQL_USER'), getenv('MYSQL_PASSWORD'), getenv('MYSQL_DB'), 0, getenv('MYSQL_SOCKET'));
out('default charset ' . show([$p->character_set_name(), $p->query('SELECT @@character_set_client, @@collation_connection, @@character_set_results')->fetch_row()]));
$p->set_charset('latin1');
check('set_charset latin1', [$p->character_set_name(), $p->query("SELECT @@character_set_client, @@character_set_results, HEX('caf\xe9')")->fetch_row()],
      ['latin1', ['latin1', 'latin1', '636166E9']]);
$p->set_charset('utf8mb4');
check('set_charset utf8mb4', $p->query("SELECT @@character_set_client, HEX('caf\u{e9}'), @@collation_connection")->fetch_row(), ['utf8mb4', '636166C3A9', 'utf8mb4_general_ci']);
$p->query('SET NAMES utf8mb4 COLLATE utf8mb4_bin');
check('SET NAMES ... COLLATE', $p->query("SELECT @@collation_connection, 'a' = 'A'")->fetch_row(), ['utf8mb4_bin', '0']);
$p->close();
check('query after all', $a->query('SELECT COUNT(*) FROM conn_mysqli')->fetch_row(), ['5']);
$ins->close();
$sel->close();
$a->query('DROP TABLE conn_mysqli');
$a->close();
$b->close();
out($failed ? "FAILED $failed" : 'DONE');
exit($failed ? 1 : 0);
