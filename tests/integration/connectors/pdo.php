<?php
// PHP PDO (pdo_mysql over mysqlnd) with ATTR_EMULATE_PREPARES=false: real server-side prepared
// statements. Run by test_connectors.py against MariaDB directly and through mypoold.
// Environment: MYSQL_SOCKET, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB. Prints a transcript (compared
// between the two runs) and exits 1 if one of its own checks failed.
declare(strict_types=1);
error_reporting(E_ALL);
set_error_handler(function ($no, $str, $file, $line) { throw new ErrorException($str, 0, $no, $file, $line); });

$failed = 0;
function out(string $s): void { echo $s, "\n"; }
function show($v): string { return json_encode($v, JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE); }
function check(string $what, $got, $want): void {
    global $failed;
    if ($got === $want) { out("ok - $what"); return; }
    $failed++;
    out("not ok - $what: got " . show($got) . " want " . show($want));
}
function conn(): PDO {
    $dsn = sprintf('mysql:unix_socket=%s;dbname=%s;charset=utf8mb4', getenv('MYSQL_SOCKET'), getenv('MYSQL_DB'));
    return new PDO($dsn, getenv('MYSQL_USER'), getenv('MYSQL_PASSWORD'), [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => false,
        PDO::ATTR_STRINGIFY_FETCHES => false,
        PDO::MYSQL_ATTR_MULTI_STATEMENTS => true,
    ]);
}
function pdoerr(callable $f): array {
    try { $f(); return ['no error']; }
    catch (PDOException $e) { return [$e->getCode(), $e->errorInfo]; }
}

