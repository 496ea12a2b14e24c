#!/usr/bin/perl
# Perl DBI + DBD::MariaDB with mariadb_server_prepare=1 (binary protocol prepared statements).
# Run by test_connectors.py against MariaDB directly and through mypoold. Environment:
# MYSQL_SOCKET, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB. Prints a transcript (compared between the
# two runs) and exits 1 if one of its own checks failed.
use strict;
use warnings;
use utf8;
use DBI;
use Digest::MD5 qw(md5_hex);
use Encode qw(encode_utf8);

binmode STDOUT, ':encoding(UTF-8)';
my $failed = 0;

sub show {
    my ($v) = @_;
    return 'undef' unless defined $v;
    if (ref $v eq 'ARRAY') { return '[' . join(',', map { show($_) } @$v) . ']'; }
    if (ref $v eq 'HASH') { return '{' . join(',', map { "$_=>" . show($v->{$_}) } sort keys %$v) . '}'; }
    return "'$v'";
}
sub check {
    my ($what, $got, $want) = @_;
    if (show($got) eq show($want)) { print "ok - $what\n"; return; }
    $failed++;
    print "not ok - $what: got " . show($got) . ' want ' . show($want) . "\n";
}
sub conn {
    my $dsn = "DBI:MariaDB:database=$ENV{MYSQL_DB};mariadb_socket=$ENV{MYSQL_SOCKET};mariadb_server_prepare=1";
    return DBI->connect($dsn, $ENV{MYSQL_USER}, $ENV{MYSQL_PASSWORD},
                        { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
}
sub dberr {
    my ($dbh, $code) = @_;
    eval { $code->(); 1 } and return ['no error'];
    return [$dbh->err, $dbh->state, $dbh->errstr];
}

my $a = conn();
my $b = conn();   # holds a backend inside its transactions, so $a's statements may move
check('server prepare on', $a->{mariadb_server_prepare}, 1);
$a->do('DROP TABLE IF EXISTS conn_dbd');
$a->do('CREATE TABLE conn_dbd (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100) UNIQUE, n BIGINT,
        d DECIMAL(10,2), f DOUBLE, dt DATETIME(6), b LONGBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');

my $ins = $a->prepare('INSERT INTO conn_dbd (s, n, d, f, dt, b) VALUES (?, ?, ?, ?, ?, ?)');
check('NUM_OF_PARAMS', $ins->{NUM_OF_PARAMS}, 6);
my $blob = join('', map { chr($_ % 256) } 0 .. 99999);
my @rows = (
    ['one', 1, '1.25', 0.5, '2024-02-29 23:59:59.123456', "\x00\xff"],
    ["grüße \x{1F600}", -9007199254740992, '-99999999.99', 1e-300, '1000-01-01 00:00:00.000000', $blob],
    ['', 0, undef, undef, undef, ''],
    [undef, undef, undef, undef, undef, undef],
);
my @ids;
for my $i (0 .. $#rows) {
    if ($i == 1) { $b->begin_work; $b->selectall_arrayref('SELECT 1'); }
    my @r = @{ $rows[$i] };
    $ins->bind_param($_ + 1, $r[$_]) for 0 .. 4;
    $ins->bind_param(6, $r[5], DBI::SQL_BLOB);
    check("insert $i rows", $ins->execute, 1);
    push @ids, $ins->{mariadb_insertid};
    $b->commit if $i == 1;
}
check('insert ids', \@ids, [1, 2, 3, 4]);
check('last_insert_id', $a->last_insert_id(undef, undef, undef, undef), 4);

my $sel = $a->prepare('SELECT id, s, n, d, f, dt, b, LENGTH(b) FROM conn_dbd WHERE id >= ? AND (s <> ? OR s IS NULL) ORDER BY id');
$sel->execute(1, 'nothing');
check('NAME', $sel->{NAME}, ['id', 's', 'n', 'd', 'f', 'dt', 'b', 'LENGTH(b)']);
print 'TYPE ', show($sel->{TYPE}), "\n";
print 'PRECISION ', show($sel->{PRECISION}), ' SCALE ', show($sel->{SCALE}), ' NULLABLE ', show($sel->{NULLABLE}), "\n";
print 'mariadb_type_name ', show($sel->{mariadb_type_name}), "\n";
my @got;
while (my $r = $sel->fetchrow_arrayref) {
    my @c = @$r;
    $c[6] = md5_hex($c[6]) if defined $c[6];
    push @got, [@c];
    print 'row ', show(\@c), "\n";
}
check('row count', scalar @got, 4);
check('row 0', $got[0], [1, 'one', 1, '1.25', '0.5', '2024-02-29 23:59:59.123456', md5_hex("\x00\xff"), 2]);
check('row 1 utf8mb4', $got[1][1], "grüße \x{1F600}");
check('row 1 n', $got[1][2], -9007199254740992);
check('row 1 blob', [$got[1][6], $got[1][7]], [md5_hex($blob), 100000]);
check('row 2', $got[2], [3, '', 0, undef, undef, undef, md5_hex(''), 0]);
check('row 3', $got[3], [4, undef, undef, undef, undef, undef, undef, undef]);

# Re-execute after another client held a backend.
$b->begin_work; $b->selectall_arrayref('SELECT 2');
$sel->execute(4, '');
check('re-execute', $sel->fetchall_arrayref, [[4, undef, undef, undef, undef, undef, undef, undef]]);
$b->rollback;

# do() with placeholders (prepared on the server too), rows affected.
check('do update', $a->do('UPDATE conn_dbd SET n = n + ? WHERE id <= ?', undef, 10, 2), 2);
check('do no match', $a->do('UPDATE conn_dbd SET n = 0 WHERE id = ?', undef, 999), '0E0');
check('selectrow_array', [$a->selectrow_array('SELECT n FROM conn_dbd WHERE id = ?', undef, 1)], [11]);
check('selectcol_arrayref', $a->selectcol_arrayref('SELECT id FROM conn_dbd WHERE n > ? ORDER BY id', undef, -1), [1, 3]);
check('ON DUPLICATE KEY UPDATE', $a->do('INSERT INTO conn_dbd (s, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)', undef, 'one', 7), 2);

# Errors.
check('duplicate key', dberr($a, sub { $a->do('INSERT INTO conn_dbd (s) VALUES (?)', undef, 'one') }),
      [1062, '23000', "Duplicate entry 'one' for key 's'"]);
check('unknown table', dberr($a, sub { $a->prepare('SELECT * FROM conn_dbd_nope WHERE id = ?') }),
      [1146, '42S02', "Table 'test.conn_dbd_nope' doesn't exist"]);
check('data too long', dberr($a, sub { $a->do('INSERT INTO conn_dbd (s) VALUES (?)', undef, 'x' x 101) }),
      [1406, '22001', "Data too long for column 's' at row 1"]);
check('usable after errors', [$a->selectrow_array('SELECT COUNT(*) FROM conn_dbd')], [4]);

# Transactions with AutoCommit off.
$a->begin_work;
$a->do('DELETE FROM conn_dbd WHERE id = ?', undef, 4);
$a->rollback;
check('after rollback', [$a->selectrow_array('SELECT COUNT(*) FROM conn_dbd')], [4]);
$a->{AutoCommit} = 0;
$a->do('DELETE FROM conn_dbd WHERE id = ?', undef, 4);
$a->commit;
$a->{AutoCommit} = 1;
check('after commit', [$a->selectrow_array('SELECT COUNT(*) FROM conn_dbd')], [3]);

# Warnings and a plain (non-prepared) statement handle.
my $w = $a->prepare('SELECT 1/0', { mariadb_server_prepare => 0 });
$w->execute;
check('division by zero', [$w->fetchrow_array, $w->{mariadb_warning_count}], [undef, 1]);
check('ping', $a->ping, 1);
$a->do('DROP TABLE conn_dbd');
$_->disconnect for $a, $b;
print $failed ? "FAILED $failed\n" : "DONE\n";
exit($failed ? 1 : 0);
