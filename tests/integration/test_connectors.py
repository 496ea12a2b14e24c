"""Real connectors through mypoold: PHP mysqli and PDO, Perl DBD::MariaDB, node mysql2, sysbench,
mariadb-dump and mariadb-admin.

Each test first runs its client straight against MariaDB (that proves the check itself), then the
same through mypoold, in the suite's default pool mode (so `make check` runs them in session and
in transaction pooling). The scripts under connectors/ check what they see themselves and print
a transcript of it (values, types, column metadata, errors, affected rows); the transcripts of
the two runs must be identical. The sysbench test always uses transaction pooling.

Needs (scripts/deps installs them): php-cli php-mysql, libdbd-mariadb-perl, nodejs and npm (mysql2
is installed with npm at test time into the run's temp dir, version pinned in
connectors/node/package.json; MYPOOL_TEST_NODE_DIR keeps it across runs), sysbench, mariadb-client.
A missing tool fails the test.
"""

import difflib
import fcntl
import json
import os
import re
import shutil
import subprocess
import threading
import time

import harness

CONNECTORS = os.path.join(harness.HERE, "connectors")
NODE_PACKAGE = os.path.join(CONNECTORS, "node", "package.json")


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        raise AssertionError("%s not found: install %s (scripts/deps)" % (tool, package))
    return path


def node_modules():
    """A node_modules with the pinned mysql2: installed by npm into the run's temp dir (nothing
    is left in the build tree, which `make distcheck` would refuse), or kept across runs in
    $MYPOOL_TEST_NODE_DIR. npm's own cache (~/.npm) makes a repeated install quick."""
    need("node", "nodejs")
    npm = need("npm", "npm")
    with open(NODE_PACKAGE) as f:
        want = json.load(f)["dependencies"]["mysql2"]
    base = os.environ.get("MYPOOL_TEST_NODE_DIR") or os.path.join(harness.tmp_root(),
                                                                  "node-connectors")
    os.makedirs(base, exist_ok=True)
    installed = os.path.join(base, "node_modules", "mysql2", "package.json")
    # Two runs sharing MYPOOL_TEST_NODE_DIR (make -j2 check) may get here at once: one installs,
    # the other waits.
    with open(os.path.join(base, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(installed) as f:
                have = json.load(f).get("version")
        except (OSError, ValueError):
            have = None
        if have != want:
            shutil.copy(NODE_PACKAGE, os.path.join(base, "package.json"))
            p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock",
                                "--prefer-offline", "--loglevel=error"], cwd=base,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=300)
            if p.returncode != 0:
                raise AssertionError("npm install mysql2@%s in %s failed (rc %d):\n%s"
                                     % (want, base, p.returncode, p.stdout.decode(errors="replace")))
    return os.path.join(base, "node_modules")


