"""The forking supervisor: signals, shutdown, worker respawn, no zombies or orphans, CLI flags."""

import os
import re
import signal
import subprocess
import time

import pymysql

import harness


def run_mypoold(*args, timeout=10):
    p = subprocess.run([harness.MYPOOLD] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=harness.scaled(timeout))
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


@harness.mypool_only("process management of mypoold")
class ProcessTest(harness.TestCase):
    shared_daemon = False

    def start(self, **cfg):
        d = harness.Mypoold(**cfg).start()
        self.addCleanup(d.kill)  # no-op once stopped
        return d

    def backend_count(self):
        return self.sandbox.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                  "WHERE USER = %s", (harness.POOL_USER,))[0][0]

    def assert_gone(self, pid, what, timeout=3.0):
        """pid must vanish from /proc entirely (reaped, not a zombie)."""
        gone = harness.wait_until(lambda: harness.proc_stat(pid) is None, harness.scaled(timeout))
        self.assertTrue(gone, "%s (pid %d) still in /proc: %r" % (what, pid, harness.proc_stat(pid)))

    def assert_connection_closed(self, c):
        with self.assertRaises((pymysql.MySQLError, OSError)):
            with c.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchall()

    def make_table(self):
        with self.direct().cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS p_proc (id INT PRIMARY KEY) ENGINE=InnoDB")
            cur.execute("DELETE FROM p_proc")

    def assert_row_free(self, row_id):
        """Insert row_id straight into MariaDB: only works if no open transaction holds it."""
        d = self.direct()
        with d.cursor() as cur:
            cur.execute("SET SESSION innodb_lock_wait_timeout = 10")
            self.assertEqual(cur.execute("INSERT INTO p_proc VALUES (%s)", (row_id,)), 1)

    def test_sigterm_exits_cleanly(self):
        d = self.start()
        sup, worker = d.pid, d.worker_pid()
        self.assertEqual(d.children(), [(worker, harness.proc_state(worker))])
        idle = self.connect(target=d.socket, autocommit=True)
        with idle.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        self.assertGreaterEqual(self.backend_count(), 1, "no backend connection (user pool)")
        t0 = time.monotonic()
        d.stop(signal.SIGTERM, timeout=5)  # asserts exit 0, socket removed, no sanitizer report
        self.assertLess(time.monotonic() - t0, harness.scaled(5))
        self.assertIsNone(harness.proc_stat(sup))
        self.assert_gone(worker, "worker after SIGTERM", timeout=0.5)
        self.assert_connection_closed(idle)
        self.assertTrue(harness.wait_until(lambda: self.backend_count() == 0, harness.scaled(3)),
                        "backend connections still open after shutdown")

    def test_sigterm_lets_open_transaction_finish(self):
        self.make_table()
        d = self.start(shutdown_timeout="10s")
        worker = d.worker_pid()
        a = self.connect(target=d.socket, autocommit=False)
        with a.cursor() as cur:
            cur.execute("INSERT INTO p_proc VALUES (1)")
        d.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertTrue(d.alive(), "mypoold exited with a transaction still open")
        # No new clients during the shutdown.
        with self.assertRaises((pymysql.MySQLError, OSError)):
            n = harness.connect(d.socket, connect_timeout=2, read_timeout=2)
            try:
                with n.cursor() as cur:
                    cur.execute("SELECT 1")
            finally:
                n.close()
        with a.cursor() as cur:
            cur.execute("INSERT INTO p_proc VALUES (2)")
        a.commit()
        t0 = time.monotonic()
        d.stop(signal.SIGTERM, timeout=5)  # already signalled: waits, then checks
        self.assertLess(time.monotonic() - t0, harness.scaled(4))
        self.assertEqual(self.sandbox.query("SELECT id FROM p_proc ORDER BY id"), ((1,), (2,)))
        self.assert_gone(worker, "worker after SIGTERM", timeout=0.5)
        self.assert_connection_closed(a)

    def test_sigterm_shutdown_timeout(self):
        self.make_table()
        d = self.start(shutdown_timeout="1s")
        a = self.connect(target=d.socket, autocommit=False)
        with a.cursor() as cur:
            cur.execute("INSERT INTO p_proc VALUES (10)")
        t0 = time.monotonic()
        d.stop(signal.SIGTERM, timeout=8)
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.8, "did not wait for the open transaction")
        self.assertLess(elapsed, harness.scaled(5))
        self.assert_connection_closed(a)
        self.assert_row_free(10)  # the transaction was rolled back

    def test_sigint_fast_shutdown(self):
        self.make_table()
        d = self.start(shutdown_timeout="30s")
        worker = d.worker_pid()
        a = self.connect(target=d.socket, autocommit=False)
        with a.cursor() as cur:
            cur.execute("INSERT INTO p_proc VALUES (20)")
        t0 = time.monotonic()
        d.stop(signal.SIGINT, timeout=10)
        self.assertLess(time.monotonic() - t0, harness.scaled(5),
                        "SIGINT must not wait for open transactions")
        self.assert_gone(worker, "worker after SIGINT", timeout=0.5)
        self.assert_connection_closed(a)
        self.assert_row_free(20)

    def test_kill_worker_respawns(self):
        d = self.start()
        sup = d.pid
        for round_ in range(2):
            old = d.worker_pid()
            victim = self.connect(target=d.socket, autocommit=True)
            with victim.cursor() as cur:
                cur.execute("SELECT 1")
            os.kill(old, signal.SIGKILL)
            t0 = time.monotonic()

            def served():
                try:
                    c = harness.connect(d.socket, connect_timeout=1, read_timeout=2)
                    try:
                        with c.cursor() as cur:
                            cur.execute("SELECT 'back'")
                            return cur.fetchall() == (("back",),)
                    finally:
                        c.close()
                except (pymysql.MySQLError, OSError):
                    return False

            ok = harness.wait_until(served, harness.scaled(3.0), interval=0.05)
            elapsed = time.monotonic() - t0
            self.assertTrue(ok, "round %d: no client served within %.1f s of kill -9 of the worker"
                            % (round_, harness.scaled(3.0)))
            self.assertTrue(d.alive(), "the supervisor died with its worker")
            new = d.worker_pid()
            self.assertNotEqual(new, old)
            self.assert_gone(old, "killed worker (must be reaped by the supervisor)", timeout=2)
            zombies = harness.wait_until(
                lambda: not [p for p, st in harness.children_of(sup) if st == "Z"], 2)
            self.assertTrue(zombies, "zombie children: %r" % harness.children_of(sup))
            self.assertEqual([p for p, _ in harness.children_of(sup)], [new])
            self.assert_connection_closed(victim)
            harness.log("round %d: served again %.2f s after kill -9 of the worker"
                        % (round_, elapsed))
        d.stop(check_worker=False)

    def test_kill_supervisor_worker_exits(self):
        d = self.start()
        sup, worker = d.pid, d.worker_pid()
        os.kill(sup, signal.SIGKILL)
        d.wait(5)

        def worker_exited():
            st = harness.proc_stat(worker)
            # Orphans are reparented to PID 1, which reaps lazily here: 'Z' counts as exited.
            return st is None or st[0] in ("Z", "X")

        ok = harness.wait_until(worker_exited, harness.scaled(3.0))
        self.assertTrue(ok, "worker %d still running %.1f s after kill -9 of the supervisor: %r"
                        % (worker, harness.scaled(3.0), harness.proc_stat(worker)))
        d.kill()  # reap our child; remove nothing else
        if os.path.exists(d.socket):
            os.unlink(d.socket)  # a SIGKILLed supervisor cannot remove its socket

    def test_one_worker_and_no_zombies_under_load(self):
        d = self.start()
        sup, worker = d.pid, d.worker_pid()
        for i in range(20):
            c = harness.connect(d.socket, autocommit=True)
            with c.cursor() as cur:
                cur.execute("SELECT %s", (i,))
                self.assertEqual(cur.fetchall(), ((i,),))
            c.close()
            kids = harness.children_of(sup)
            self.assertEqual(kids, [(worker, harness.proc_state(worker))])
            self.assertNotIn(kids[0][1], ("Z", "X"))
        d.stop()

    def test_check_config_good(self):
        d = harness.Mypoold()  # writes a config, does not start
        rc, out, err = run_mypoold("-t", "-c", d.config_path)
        self.assertEqual(rc, 0, out + err)
        self.assertFalse(os.path.exists(d.socket), "-t must not create the listening socket")

    def test_check_config_reports_every_error(self):
        d = harness.Mypoold()
        path = os.path.join(d.dir, "bad.ini")
        lines = [
            "[mypoold]",                                   # 1
            "listen = %s" % d.socket,                      # 2
            "threads = 2",                                 # 3
            "no_such_key = 1",                             # 4
            "[backend]",                                   # 5
            "socket = %s" % self.sandbox.socket,           # 6
            "user = pool",                                 # 7
            "password = poolpw",                           # 8
            "pool_size = lots",                            # 9
            "[users]",                                     # 10
            "app = apppw",                                 # 11
        ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        rc, out, err = run_mypoold("-t", "-c", path)
        text = out + err
        self.assertEqual(rc, 1, text)
        for line_no, key in ((4, "no_such_key"), (9, "pool_size")):
            m = re.search(r"^.*%s:%d:.*$" % (re.escape(path), line_no), text, re.M)
            self.assertIsNotNone(m, "no '%s:%d: ...' error in:\n%s" % (path, line_no, text))
            self.assertIn(key, m.group(0))

    def test_missing_config_file(self):
        path = os.path.join(harness.tmp_root(), "q_no_such_config.ini")
        rc, out, err = run_mypoold("-c", path, timeout=10)
        self.assertNotEqual(rc, 0)
        self.assertIn(path, out + err)

    def test_version(self):
        rc, out, err = run_mypoold("-V")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out + err, r"\d+\.\d+")
        self.assertIn("mypool", (out + err).lower())

    def test_help(self):
        rc, out, err = run_mypoold("--help")
        self.assertEqual(rc, 0, err)
        self.assertIn("-c", out + err)