$a = conn();
$b = conn();   // holds a backend inside its transactions, so $a's statements may move
check('emulate prepares off', (bool)$a->getAttribute(PDO::ATTR_EMULATE_PREPARES), false);
$a->exec('DROP TABLE IF EXISTS conn_pdo');
check('exec create', $a->exec('CREATE TABLE conn_pdo (id INT AUTO_INCREMENT PRIMARY KEY, s LONGTEXT, n INT,
       u BIGINT UNSIGNED, d DECIMAL(30,10), f FLOAT, t TIME(6), dt TIMESTAMP(6) NULL, UNIQUE KEY (n))
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'), 0);

$big = str_repeat("0123456789abcdef\u{e9}", 1 << 16);   // 1.1 MB of utf8mb4 text, as one string parameter
$ins = $a->prepare('INSERT INTO conn_pdo (s, n, u, d, f, t, dt) VALUES (:s, :n, :u, :d, :f, :t, :dt)');
$params = [
    [':s' => 'plain', ':n' => 42, ':u' => '18446744073709551615', ':d' => '12345678901234567890.0123456789', ':f' => 1.5, ':t' => '-838:59:59.000000', ':dt' => '2038-01-19 03:14:07.999999'],
    [':s' => $big, ':n' => -2147483648, ':u' => 0, ':d' => '-0.0000000001', ':f' => -0.0, ':t' => '00:00:00.5', ':dt' => null],
    [':s' => null, ':n' => null, ':u' => null, ':d' => null, ':f' => null, ':t' => null, ':dt' => null],
    [':s' => '', ':n' => 0, ':u' => 1, ':d' => '0', ':f' => 3.0, ':t' => '12:00:00', ':dt' => '1970-01-01 00:00:01'],
];
$ids = [];
foreach ($params as $i => $p) {
    if ($i === 2) { $b->beginTransaction(); $b->query('SELECT 1')->fetchAll(); }
    foreach ($p as $k => $v) {
        $type = $v === null ? PDO::PARAM_NULL : (is_int($v) ? PDO::PARAM_INT : PDO::PARAM_STR);
        $ins->bindValue($k, $v === null || is_int($v) ? $v : (string)$v, $type);
    }
    check("insert $i", $ins->execute(), true);
    check("insert $i rowCount", $ins->rowCount(), 1);
    $ids[] = $a->lastInsertId();
    if ($i === 2) { $b->commit(); }
}
check('lastInsertId', $ids, ['1', '2', '3', '4']);

$sel = $a->prepare('SELECT id, s, n, u, d, f, t, dt, LENGTH(s) AS len, ? AS echo_param FROM conn_pdo WHERE id >= ? ORDER BY id');
$sel->execute(['param', 1]);
$rows = $sel->fetchAll(PDO::FETCH_ASSOC);
check('fetchAll count', count($rows), 4);
$meta = [];
for ($i = 0; $i < $sel->columnCount(); $i++) {
    $m = $sel->getColumnMeta($i);
    $meta[] = [$m['name'], $m['table'], $m['native_type'] ?? null, $m['len'], $m['precision'], $m['pdo_type'], $m['flags']];
}
out('meta ' . show($meta));
foreach ($rows as $r) {
    $r['s'] = $r['s'] === null ? null : (strlen($r['s']) > 64 ? 'md5:' . md5($r['s']) : $r['s']);
    out('row ' . show($r) . ' types ' . show(array_map('gettype', $r)));
}
check('row 0', [$rows[0]['s'], $rows[0]['n'], $rows[0]['u'], $rows[0]['d'], $rows[0]['f'], $rows[0]['t'], $rows[0]['dt']],
      ['plain', 42, '18446744073709551615', '12345678901234567890.0123456789', 1.5, '-838:59:59.000000', '2038-01-19 03:14:07.999999']);
check('row 1 1 MB string param', $rows[1]['s'] === $big, true);
check('row 1 len', $rows[1]['len'], strlen($big));
check('row 1', [$rows[1]['n'], $rows[1]['u'], $rows[1]['d'], $rows[1]['t'], $rows[1]['dt']],
      [-2147483648, 0, '-0.0000000001', '00:00:00.500000', null]);
check('row 2 NULLs', [$rows[2]['s'], $rows[2]['n'], $rows[2]['u'], $rows[2]['d'], $rows[2]['f'], $rows[2]['t'], $rows[2]['dt'], $rows[2]['len']],
      [null, null, null, null, null, null, null, null]);
check('row 3 empty string', [$rows[3]['s'], $rows[3]['len']], ['', 0]);
check('echo param', array_unique(array_column($rows, 'echo_param')), ['param']);

// Re-execute after another client held a backend; positional and named parameters.
$b->beginTransaction(); $b->query('SELECT 2')->fetchAll();
$sel->execute(['x', 4]);
check('re-execute', $sel->fetchAll(PDO::FETCH_NUM), [[4, '', 0, 1, '0.0000000000', 3.0, '12:00:00.000000', '1970-01-01 00:00:01.000000', 0, 'x']]);
$b->rollBack();
$one = $a->prepare('SELECT n FROM conn_pdo WHERE s = :s OR n = :n ORDER BY id');
$one->bindValue(':s', 'plain'); $one->bindValue(':n', 0, PDO::PARAM_INT);
$one->execute();
check('named params', $one->fetchAll(PDO::FETCH_COLUMN), [42, 0]);
$one->execute([':s' => 'nothing', ':n' => -2147483648]);
check('named params again', $one->fetchAll(PDO::FETCH_COLUMN), [-2147483648]);
check('fetchColumn', (function () use ($a) { $s = $a->prepare('SELECT COUNT(*) FROM conn_pdo WHERE n IS NULL'); $s->execute(); return $s->fetchColumn(); })(), 1);

// Errors with their SQLSTATEs and driver codes.
check('duplicate key', pdoerr(function () use ($a) { $s = $a->prepare('INSERT INTO conn_pdo (n) VALUES (?)'); $s->execute([42]); }),
      ['23000', ['23000', 1062, "Duplicate entry '42' for key 'n'"]]);
check('unknown column at prepare', pdoerr(fn() => $a->prepare('SELECT nope FROM conn_pdo WHERE id = ?')),
      ['42S22', ['42S22', 1054, "Unknown column 'nope' in 'SELECT'"]]);
check('syntax error', pdoerr(fn() => $a->prepare('SELECT FROM WHERE')),
      ['42000', ['42000', 1064, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FROM WHERE' at line 1"]]);
check('data too long (strict)', pdoerr(function () use ($a) { $s = $a->prepare('INSERT INTO conn_pdo (t) VALUES (?)'); $s->execute(['99:99:99']); }),
      ['22007', ['22007', 1292, "Incorrect time value: '99:99:99' for column `test`.`conn_pdo`.`t` at row 1"]]);

// Transactions.
$a->beginTransaction();
$u = $a->prepare('UPDATE conn_pdo SET n = n + ? WHERE id = ?');
$u->execute([1, 1]);
check('tx rowCount', $u->rowCount(), 1);
$a->rollBack();
check('after rollBack', $a->query('SELECT n FROM conn_pdo WHERE id = 1')->fetchColumn(), 42);
$a->beginTransaction();
$u->execute([1, 1]);
check('inTransaction', $a->inTransaction(), true);
$a->commit();
check('after commit', $a->query('SELECT n FROM conn_pdo WHERE id = 1')->fetchColumn(), 43);

// A stored procedure with two result sets, through a server-side prepared CALL.
$a->exec('DROP PROCEDURE IF EXISTS conn_pdo_p');
$a->exec('CREATE PROCEDURE conn_pdo_p(IN x INT) BEGIN SELECT x AS a; SELECT id, n FROM conn_pdo WHERE id <= x ORDER BY id; END');
$call = $a->prepare('CALL conn_pdo_p(?)');
$call->execute([2]);
$sets = [];
do { if ($call->columnCount() > 0) { $sets[] = $call->fetchAll(PDO::FETCH_NUM); } } while ($call->nextRowset());
// (pdo_mysql reports the CALL's final status as a third, empty row set)
check('CALL result sets', $sets, [[[2]], [[1, 43], [2, -2147483648]], []]);
$call->closeCursor();

// Plain queries and exec().
check('query', $a->query("SELECT 'q' AS x, 1 + 1 AS y")->fetch(PDO::FETCH_ASSOC), ['x' => 'q', 'y' => 2]);
check('exec rowCount', $a->exec('UPDATE conn_pdo SET f = 2 WHERE id > 1'), 3);
check('quote', $a->quote("it's"), "'it\\'s'");
$a->exec('DROP PROCEDURE conn_pdo_p');
$a->exec('DROP TABLE conn_pdo');
out($failed ? "FAILED $failed" : 'DONE');
exit($failed ? 1 : 0);
