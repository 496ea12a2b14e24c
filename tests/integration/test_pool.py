"""Pooling in session mode: bursts, pool limits and the wait timeout, reuse without state leaks."""

import os
import signal
import socket
import threading
import time

import pymysql
import pymysql.cursors

import harness


class PoolTest(harness.TestCase):
    shared_daemon = False

    def target_for(self, **cfg):
        """The socket to use: a fresh daemon with this config, or MariaDB in direct mode."""
        if harness.DIRECT:
            return self.sandbox.socket
        d = harness.Mypoold(**cfg).start()
        self.addCleanup(d.stop)
        return d.socket

    def run_clients(self, n, fn, timeout=60):
        """Run fn(i) in n threads released at the same instant; return {i: result or exception}."""
        barrier = threading.Barrier(n, timeout=30)
        results = {}

        def body(i):
            try:
                barrier.wait()
                results[i] = fn(i)
            except BaseException as e:  # noqa: BLE001 - reported by the test
                results[i] = e

        threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + harness.scaled(timeout)
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        hung = [i for i, t in enumerate(threads) if t.is_alive()]
        self.assertEqual(hung, [], "clients still running after %.0f s" % harness.scaled(timeout))
        return results

    def test_50_clients_at_once(self):
        target = self.target_for(pool_size=10, pool_wait_timeout="20s")

        def client(i):
            c = harness.connect(target)
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT %s, REPEAT('x', %s)", (i, i))
                    return cur.fetchall()
            finally:
                c.close()

        mon = harness.BackendMonitor(self.sandbox) if not harness.DIRECT else None
        if mon:
            mon.__enter__()
        try:
            results = self.run_clients(50, client)
        finally:
            if mon:
                mon.__exit__()
        errors = {i: r for i, r in results.items() if isinstance(r, BaseException)}
        self.assertEqual(errors, {})
        self.assertEqual(results, {i: ((i, "x" * i),) for i in range(50)})
        if mon:
            self.assertIsNone(mon.error)
            self.assertLessEqual(mon.max, 10, "more backend connections than pool_size")

    @harness.mypool_only("pool_size and pool_wait_timeout are mypool settings")
    def test_pool_wait_timeout(self):
        target = self.target_for(pool_size=2, pool_wait_timeout="1s")
        holders = []
        for i in range(2):
            h = self.connect(target=target, autocommit=None)
            with h.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute("SELECT %s", (i,))
                self.assertEqual(cur.fetchall(), ((i,),))
            holders.append(h)
        with harness.BackendMonitor(self.sandbox) as mon:
            self.assertEqual(mon.count(), 2, "backend connections (user pool) while 2 clients "
                             "hold a transaction open")
            # No database and no autocommit statement at connect: the handshake needs no backend.
            c = self.connect(target=target, database=None, autocommit=None)
            t0 = time.monotonic()
            with self.assertRaises(pymysql.MySQLError) as cm:
                with c.cursor() as cur:
                    cur.execute("SELECT 'third'")
            elapsed = time.monotonic() - t0
            code, msg = cm.exception.args[0], cm.exception.args[1]
            self.assertEqual(code, 9001, cm.exception.args)
            self.assertTrue(msg.startswith("mypool: no backend connection available within"), msg)
            self.assertRegex(msg, r"within \d+ ?ms")
            self.assertGreaterEqual(elapsed, 0.8, "gave up before pool_wait_timeout")
            self.assertLess(elapsed, harness.scaled(3.0), "waited far longer than pool_wait_timeout")
            # The same through the raw client, for the SQLSTATE.
            r = self.raw(target=target, timeout=10)
            r.login(database=None)
            with self.assertRaises(harness.ServerError) as cm:
                r.query("SELECT 'fourth'")
            self.assertEqual((cm.exception.code, cm.exception.sqlstate), (9001, "HY000"))
            self.assertTrue(cm.exception.message.startswith(
                "mypool: no backend connection available within"), cm.exception.message)
            # The holders still work.
            for i, h in enumerate(holders):
                with h.cursor() as cur:
                    cur.execute("SELECT %s", (i + 10,))
                    self.assertEqual(cur.fetchall(), ((i + 10,),))
            # Holders leave: new clients get in.
            for h in holders:
                h.rollback()
                h.close()
            for i in range(3):
                n = self.connect(target=target)
                with n.cursor() as cur:
                    cur.execute("SELECT %s", (100 + i,))
                    self.assertEqual(cur.fetchall(), ((100 + i,),))
                n.close()
            self.assertIsNone(mon.error)
        self.assertLessEqual(mon.max, 2)

    @harness.mypool_only("pool_size is a mypool setting")
    def test_waiters_get_served_in_turn(self):
        target = self.target_for(pool_size=2, pool_wait_timeout="20s")

        def client(i):
            c = harness.connect(target, autocommit=True)
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT SLEEP(0.1), %s", (i,))
                    return cur.fetchall()
            finally:
                c.close()

        with harness.BackendMonitor(self.sandbox) as mon:
            results = self.run_clients(12, client)
        errors = {i: r for i, r in results.items() if isinstance(r, BaseException)}
        self.assertEqual(errors, {})
        self.assertEqual(results, {i: ((0, i),) for i in range(12)})
        self.assertIsNone(mon.error)
        self.assertLessEqual(mon.max, 2)
        self.assertGreaterEqual(mon.max, 1, "no backend connection (user pool) seen at all")

    @harness.mypool_only("pool_size is a mypool setting")
    def test_backend_connections_never_exceed_pool_size(self):
        target = self.target_for(pool_size=3, pool_wait_timeout="20s")

        def client(i):
            out = []
            for k in range(5):
                c = harness.connect(target, autocommit=False)
                try:
                    with c.cursor() as cur:
                        cur.execute("SELECT SLEEP(0.02), %s", (i * 100 + k,))
                        out.append(cur.fetchall()[0][1])
                    c.commit()
                finally:
                    c.close()
            return out

        with harness.BackendMonitor(self.sandbox) as mon:
            results = self.run_clients(15, client)
        errors = {i: r for i, r in results.items() if isinstance(r, BaseException)}
        self.assertEqual(errors, {})
        self.assertEqual(results, {i: [i * 100 + k for k in range(5)] for i in range(15)})
        self.assertIsNone(mon.error)
        self.assertGreater(len(mon.samples), 5)
        self.assertLessEqual(mon.max, 3, "backend connections seen: max %d > pool_size 3" % mon.max)
        self.assertGreaterEqual(mon.max, 1, "no backend connection (user pool) seen at all")

    def test_client_disconnects_mid_result(self):
        target = self.target_for(pool_size=1, pool_wait_timeout="20s")
        for attempt in range(2):
            a = harness.connect(target, cursorclass=pymysql.cursors.SSCursor)
            cur = a.cursor()
            cur.execute("SELECT seq FROM seq_1_to_5000000")
            self.assertEqual([cur.fetchone() for _ in range(3)], [(1,), (2,), (3,)])
            # Abruptly: no COM_QUIT, unread rows pending.
            a._sock.shutdown(socket.SHUT_RDWR)
            a._force_close()
            a._result.unbuffered_active = False  # stop PyMySQL from draining it at garbage collection
            t0 = time.monotonic()
            b = self.connect(target=target)
            with b.cursor() as cur:
                cur.execute("SELECT COUNT(*), SUM(seq) FROM seq_1_to_1000")
                self.assertEqual(cur.fetchall(), ((1000, 500500),))
                cur.execute("SELECT seq FROM seq_1_to_5")
                self.assertEqual(cur.fetchall(), ((1,), (2,), (3,), (4,), (5,)))
                cur.execute("SELECT 'after', %s", (attempt,))
                self.assertEqual(cur.fetchall(), (("after", attempt),))
            b.close()
            self.assertLess(time.monotonic() - t0, harness.scaled(15))

    def test_session_state_does_not_leak(self):
        target = self.target_for(pool_size=1, pool_wait_timeout="20s")
        d = self.direct()
        with d.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS p_iso (id INT PRIMARY KEY) ENGINE=InnoDB")
            cur.execute("DELETE FROM p_iso")
        a = harness.connect(target, autocommit=False)
        with a.cursor() as cur:
            cur.execute("SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'")
            cur.execute("SET @u = 42")
            cur.execute("SET SESSION time_zone = '+05:00'")
            cur.execute("SET SESSION wait_timeout = 12345")
            cur.execute("CREATE TEMPORARY TABLE p_tmp (x INT)")
            cur.execute("INSERT INTO p_iso VALUES (1)")  # open transaction, never committed
            cur.execute("SELECT GET_LOCK('p_lock', 0)")
            self.assertEqual(cur.fetchall(), ((1,),))
            cur.execute("USE mysql")
            cur.execute("SELECT @u, @@session.time_zone, DATABASE()")
            self.assertEqual(cur.fetchall(), ((42, "+05:00", "mysql"),))
        a.close()

        b = self.connect(target=target, autocommit=True)
        with b.cursor() as cur:
            cur.execute("SELECT @u, @@session.sql_mode = @@global.sql_mode, "
                        "@@session.time_zone = @@global.time_zone, "
                        "@@session.wait_timeout = @@global.wait_timeout, DATABASE()")
            self.assertEqual(cur.fetchall(), ((None, 1, 1, 1, "test"),))
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELECT * FROM p_tmp")
            self.assertEqual(cm.exception.args[0], 1146)
            cur.execute("SELECT COUNT(*) FROM p_iso")
            self.assertEqual(cur.fetchall(), ((0,),))

            # A's lock and open transaction are gone. (Straight to MariaDB the server cleans up
            # after the disconnect asynchronously, so allow it a moment.)
            def lock_free():
                cur.execute("SELECT IS_FREE_LOCK('p_lock')")
                return cur.fetchall() == ((1,),)
            self.assertTrue(harness.wait_until(lock_free, 3), "GET_LOCK of the previous client held")
            cur.execute("SET SESSION innodb_lock_wait_timeout = 10")
            self.assertEqual(cur.execute("INSERT INTO p_iso VALUES (1)"), 1)  # A's row lock is gone
            cur.execute("SELECT 'a\\'b'")  # backslash escapes work again
            self.assertEqual(cur.fetchall(), (("a'b",),))
        b.close()
        # A client without a database does not inherit the previous one's.
        c = self.connect(target=target, database=None)
        with c.cursor() as cur:
            cur.execute("SELECT DATABASE(), @u")
            self.assertEqual(cur.fetchall(), ((None, None),))
        c.close()

    @harness.mypool_only("idle clients and backends are a pooling matter")
    def test_idle_clients_take_no_backend(self):
        target = self.target_for(pool_size=2, pool_wait_timeout="3s")
        idle = []
        for _ in range(60):
            r = self.raw(target=target)
            r.login(database=None)
            idle.append(r)
        with harness.BackendMonitor(self.sandbox) as mon:
            self.assertLessEqual(mon.count(), 2)
            for i in range(4):  # the pool is free for clients that run statements
                c = self.connect(target=target)
                with c.cursor() as cur:
                    cur.execute("SELECT %s", (i,))
                    self.assertEqual(cur.fetchall(), ((i,),))
                c.close()
            # The idle ones are still there and can work, one at a time.
            for i, r in enumerate(idle[:5]):
                self.assertEqual(r.query("SELECT %d" % i)[2], [[str(i).encode()]])
                r.close()
        self.assertIsNone(mon.error)
        self.assertLessEqual(mon.max, 2)

    @harness.mypool_only("min_idle is a mypool setting")
    def test_min_idle_prewarms(self):
        self.target_for(pool_size=5, min_idle=2)
        with harness.BackendMonitor(self.sandbox) as mon:
            ok = harness.wait_until(lambda: mon.count() == 2, harness.scaled(5))
            self.assertTrue(ok, "expected 2 idle backend connections (min_idle = 2), saw %s"
                            % mon.samples[-5:])

    @harness.mypool_only("mypool's backend-unavailable error and reconnect")
    def test_backend_unavailable_then_recovers(self):
        link = "%s/backend-%d.sock" % (harness.tmp_root(), time.monotonic_ns() % 100000)
        target = self.target_for(socket=link, pool_size=2, pool_wait_timeout="10s",
                                 connect_timeout="2s")
        self.addCleanup(lambda: os.path.lexists(link) and os.unlink(link))
        r = self.raw(target=target, timeout=15)
        r.login(database=None)  # the handshake needs no backend
        t0 = time.monotonic()
        with self.assertRaises(harness.ServerError) as cm:
            r.query("SELECT 1")
        elapsed = time.monotonic() - t0
        self.assertEqual(cm.exception.code, 9002, cm.exception.args)
        self.assertTrue(cm.exception.message.startswith("mypool: backend unavailable: "),
                        cm.exception.message)
        self.assertLess(elapsed, harness.scaled(4.0), "backend-unavailable error came too late")
        # The backend comes up (the configured path now leads to MariaDB): mypool recovers alone.
        os.symlink(self.sandbox.socket, link)

        def served():
            try:
                c = harness.connect(target, connect_timeout=3, read_timeout=5)
                try:
                    with c.cursor() as cur:
                        cur.execute("SELECT 'up'")
                        return cur.fetchall() == (("up",),)
                finally:
                    c.close()
            except pymysql.MySQLError:
                return False

        self.assertTrue(harness.wait_until(served, harness.scaled(10), interval=0.2),
                        "mypool did not recover within 10 s after the backend came up")

    @harness.mypool_only("replacing broken backend connections")
    def test_killed_backend_is_replaced(self):
        target = self.target_for(pool_size=1, pool_wait_timeout="5s")
        a = self.connect(target=target, autocommit=True)
        with a.cursor() as cur:
            cur.execute("BEGIN")  # keeps the server connection
            cur.execute("SELECT @@pseudo_thread_id")  # the server's own id (CONNECTION_ID() is a's)
            backend_id = cur.fetchall()[0][0]
        self.sandbox.query("KILL CONNECTION %d" % backend_id)
        with self.assertRaises(pymysql.MySQLError):
            with a.cursor() as cur:  # its backend is gone: an error, not a hang
                cur.execute("SELECT 1")
        a.close()
        b = self.connect(target=target)  # the broken backend was closed, not reused
        with b.cursor() as cur:
            cur.execute("SELECT 'fresh', @@pseudo_thread_id <> %s", (backend_id,))
            self.assertEqual(cur.fetchall(), (("fresh", 1),))
        b.close()
        # An idle pooled backend killed behind mypool's back: at most one client may see an
        # error, then service continues.
        c = self.connect(target=target)
        with c.cursor() as cur:
            cur.execute("SELECT @@pseudo_thread_id")
            backend_id = cur.fetchall()[0][0]
        c.close()
        self.sandbox.query("KILL CONNECTION %d" % backend_id)
        time.sleep(0.2)
        results = []
        for i in range(3):
            try:
                d = harness.connect(target)
                with d.cursor() as cur:
                    cur.execute("SELECT %s", (i,))
                    results.append(cur.fetchall() == ((i,),))
                d.close()
            except pymysql.MySQLError as e:
                results.append(e)
        self.assertTrue(results[1] is True and results[2] is True, results)

    def test_slow_query_does_not_block_others(self):
        # One worker thread: a sleeping query and a paused streaming reader must not stall it.
        target = self.target_for(threads=1, pool_size=4, pool_wait_timeout="10s")
        fast = self.connect(target=target, autocommit=True)
        with fast.cursor() as cur:
            cur.execute("SELECT 0")
        reader = self.connect(target=target, cursorclass=pymysql.cursors.SSCursor)
        rcur = reader.cursor()
        rcur.execute("SELECT seq FROM seq_1_to_2000000")
        self.assertEqual([rcur.fetchone() for _ in range(10)], [(i,) for i in range(1, 11)])
        sleeper_done = []

        def sleeper():
            c = harness.connect(target)
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT SLEEP(3)")
                    sleeper_done.append(cur.fetchall())
            finally:
                c.close()

        t = threading.Thread(target=sleeper, daemon=True)
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        with fast.cursor() as cur:
            for i in range(20):
                cur.execute("SELECT %s", (i,))
                self.assertEqual(cur.fetchall(), ((i,),))
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, harness.scaled(0.8),
                        "20 quick queries took %.2f s next to a sleeping query and a paused "
                        "reader" % elapsed)
        t.join(harness.scaled(10))
        self.assertEqual(sleeper_done, [((0,),)])
        # The paused reader goes on where it stopped.
        self.assertEqual([rcur.fetchone() for _ in range(5000)], [(i,) for i in range(11, 5011)])
        reader._sock.shutdown(socket.SHUT_RDWR)
        reader._force_close()
        reader._result.unbuffered_active = False