class ConnectorsTest(harness.TestCase):
    """PHP, Perl and node connectors; mariadb-dump and mariadb-admin."""

    maxDiff = None

    def run_script(self, argv, sock, env=None, timeout=120):
        e = dict(os.environ, MYSQL_SOCKET=sock, MYSQL_USER=harness.APP_USER,
                 MYSQL_PASSWORD=harness.APP_PASSWORD, MYSQL_DB="test")
        e.update(env or {})
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=e, timeout=harness.scaled(timeout),
                           cwd=harness.tmp_root())
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def both(self, argv, env=None):
        """Run the script straight against MariaDB (must pass), then through mypoold (must pass
        and print the same transcript)."""
        rc, direct, err = self.run_script(argv, self.sandbox.socket, env)
        self.assertEqual(rc, 0, "%s failed straight against MariaDB (the check itself is wrong):\n"
                         "%s\n%s" % (" ".join(argv), direct, err))
        self.assertTrue(direct.rstrip().endswith("DONE"), direct)
        if harness.DIRECT:
            return direct
        rc, pooled, err = self.run_script(argv, self.target, env)
        failures = [line for line in pooled.splitlines() if line.startswith("not ok")]
        diff = "".join(difflib.unified_diff(direct.splitlines(True), pooled.splitlines(True),
                                            "direct", "mypool", n=1))
        if rc != 0 or failures or diff:
            self.fail("%s through mypoold: rc %d\n%s\nstderr: %s\ndiff of the transcripts "
                      "(direct vs mypool):\n%s" % (" ".join(argv), rc, "\n".join(failures),
                                                   err[-2000:], diff[:8000]))
        return pooled

    def test_php_mysqli(self):
        php = need("php", "php-cli")
        self.both([php, os.path.join(CONNECTORS, "mysqli.php")])

    def test_php_pdo(self):
        php = need("php", "php-cli")
        self.both([php, os.path.join(CONNECTORS, "pdo.php")])

    def test_perl_dbd_mariadb(self):
        perl = need("perl", "perl")
        p = subprocess.run([perl, "-MDBD::MariaDB", "-e", "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        self.assertEqual(p.returncode, 0, "DBD::MariaDB missing: install libdbd-mariadb-perl "
                         "(scripts/deps)\n" + p.stdout.decode(errors="replace"))
        self.both([perl, os.path.join(CONNECTORS, "dbd_mariadb.pl")])

    def test_node_mysql2(self):
        modules = node_modules()
        self.both([shutil.which("node"), os.path.join(CONNECTORS, "mysql2.js")],
                  env={"NODE_PATH": modules})

    # -- mariadb-dump and mariadb-admin --------------------------------------------------------

    DUMP_SETUP = [
        "DROP DATABASE IF EXISTS conn_dump_src",
        "CREATE DATABASE conn_dump_src CHARACTER SET utf8mb4",
        "USE conn_dump_src",
        "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(50), "
        "b BLOB, d DECIMAL(20,6), t DATETIME(6), tm TIME(3), j JSON, e ENUM('x','y'), f DOUBLE, "
        "u BIGINT UNSIGNED, KEY (s)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        "INSERT INTO a (s, b, d, t, tm, j, e, f, u) VALUES "
        "('x', 0x00ff0a0d275c, 1.5, '2020-01-01 00:00:00.123456', '-12:00:00.5', '{\"k\": 1}', "
        "'x', 1e-300, 18446744073709551615), "
        "('\u00fc\U0001F600 \"q\" ''s'' \\\\', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "('', '', 0, '1000-01-01', '00:00:00', '[1]', 'y', -0.5, 0)",
        "CREATE TABLE b (k INT PRIMARY KEY, a_id INT, v VARCHAR(20), "
        "FOREIGN KEY (a_id) REFERENCES a (id)) ENGINE=InnoDB",
        "INSERT INTO b SELECT seq, 1 + seq % 3, CONCAT('v', seq) FROM seq_1_to_3000",
        "CREATE TABLE m (id INT PRIMARY KEY, t TEXT) ENGINE=MyISAM",
        "INSERT INTO m SELECT seq, REPEAT('t', seq) FROM seq_1_to_200",
        "CREATE TABLE empty_t (id INT) ENGINE=InnoDB",
        "CREATE VIEW v AS SELECT a.s, COUNT(*) AS c FROM a "
        "JOIN b ON b.a_id = a.id GROUP BY a.s",
        "CREATE TRIGGER tr BEFORE INSERT ON a FOR EACH ROW "
        "SET NEW.s = IFNULL(NEW.s, 'default')",
        "CREATE PROCEDURE p() SELECT COUNT(*) FROM b",
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
    ]
    DUMP_TABLES = ("a", "b", "m", "empty_t")

    def dump(self, sock, db):
        cmd = ["mariadb-dump", "--no-defaults", "-S", sock, "-u", harness.APP_USER,
               "-p" + harness.APP_PASSWORD, "--single-transaction", "--routines", "--triggers",
               "--events", "--skip-dump-date", db]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=harness.scaled(120))
        self.assertEqual(p.returncode, 0, "mariadb-dump via %s failed: %s"
                         % (sock, p.stderr.decode(errors="replace")))
        return p.stdout

    def restore(self, sock, db, dump):
        self.sandbox.query("DROP DATABASE IF EXISTS %s" % db)
        self.sandbox.query("CREATE DATABASE %s CHARACTER SET utf8mb4" % db)
        cmd = ["mariadb", "--no-defaults", "-S", sock, "-u", harness.APP_USER,
               "-p" + harness.APP_PASSWORD, "--connect-timeout=10", db]
        p = subprocess.run(cmd, input=dump, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=harness.scaled(120))
        self.assertEqual(p.returncode, 0, "restore via %s failed: %s"
                         % (sock, p.stderr.decode(errors="replace")))

    def fingerprint(self, db):
        """Checksums, definitions and routines of db, read straight from MariaDB as root."""
        out = {}
        for t in self.DUMP_TABLES:
            out["checksum " + t] = self.sandbox.query("CHECKSUM TABLE %s.%s" % (db, t))[0][1]
            out["count " + t] = self.sandbox.query("SELECT COUNT(*) FROM %s.%s" % (db, t))[0][0]
            out["create " + t] = self.sandbox.query("SHOW CREATE TABLE %s.%s" % (db, t))[0][1]
        out["view"] = self.sandbox.query("SELECT * FROM %s.v ORDER BY s" % db)
        out["routines"] = self.sandbox.query(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = %s ORDER BY 1", (db,))
        out["triggers"] = self.sandbox.query(
            "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = %s", (db,))
        out["f"] = self.sandbox.query("SELECT %s.f(41)" % db)
        return out

    def test_mariadb_dump_and_restore(self):
        need("mariadb-dump", "mariadb-client")
        c = self.sandbox.connect(charset="utf8mb4")
        try:
            with c.cursor() as cur:
                for sql in self.DUMP_SETUP:
                    cur.execute(sql)
        finally:
            c.close()
        try:
            src = self.fingerprint("conn_dump_src")
            self.assertEqual(src["count b"], 3000)
            # Straight to MariaDB: dump, restore into another database, same checksums.
            direct_dump = self.dump(self.sandbox.socket, "conn_dump_src")
            self.restore(self.sandbox.socket, "conn_dump_direct", direct_dump)
            self.assertEqual(self.fingerprint("conn_dump_direct"), src)
            if harness.DIRECT:
                return
            # Through mypoold: the same dump text (but the server version line), the same restore.
            pooled_dump = self.dump(self.target, "conn_dump_src")

            def strip(d):
                return [ln for ln in d.decode(errors="replace").splitlines()
                        if not ln.startswith("-- Server version")]
            diff = "\n".join(difflib.unified_diff(strip(direct_dump), strip(pooled_dump),
                                                  "direct", "mypool", n=1, lineterm=""))
            self.assertEqual(diff, "", "the dump through mypoold differs:\n" + diff[:5000])
            self.restore(self.target, "conn_dump_pool", pooled_dump)
            self.assertEqual(self.fingerprint("conn_dump_pool"), src)
        finally:
            for db in ("conn_dump_src", "conn_dump_direct", "conn_dump_pool"):
                self.sandbox.query("DROP DATABASE IF EXISTS %s" % db)

    def admin_checks(self, sock):
        out = {}
        rc, o, e = harness.admin(sock, "ping")
        self.assertEqual((rc, o.strip()), (0, "mysqld is alive"), e)
        rc, o, e = harness.admin(sock, "status")
        self.assertEqual(rc, 0, e)
        keys = re.findall(r"([A-Za-z][A-Za-z ]*?):\s+[\d.]+", o)
        self.assertEqual(keys, ["Uptime", "Threads", "Questions", "Slow queries", "Opens",
                                "Open tables", "Queries per second avg"], o)
        out["status keys"] = keys
        rc, o, e = harness.admin(sock, "processlist")
        self.assertEqual(rc, 0, e)
        lines = o.splitlines()
        header = [h.strip() for h in lines[1].strip("|").split("|")]
        self.assertEqual(header, ["Id", "User", "Host", "db", "Command", "Time", "State", "Info",
                                  "Progress"], o)
        self.assertTrue(any("show processlist" in ln.lower() for ln in lines[3:]), o)
        out["processlist header"] = header
        rc, o, e = harness.admin(sock, "--verbose", "processlist")
        self.assertEqual(rc, 0, e)
        rc, o, e = harness.admin(sock, "variables")
        self.assertEqual(rc, 0, e)
        self.assertRegex(o, r"\| max_allowed_packet\s+\| \d+")
        rc, o, e = harness.admin(sock, "extended-status")
        self.assertEqual(rc, 0, e)
        self.assertRegex(o, r"\| Uptime\s+\| \d+")
        rc, o, e = harness.admin(sock, "version")
        self.assertEqual(rc, 0, e)
        self.assertRegex(o, r"Server version\s+\S+")
        out["version keys"] = re.findall(r"^([A-Z][A-Za-z ]+?)\t", o, re.M)
        rc, o, e = harness.admin(sock, "create", "conn_admin_db")
        self.assertEqual(rc, 0, e)
        rc, o, e = harness.admin(sock, "--force", "drop", "conn_admin_db")
        self.assertEqual(rc, 0, e)
        return out

    def test_mariadb_admin(self):
        need("mariadb-admin", "mariadb-client")
        direct = self.admin_checks(self.sandbox.socket)
        if not harness.DIRECT:
            self.assertEqual(self.admin_checks(self.target), direct)


class SysbenchTest(harness.TestCase):
    """sysbench oltp_read_write (server-side prepared statements, its default) with 64 threads
    over pool_size 8 in transaction pooling: no errors, no reconnects, never more than 8 server
    connections of mypool's account."""

    shared_daemon = False
    ACCOUNT, ACCOUNT_PW = "sbpool", "sbpoolpw"  # mypool's backend account here, counted alone
    TABLES, TABLE_SIZE = 4, 25000  # big enough that 8 concurrent transactions rarely deadlock

    def sysbench(self, sock, *args, timeout=120):
        cmd = [need("sysbench", "sysbench"), "oltp_read_write", "--db-driver=mysql",
               "--mysql-socket=" + sock, "--mysql-user=" + harness.APP_USER,
               "--mysql-password=" + harness.APP_PASSWORD, "--mysql-db=sbtest",
               "--tables=%d" % self.TABLES, "--table-size=%d" % self.TABLE_SIZE] + list(args)
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=harness.scaled(timeout))
        return p.returncode, p.stdout.decode(errors="replace")

    def deadlocks(self):
        return int(self.sandbox.query("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")[0][1])

    def stmt_executes(self):
        return int(self.sandbox.query("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1])

    def run_load(self, sock, threads, seconds):
        """Run the load; assert it ran cleanly. Returns the sysbench output."""
        d0, x0 = self.deadlocks(), self.stmt_executes()
        rc, out = self.sysbench(sock, "--threads=%d" % threads, "--time=%d" % seconds,
                                "--report-interval=0", "run",
                                timeout=seconds + 60)
        d1, x1 = self.deadlocks(), self.stmt_executes()
        self.assertEqual(rc, 0, out)
        stats = {k: int(v) for k, v in re.findall(
            r"^\s+(transactions|ignored errors|reconnects):\s+(\d+)", out, re.M)}
        self.assertEqual(sorted(stats), ["ignored errors", "reconnects", "transactions"], out)
        self.assertGreater(stats["transactions"], 0, out)
        self.assertEqual(stats["reconnects"], 0, out)
        # "ignored errors" are the deadlocks (1213) and lock wait timeouts sysbench tolerates:
        # zero, but for a deadlock that InnoDB itself reports (a property of the workload that
        # the direct run can show as well, not of mypool).
        self.assertLessEqual(stats["ignored errors"], d1 - d0,
                             "errors that are not InnoDB deadlocks:\n" + out)
        if stats["ignored errors"]:
            harness.log("sysbench: %d deadlock(s) reported by InnoDB (tolerated)"
                        % stats["ignored errors"])
        self.assertGreater(x1 - x0, stats["transactions"],
                           "sysbench did not use server-side prepared statements:\n" + out)
        return out

    def test_sysbench_oltp_read_write(self):
        need("sysbench", "sysbench")
        sb = self.sandbox
        sb.query("DROP DATABASE IF EXISTS sbtest")
        sb.query("CREATE DATABASE sbtest")
        sb.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'"
                 % (self.ACCOUNT, self.ACCOUNT_PW))
        sb.query("GRANT ALL PRIVILEGES ON *.* TO '%s'@'localhost'" % self.ACCOUNT)
        try:
            rc, out = self.sysbench(sb.socket, "prepare")
            self.assertEqual(rc, 0, out)
            # Straight to MariaDB with the concurrency the pool allows: the load is clean.
            self.run_load(sb.socket, 8, 2)
            if harness.DIRECT:
                return
            d = harness.Mypoold(pool_mode="transaction", pool_size=8, user=self.ACCOUNT,
                                password=self.ACCOUNT_PW, pool_wait_timeout="30s").start()
            samples, stop = [], threading.Event()

            def sample():
                c = sb.connect()
                try:
                    with c.cursor() as cur:
                        while not stop.is_set():
                            cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                        "WHERE USER = %s", (self.ACCOUNT,))
                            samples.append(cur.fetchone()[0])
                            time.sleep(0.02)
                finally:
                    c.close()

            t = threading.Thread(target=sample, daemon=True)
            t.start()
            try:
                out = self.run_load(d.socket, 64, 5)
            finally:
                stop.set()
                t.join(10)
            harness.log("sysbench through mypoold: %s; %d samples of the server connections, "
                        "max %d" % (" ".join(re.findall(r"transactions:\s+\d+\s+\([\d.]+ per sec.\)",
                                                        out)), len(samples), max(samples or [0])))
            self.assertGreater(len(samples), 10)
            self.assertLessEqual(max(samples), 8, "more than pool_size server connections: %r"
                                 % samples)
            self.assertGreater(max(samples), 0)
            d.stop()
        finally:
            self.sysbench(sb.socket, "cleanup")
            sb.query("DROP DATABASE IF EXISTS sbtest")
            sb.query("DROP USER IF EXISTS '%s'@'localhost'" % self.ACCOUNT)
