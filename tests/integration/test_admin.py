"""The admin console (a virtual database `mypool`), reload, the metrics endpoint, the slow log."""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

import pymysql

import harness
from harness import Mypoold

ADMIN, ADMIN_PW = "admin", "adminpw"


def admin_cli(d, sql, user=ADMIN, password=ADMIN_PW):
    """Run console commands with the mariadb CLI; returns (rc, rows as lists, stderr)."""
    p = subprocess.run(["mariadb", "-S", d.socket, "-u", user, "-p" + password, "mypool", "-B", "-e", sql],
                       capture_output=True, text=True, timeout=30)
    lines = [line.split("\t") for line in p.stdout.splitlines()]
    return p.returncode, lines, p.stderr


def as_dicts(lines):
    if not lines:  # the CLI prints nothing, not even the header, for an empty result
        return []
    head, rows = lines[0], lines[1:]
    return [dict(zip(head, r)) for r in rows]


@unittest.skipIf(harness.DIRECT, "the admin console is mypool's")
class AdminTest(unittest.TestCase):
    def start(self, **kw):
        users = {harness.APP_USER: harness.APP_PASSWORD, ADMIN: ADMIN_PW, "other": "otherpw"}
        d = Mypoold(users=users, admin_users=ADMIN, **kw)
        d.start()
        self.addCleanup(d.stop)
        return d

    def test_clients_say_why_they_hold_a_server_connection(self):
        d = self.start(pool_size=3, pool_mode="transaction")
        tx, warn, free = (harness.connect(d.socket, autocommit=True) for _ in range(3))
        tx.cursor().execute("BEGIN")
        tx.cursor().execute("SELECT 1")
        warn.cursor().execute("SELECT 1/0")  # a warning: kept for one more command
        free.cursor().execute("SELECT 1")  # nothing keeps it
        rc, lines, err = admin_cli(d, "SHOW CLIENTS")
        self.assertEqual(rc, 0, err)
        by_id = {c["id"]: c for c in as_dicts(lines)}
        self.assertEqual(by_id[str(tx.thread_id())]["held_for"], "transaction")
        self.assertEqual(by_id[str(warn.thread_id())]["held_for"], "warnings")
        self.assertEqual(by_id[str(free.thread_id())]["held_for"], "NULL")
        self.assertEqual(by_id[str(free.thread_id())]["server_id"], "NULL")

    def test_show_commands(self):
        d = self.start(pool_size=3, pool_mode="transaction")
        app = harness.connect(d.socket)
        cur = app.cursor()
        cur.execute("BEGIN")
        cur.execute("SELECT 1")
        cur.execute("SET @`pin` = 1")  # a quoted name: still a pin (docs/architecture.md)
        rc, lines, err = admin_cli(d, "SHOW POOLS")
        self.assertEqual(rc, 0, err)
        pools = as_dicts(lines)
        self.assertEqual(len(pools), 1)
        self.assertEqual(pools[0]["pool_size"], "3")
        self.assertEqual(pools[0]["pool_mode"], "transaction")
        self.assertEqual(pools[0]["server_active"], "1")
        self.assertEqual(pools[0]["pinned_user_variable"], "1")
        rc, lines, err = admin_cli(d, "SHOW CLIENTS")
        clients = as_dicts(lines)
        app_rows = [c for c in clients if c["user"] == harness.APP_USER]
        self.assertEqual(len(app_rows), 1, clients)
        self.assertEqual(app_rows[0]["in_transaction"], "yes")
        self.assertEqual(app_rows[0]["pinned_by"], "user variable")
        self.assertEqual(app_rows[0]["held_for"], "pinned")  # the first reason of hold.h's order
        self.assertEqual(app_rows[0]["db"], "test")
        self.assertEqual(app_rows[0]["addr"], "unix")
        self.assertNotEqual(app_rows[0]["server_id"], "NULL")
        self.assertTrue(any(c["state"] == "console" for c in clients))
        rc, lines, err = admin_cli(d, "SHOW SERVERS")
        servers = as_dicts(lines)
        self.assertEqual([s for s in servers if s["state"] == "active"][0]["client_id"], app_rows[0]["id"])
        rc, lines, err = admin_cli(d, "SHOW STATS")
        stats = {r["name"]: int(r["value"]) for r in as_dicts(lines)}
        self.assertGreaterEqual(stats["commands"], 3)
        self.assertEqual(stats["pins_user_variable"], 1)
        rc, lines, err = admin_cli(d, "SHOW CONFIG")
        config = {(r["section"], r["key"]): r for r in as_dicts(lines)}
        self.assertEqual(config[("backend", "pool_size")]["value"], "3")
        self.assertEqual(config[("backend", "pool_size")]["default"], "20")
        self.assertEqual(config[("mypoold", "listen")]["reloadable"], "no")
        self.assertNotIn("poolpw", str(lines), "the backend password must not be shown")
        rc, lines, err = admin_cli(d, "SHOW VERSION")
        self.assertRegex(lines[1][0], r"^mypoold \d+\.\d+")
        rc, lines, err = admin_cli(d, "SHOW TABLES")
        self.assertNotEqual(rc, 0)
        self.assertIn("unknown admin command", err)
        app.rollback()
        app.close()

    def test_tcp_clients_by_address(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        d = self.start(listen_tcp="127.0.0.1:%d" % port, log_level="debug")
        app = pymysql.connect(host="127.0.0.1", port=port, user=harness.APP_USER,
                              password=harness.APP_PASSWORD, database="test", connect_timeout=10)
        self.addCleanup(app.close)
        addr = "127.0.0.1:%d" % app._sock.getsockname()[1]
        rc, lines, err = admin_cli(d, "SHOW CLIENTS")
        self.assertEqual(rc, 0, err)
        self.assertEqual([c["addr"] for c in as_dicts(lines) if c["user"] == harness.APP_USER], [addr])
        self.assertIn(" %s %s] logged in" % (harness.APP_USER, addr), d.log_text())
        # As MariaDB names a TCP client's host in the message.
        with self.assertRaises(pymysql.MySQLError) as cm:
            pymysql.connect(host="127.0.0.1", port=port, user=harness.APP_USER, password="wrong",
                            connect_timeout=10)
        self.assertEqual(cm.exception.args, (1045, "Access denied for user '%s'@'127.0.0.1' (using password: YES)"
                                             % harness.APP_USER))

    def test_only_admin_users(self):
        d = self.start()
        rc, lines, err = admin_cli(d, "SHOW POOLS", user="other", password="otherpw")
        self.assertNotEqual(rc, 0)
        self.assertIn("1044", err)
        self.assertIn("Access denied for user 'other'@'localhost' to database 'mypool'", err)
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            harness.connect(d.socket, user=ADMIN, password="wrong", database="mypool")
        self.assertEqual(cm.exception.args[0], 1045)

    def test_pause_resume(self):
        d = self.start(pool_mode="transaction", pool_size=2, pool_wait_timeout="10s")
        inside = harness.connect(d.socket)
        ic = inside.cursor()
        ic.execute("CREATE TABLE IF NOT EXISTS admin_pause (a INT) ENGINE=InnoDB")
        ic.execute("BEGIN")
        ic.execute("INSERT INTO admin_pause VALUES (1)")
        rc, _, err = admin_cli(d, "PAUSE")
        self.assertEqual(rc, 0, err)
        # The running transaction finishes while paused.
        ic.execute("INSERT INTO admin_pause VALUES (2)")
        inside.commit()
        # A new one waits. (autocommit=None: PyMySQL would otherwise send SET AUTOCOMMIT while
        # connecting, which itself waits.)
        other = harness.connect(d.socket, autocommit=None)
        done = []
        t = threading.Thread(target=lambda: (other.cursor().execute("SELECT 1"), done.append(time.monotonic())))
        t.start()
        time.sleep(0.5)
        self.assertEqual(done, [], "a statement ran while paused")
        resumed = time.monotonic()
        rc, _, err = admin_cli(d, "RESUME")
        self.assertEqual(rc, 0, err)
        t.join(5)
        self.assertEqual(len(done), 1)
        self.assertGreaterEqual(done[0], resumed)
        ic.execute("DROP TABLE admin_pause")
        inside.close()
        other.close()

    def test_shutdown_wait(self):
        d = Mypoold(users={ADMIN: ADMIN_PW}, admin_users=ADMIN)
        d.start()
        rc, _, err = admin_cli(d, "SHUTDOWN WAIT")
        self.assertEqual(rc, 0, err)
        self.assertEqual(d.proc.wait(10), 0)
        self.assertFalse(os.path.exists(d.socket))
        d.stop(check_worker=False)


@unittest.skipIf(harness.DIRECT, "reload is mypool's")
class ReloadTest(unittest.TestCase):
    def rewrite(self, d, old, new):
        with open(d.config_path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(d.config_path, "w") as f:
            f.write(text.replace(old, new))

    def test_reload_applies_and_refuses(self):
        users = {harness.APP_USER: harness.APP_PASSWORD, ADMIN: ADMIN_PW}
        d = Mypoold(users=users, admin_users=ADMIN, pool_size=4, pool_mode="transaction")
        d.start()
        self.addCleanup(d.stop)
        kept = harness.connect(d.socket)
        kc = kept.cursor()
        kc.execute("BEGIN")
        kc.execute("SELECT 1")
        # A new user and a new pool size, by RELOAD on the console.
        self.rewrite(d, "pool_size = 4", "pool_size = 6")
        self.rewrite(d, "[users]\n", "[users]\nlater = laterpw\n")
        rc, _, err = admin_cli(d, "RELOAD")
        self.assertEqual(rc, 0, err)
        self.assertTrue(d.wait_reloaded(), d.log_tail())
        rc, lines, err = admin_cli(d, "SHOW CONFIG")
        config = {(r["section"], r["key"]): r["value"] for r in as_dicts(lines)}
        self.assertEqual(config[("backend", "pool_size")], "6")
        later = harness.connect(d.socket, user="later", password="laterpw")
        later.cursor().execute("SELECT 1")
        later.close()
        # The client in its transaction never noticed.
        kc.execute("SELECT 2")
        kept.commit()
        # An invalid file is refused and everything goes on.
        self.rewrite(d, "pool_size = 6", "pool_size = lots")
        os.kill(d.pid, signal.SIGHUP)
        harness.wait_until(lambda: "reload refused" in d.log_text(), 5)
        kc.execute("SELECT 3")
        rc, lines, err = admin_cli(d, "SHOW CONFIG")
        config = {(r["section"], r["key"]): r["value"] for r in as_dicts(lines)}
        self.assertEqual(config[("backend", "pool_size")], "6")
        self.rewrite(d, "pool_size = lots", "pool_size = 6")
        kept.close()

    def test_reload_changed_backend_drains_old_connections(self):
        # Two paths to the same server: a changed [backend] socket is a new pool generation.
        root = harness.tmp_root()
        first, second = os.path.join(root, "be-first.sock"), os.path.join(root, "be-second.sock")
        for link in (first, second):
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(harness.sandbox().socket, link)
        users = {harness.APP_USER: harness.APP_PASSWORD, ADMIN: ADMIN_PW}
        d = Mypoold(users=users, admin_users=ADMIN, socket=first, pool_mode="transaction")
        d.start()
        self.addCleanup(d.stop)
        c = harness.connect(d.socket)
        cur = c.cursor()
        cur.execute("SELECT @@pseudo_thread_id")
        old = cur.fetchone()[0]
        self.rewrite(d, "socket = %s" % first, "socket = %s" % second)
        rc, _, err = admin_cli(d, "RELOAD")
        self.assertEqual(rc, 0, err)
        self.assertTrue(d.wait_reloaded(), d.log_tail())

        def old_gone():
            rc, lines, _ = admin_cli(d, "SHOW SERVERS")
            return rc == 0 and str(old) not in [r["server_id"] for r in as_dicts(lines)]
        self.assertTrue(harness.wait_until(old_gone, 5), "the old generation's connection is still there")
        cur.execute("SELECT @@pseudo_thread_id, 1")  # the client did not notice
        new, one = cur.fetchone()
        self.assertEqual(one, 1)
        self.assertNotEqual(new, old)
        rc, lines, _ = admin_cli(d, "SHOW CONFIG")
        config = {(r["section"], r["key"]): r["value"] for r in as_dicts(lines)}
        self.assertEqual(config[("backend", "socket")], second)
        c.close()

    def test_reload_20_times_under_load(self):
        d = Mypoold(pool_size=8, pool_mode="transaction", threads=2)
        d.start()
        self.addCleanup(d.stop)
        setup = harness.connect(d.socket, autocommit=True)
        setup.cursor().execute("CREATE TABLE IF NOT EXISTS reload_load (id INT AUTO_INCREMENT PRIMARY KEY, who INT) ENGINE=InnoDB")
        setup.close()
        stop = threading.Event()
        errors, done = [], [0]

        def client(i):
            try:
                c = harness.connect(d.socket)
                cur = c.cursor()
                while not stop.is_set():
                    cur.execute("BEGIN")
                    cur.execute("INSERT INTO reload_load (who) VALUES (%s)", (i,))
                    cur.execute("SELECT COUNT(*) FROM reload_load WHERE who = %s", (i,))
                    c.commit()
                    done[0] += 1
                c.close()
            except Exception as e:  # noqa: BLE001 - every error counts
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for n in range(20):
            self.rewrite(d, "pool_wait_timeout = %s" % ("5s" if n == 0 else "%dms" % (5000 + n - 1)),
                         "pool_wait_timeout = %dms" % (5000 + n))
            os.kill(d.pid, signal.SIGHUP)
            time.sleep(0.1)
        harness.wait_until(lambda: d.log_text().count("configuration reloaded") >= 20, 10)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreater(done[0], 100)
        c = harness.connect(d.socket, autocommit=True)
        c.cursor().execute("DROP TABLE reload_load")
        c.close()


@unittest.skipIf(harness.DIRECT, "metrics are mypool's")
class MetricsTest(unittest.TestCase):
    def test_prometheus_endpoint(self):
        path = os.path.join(harness.tmp_root(), "metrics.sock")
        d = Mypoold(pool_mode="transaction", metrics_listen=path)
        d.start()
        self.addCleanup(d.stop)
        c = harness.connect(d.socket)
        c.cursor().execute("SELECT 1")
        c.cursor().execute("SET @`m` = 1")  # a quoted name still pins
        out = subprocess.run(["curl", "-sS", "--unix-socket", path,
                              "http://localhost/metrics"], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("# TYPE mypool_commands_total counter", out.stdout)
        m = re.search(r"^mypool_commands_total (\d+)$", out.stdout, re.M)
        self.assertGreaterEqual(int(m.group(1)), 2)
        self.assertIn('mypool_clients_pinned{reason="user variable"} 1', out.stdout)
        self.assertRegex(out.stdout, r'mypool_server_connections\{state="active"\} 1')
        self.assertIn('mypool_account_server_connections{account="%s",state="active"} 1' % harness.POOL_USER,
                      out.stdout)
        self.assertIn('mypool_account_clients_waiting{account="%s"} 0' % harness.POOL_USER, out.stdout)
        c.close()
        bad = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket",
                              path, "http://localhost/other"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(bad.stdout, "404")


@unittest.skipIf(harness.DIRECT, "the slow log is mypool's")
class SlowLogTest(unittest.TestCase):
    def test_slow_query_logged_truncated(self):
        d = Mypoold(log_slow_ms="200ms")
        d.start()
        self.addCleanup(d.stop)
        c = harness.connect(d.socket)
        cur = c.cursor()
        cur.execute("SELECT 1")
        cur.execute("SELECT SLEEP(0.3), '%s'" % ("x" * 500))
        cur.execute("SELECT SLEEP(0.3), PASSWORD('hunter2'), \"sec\"\"ret\", " + "1, " * 100 + "2")
        c.close()
        log = d.log_text()
        # String literals are masked (they may hold secrets); the text is cut at 200 bytes.
        self.assertRegex(log, r"slow query \(\d+ ms\): SELECT SLEEP\(0\.3\), '\?'\n")
        self.assertRegex(log, r"slow query \(\d+ ms\): SELECT SLEEP\(0\.3\), PASSWORD\('\?'\), \"\?\", 1, 1, .*\.\.\.\n")
        self.assertNotIn("slow query (0 ms): SELECT 1", log)
        self.assertNotIn("xxx", log)
        self.assertNotIn("hunter2", log)
        self.assertNotIn("sec", log.replace("seconds", ""))