@harness.mypool_only("client_idle_timeout and idle_transaction_timeout are mypool's")
class IdleTimeoutTest(harness.TestCase):
    shared_daemon = False

    def test_idle_in_transaction_is_disconnected_and_rolled_back(self):
        self.sandbox.query("CREATE TABLE IF NOT EXISTS test.idle_tx (id INT PRIMARY KEY)")
        self.sandbox.query("DELETE FROM test.idle_tx")
        d = harness.Mypoold(pool_size=1, idle_transaction_timeout="500ms", client_idle_timeout="3s",
                            pool_wait_timeout="20s").start()
        self.addCleanup(d.stop)
        a = self.connect(target=d.socket)
        with a.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO idle_tx VALUES (1)")
        # The only server connection is a's until the timeout frees it: b waits, then runs.
        b = self.connect(target=d.socket, autocommit=True)
        with b.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM idle_tx")
            self.assertEqual(cur.fetchall(), ((0,),), "a's transaction was not rolled back")
        with self.assertRaises(pymysql.err.OperationalError):
            a.cursor().execute("SELECT 1")
        self.assertIn("idle for 500 ms (idle_transaction_timeout): disconnecting", d.log_text())
        # Idle outside a transaction: only client_idle_timeout applies.
        time.sleep(1)
        with b.cursor() as cur:
            cur.execute("SELECT 2")
            self.assertEqual(cur.fetchall(), ((2,),))
        self.assertTrue(harness.wait_until(
            lambda: "idle for 3000 ms (client_idle_timeout): disconnecting" in d.log_text(), harness.scaled(10)),
            d.log_tail())
        with self.assertRaises(pymysql.err.OperationalError):
            b.cursor().execute("SELECT 3")

    def test_pinned_client_counts_as_holding_in_transaction_pooling(self):
        transaction = os.environ.get("MYPOOL_TEST_POOL_MODE", "session") == "transaction"
        d = harness.Mypoold(pool_size=2, idle_transaction_timeout="300ms").start()
        self.addCleanup(d.stop)
        c = self.connect(target=d.socket, autocommit=True)
        c.cursor().execute("SELECT GET_LOCK('idle_pin', 0)")  # pins
        time.sleep(1)
        if transaction:  # pinned: its server connection waits for it
            with self.assertRaises(pymysql.err.OperationalError):
                c.cursor().execute("SELECT IS_USED_LOCK('idle_pin') IS NOT NULL")
        else:  # every session mode client holds one; only an open transaction counts
            with c.cursor() as cur:
                cur.execute("SELECT IS_USED_LOCK('idle_pin') IS NOT NULL")
                self.assertEqual(cur.fetchall(), ((1,),))

    def test_client_login_timeout(self):
        d = harness.Mypoold(client_login_timeout="500ms").start()
        self.addCleanup(d.stop)
        r = self.raw(target=d.socket)
        r.read_greeting()  # and then nothing
        self.assertIsNone(r.read_until_closed_or_packet(), "the silent client was not disconnected")
        self.assertEqual(self.connect(target=d.socket).cursor().execute("SELECT 1"), 1)


@harness.mypool_only("mypool's pool")
class ReloadSmallerPoolTest(harness.TestCase):
    """A reload that lowers pool_size shrinks the pool to it (regression, found by bench/soak:
    SHOW POOLS said 4 while 8 server connections stayed open until the server restarted)."""

    shared_daemon = False

    def test_pool_shrinks(self):
        d = harness.Mypoold(pool_mode="transaction", pool_size=6).start()
        self.addCleanup(d.stop)
        holders = []
        for _ in range(6):
            c = self.connect(target=d.socket, autocommit=True)
            c.cursor().execute("BEGIN")
            c.cursor().execute("SELECT 1")
            holders.append(c)
        with harness.BackendMonitor() as mon:
            self.assertEqual(mon.count(), 6)
            with open(d.config_path) as f:
                text = f.read()
            with open(d.config_path, "w") as f:
                f.write(text.replace("pool_size = 6", "pool_size = 2"))
            os.kill(d.pid, signal.SIGHUP)
            self.assertTrue(d.wait_reloaded(), d.log_tail())
            for c in holders:
                c.cursor().execute("COMMIT")
            # The connections above the new size are closed as they come back; the clients
            # go on with the two that stay.
            for c in holders:
                cur = c.cursor()
                cur.execute("SELECT 2")
                self.assertEqual(cur.fetchall(), ((2,),))
            self.assertTrue(harness.wait_until(lambda: mon.count() <= 2, harness.scaled(5)),
                            "%d server connections with pool_size 2" % mon.count())
