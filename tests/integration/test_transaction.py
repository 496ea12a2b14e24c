"""Transaction pooling (pool_mode = transaction): many clients over few backends, never a leak.

Every daemon here is started with pool_mode = transaction explicitly, whatever the suite's default.
A client's backend is identified by @@pseudo_thread_id (the server connection id, in a statement
that does not read CONNECTION_ID()). Tests that must put a client on another backend use pool_size = 2
and a Mover: another connection holds the client's last backend in an open transaction, so the
client's next statement can only run on the other one (whose previous user left other state
behind). The server side is watched from a root connection straight to MariaDB.

Binary-protocol scenarios run tx_binary.c (libmariadb's mysql_stmt_* API), compiled by the test
into the run's temp dir; it pauses at "SYNC" lines so that the test can move it between backends.
"""

import datetime
import hashlib
import os
import subprocess
import threading
import time
import traceback

import MySQLdb
import pymysql
from pymysql.constants import CLIENT

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
DIRECT = harness.DIRECT
DBS = ["tx_db%d" % k for k in range(4)]


# ---------------------------------------------------------------------------------------------
# helpers

def q(conn, sql, args=None):
    """Run one statement (PyMySQL or MySQLdb); return all rows as a tuple of tuples."""
    cur = conn.cursor()
    try:
        cur.execute(sql, args)
        return tuple(tuple(r) for r in cur.fetchall())
    finally:
        cur.close()


def backend_of(conn):
    """The server connection the client's statement ran on: its own id (CONNECTION_ID() is the
    client's session id, test_session_state.ConnectionIdTest)."""
    return q(conn, "SELECT @@pseudo_thread_id")[0][0]


def error_of(fn, *args):
    """The (code, message) of the MySQL error fn(*args) raises; AssertionError if it does not."""
    try:
        fn(*args)
    except (pymysql.MySQLError, MySQLdb.MySQLError) as e:
        return e.args[0], e.args[1] if len(e.args) > 1 else ""
    raise AssertionError("%s%r did not fail" % (getattr(fn, "__name__", fn), args))


def root_exec(*statements):
    """Statements straight on MariaDB as root (setup and verification)."""
    c = harness.sandbox().connect(database="test")
    try:
        out = None
        for sql in statements:
            out = q(c, sql)
        return out
    finally:
        c.close()


def setup_tx_dbs():
    """tx_db0..tx_db3, each with a table t (auto-increment id, client, v)."""
    stmts = []
    for db in DBS:
        stmts += ["CREATE DATABASE IF NOT EXISTS %s" % db,
                  "DROP TABLE IF EXISTS %s.t" % db,
                  "CREATE TABLE %s.t (id INT AUTO_INCREMENT PRIMARY KEY, client INT NOT NULL, "
                  "v VARCHAR(20) NOT NULL) ENGINE=InnoDB" % db]
    root_exec(*stmts)


def pool_connections():
    """The backend connections of the pool account, counted by the server."""
    return root_exec("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '%s' ORDER BY ID"
                     % harness.POOL_USER)


def run_threads(n, fn, timeout=60):
    """fn(i) in n threads; returns ({i: result}, {i: formatted exception})."""
    results, errors = {}, {}

    def body(i):
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors[i] = "".join(traceback.format_exception(type(e), e, e.__traceback__))

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + harness.scaled(timeout)
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    for i, t in enumerate(threads):
        if t.is_alive():
            errors.setdefault(i, "still running after %.0f s" % harness.scaled(timeout))
    return results, errors


def summarize(errors, limit=3):
    # The clients that failed first, not those that only saw the barrier they were waiting at
    # broken by a failing one.
    keys = sorted(errors, key=lambda k: ("BrokenBarrierError" in errors[k], k))[:limit]
    return "%d client(s) failed; first ones:\n%s" % (
        len(errors), "\n".join("client %s: %s" % (k, errors[k]) for k in keys))


class Mover:
    """Makes a client's next statement run on another backend (pool_size = 2): a holder
    connection takes the backend the client just left into an open transaction, and the
    previous holder lets go of the other one. Holders run `setup` first, so the backend the
    client gets next carries someone else's session state. No-op in direct mode."""

    def __init__(self, target):
        self.target = target
        self.holders = []

    def move_from(self, last, setup=()):
        if DIRECT:
            return
        taken = []
        try:
            for _ in range(4):
                h = harness.connect(self.target, autocommit=True)
                taken.append(h)
                for sql in setup:
                    q(h, sql)
                q(h, "BEGIN")
                try:
                    b = backend_of(h)
                except pymysql.MySQLError as e:
                    raise AssertionError("a holder could not get the backend the client left "
                                         "(%d): %r: does the client still hold it?" % (last, e.args))
                if b == last:
                    break
            else:
                raise AssertionError("no holder got backend %d" % last)
        except BaseException:
            for h in taken:
                h.close()
            raise
        keep = taken.pop()
        for h in self.holders + taken:
            q(h, "COMMIT")
            h.close()
        self.holders = [keep]

    def release(self):
        for h in self.holders:
            try:
                q(h, "COMMIT")
            finally:
                h.close()
        self.holders = []


# ---------------------------------------------------------------------------------------------

class TxTestCase(harness.TestCase):
    shared_daemon = False

    def start(self, **cfg):
        """A fresh daemon in transaction pooling with this config (its socket), or MariaDB's
        socket in direct mode."""
        self.d = None
        if DIRECT:
            return self.sandbox.socket
        cfg["pool_mode"] = "transaction"  # always, whatever MYPOOL_TEST_POOL_MODE says
        if not getattr(self, "first_daemon_started", False):
            # The server can list an earlier test's backends for a moment after they were
            # closed; tests that count the pool account's connections start from none.
            self.assertTrue(harness.wait_until(lambda: pool_connections() == (),
                                               harness.scaled(5)),
                            "connections of an earlier test stay: %r" % (pool_connections(),))
            self.first_daemon_started = True
        d = harness.Mypoold(**cfg).start()
        self.addCleanup(d.stop)
        self.d = d
        return d.socket

    def mover(self, target):
        m = Mover(target)
        self.addCleanup(m.release)
        return m

    def assertNoErrors(self, errors):
        if errors:
            self.fail(summarize(errors))

    def assertMoved(self, new, last):
        if not DIRECT:
            self.assertNotEqual(new, last, "the client did not move to another backend")

    def assertPoolTimeout(self, fn, *args):
        code, msg = error_of(fn, *args)
        self.assertEqual(code, 9001, msg)
        self.assertTrue(msg.startswith("mypool: no backend connection available within"), msg)


# ---------------------------------------------------------------------------------------------
# 1. and 5.: many clients over few backends

SQL_MODES = ["", "STRICT_TRANS_TABLES", "PIPES_AS_CONCAT,ANSI_QUOTES",
             "ONLY_FULL_GROUP_BY,NO_ZERO_DATE", "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"]


class ManyClientsTest(TxTestCase):

    def test_200_clients_over_8_backends(self):
        setup_tx_dbs()
        n = 200
        target = self.start(pool_size=8, pool_wait_timeout="60s", max_client_conn=1000)
        started = threading.Barrier(n, timeout=harness.scaled(60))
        inserted = threading.Barrier(n, timeout=harness.scaled(60))
        wrong_lid = []

        def client(i):
            db = DBS[i % 4]
            cs = "latin1" if i % 3 == 0 else "utf8mb4"
            mode = SQL_MODES[i % len(SQL_MODES)]
            hours = (i % 25) - 12
            off = hours * 60 + (15 * (i % 4) if hours >= 0 else -15 * (i % 4))  # -12:45..+12:45
            tz = "%s%02d:%02d" % ("-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
            when = datetime.datetime(1971, 1, 1) + datetime.timedelta(minutes=off)
            seen = set()
            try:
                c = harness.connect(target, charset=cs, autocommit=False,
                                    read_timeout=harness.scaled(90))
            except BaseException:
                started.abort()
                inserted.abort()
                raise
            try:
                try:
                    started.wait()  # all 200 connected at once
                    q(c, "USE " + db)
                    q(c, "SET SESSION sql_mode = %s, time_zone = %s", (mode, tz))
                    expect = (db, mode, tz, cs, cs, cs, 0, 1, "C3A9", "é", when)

                    def check(where):
                        row = q(c, "SELECT @@pseudo_thread_id, DATABASE(), @@sql_mode, @@time_zone, "
                                   "@@character_set_client, @@character_set_connection, "
                                   "@@character_set_results, @@autocommit, CHAR_LENGTH('é'), "
                                   "HEX(CONVERT('é' USING utf8mb4)), 'é', FROM_UNIXTIME(31536000)")[0]
                        seen.add(row[0])
                        if row[1:] != expect:
                            raise AssertionError("client %d %s: state %r, expected %r (backend %s)"
                                                 % (i, where, row[1:], expect, row[0]))
                        c.commit()

                    check("after its SETs")
                    # A transaction that is rolled back.
                    with c.cursor() as cur:
                        cur.execute("INSERT INTO t (client, v) VALUES (%s, 'pending')", (i,))
                        pending = cur.lastrowid
                    own = q(c, "SELECT id FROM t WHERE client = %s AND v = 'pending'", (i,))
                    assert own == ((pending,),), "client %d: own pending rows %r" % (i, own)
                    others = q(c, "SELECT COUNT(*) FROM t WHERE v = 'pending' AND client <> %s", (i,))
                    assert others == ((0,),), "client %d sees others' uncommitted rows: %r" % (i, others)
                    if i % 50 == 0:
                        # Another client, while this one's transaction is open.
                        o = harness.connect(target, database=db, autocommit=True)
                        try:
                            r = q(o, "SELECT COUNT(*) FROM t WHERE client = %s", (i,))
                            assert r == ((0,),), "observer of %d sees uncommitted rows: %r" % (i, r)
                        finally:
                            o.close()
                    c.rollback()
                    gone = q(c, "SELECT COUNT(*) FROM t WHERE client = %s", (i,))
                    assert gone == ((0,),), "client %d: rows after ROLLBACK: %r" % (i, gone)
                    c.commit()
                    check("after ROLLBACK")
                    # A transaction that is committed.
                    ids = []
                    with c.cursor() as cur:
                        for k in (1, 2):
                            cur.execute("INSERT INTO t (client, v) VALUES (%s, %s)", (i, "kept-%d" % k))
                            ids.append(cur.lastrowid)
                    c.commit()
                    check("after COMMIT")
                    # Wrong LAST_INSERT_ID() values are collected (and fail the test at the
                    # end), so that the other checks still run.
                    lid = q(c, "SELECT LAST_INSERT_ID()")
                    if lid != ((ids[1],),):
                        wrong_lid.append("client %d: LAST_INSERT_ID() %r after its commit, "
                                         "lastrowid %d" % (i, lid, ids[1]))
                    c.commit()
                    inserted.wait()  # every client has inserted: all inserts interleaved
                    lid = q(c, "SELECT LAST_INSERT_ID()")
                    if lid != ((ids[1],),):
                        wrong_lid.append("client %d: LAST_INSERT_ID() %r after the others' "
                                         "inserts, lastrowid %d" % (i, lid, ids[1]))
                    rows = q(c, "SELECT id, v FROM t WHERE client = %s ORDER BY id", (i,))
                    assert rows == ((ids[0], "kept-1"), (ids[1], "kept-2")), \
                        "client %d: rows %r, ids %r" % (i, rows, ids)
                    c.commit()
                    check("at the end")
                    return seen
                except BaseException:
                    started.abort()
                    inserted.abort()
                    raise
            finally:
                c.close()

        with harness.BackendMonitor(interval=0.05) as mon:
            results, errors = run_threads(n, client, timeout=120)
        self.assertNoErrors(errors)
        self.assertIsNone(mon.error)
        # Straight from the server: only the committed rows, two per client.
        for k, db in enumerate(DBS):
            rows = root_exec("SELECT client, COUNT(*), SUM(v = 'pending') FROM %s.t GROUP BY client "
                             "ORDER BY client" % db)
            self.assertEqual(rows, tuple((i, 2, 0) for i in range(k, n, 4)))
        if not DIRECT:
            self.assertGreaterEqual(len(mon.samples), 3)
            self.assertLessEqual(mon.max, 8, "more than pool_size backend connections")
            backends = set().union(*results.values())
            self.assertLessEqual(len(backends), 8, "clients ran on more than 8 backends")
        if wrong_lid:
            self.fail("%d wrong LAST_INSERT_ID() values, e.g.:\n%s"
                      % (len(wrong_lid), "\n".join(sorted(wrong_lid)[:5])))

    def test_connect_time_sets_multiplex(self):
        """PyMySQL's SET AUTOCOMMIT = 0 and DBD::MariaDB's four SETs do not pin: 100 such clients,
        all connected at once, run their transactions on 8 backends."""
        n = 100
        root_exec("DROP TABLE IF EXISTS test.tx_ct",
                  "CREATE TABLE test.tx_ct (id INT AUTO_INCREMENT PRIMARY KEY, client INT, k INT) "
                  "ENGINE=InnoDB")
        glob = root_exec("SELECT @@global.character_set_server, @@global.collation_server")[0]
        target = self.start(pool_size=8, pool_wait_timeout="60s", log_level="debug")
        dbd_sets = ["SET NAMES 'utf8mb4'", "SET character_set_server='utf8mb4'",
                    "SET collation_connection='utf8mb4_unicode_ci'",
                    "SET collation_server='utf8mb4_unicode_ci'"]
        connected = threading.Barrier(n, timeout=harness.scaled(60))
        finished = threading.Barrier(n, timeout=harness.scaled(60))

        def client(i):
            dbd = i % 2 == 1
            try:
                c = harness.connect(target, autocommit=False)  # PyMySQL: SET AUTOCOMMIT = 0
            except BaseException:
                connected.abort()
                finished.abort()
                raise
            try:
                if dbd:
                    for sql in dbd_sets:
                        q(c, sql)
                connected.wait()
                want = ((0, "utf8mb4", "utf8mb4_unicode_ci", "utf8mb4", "utf8mb4_unicode_ci") if dbd
                        else (0, "utf8mb4", "utf8mb4_general_ci") + glob)
                seen = set()
                for k in range(3):
                    q(c, "INSERT INTO tx_ct (client, k) VALUES (%s, %s)", (i, k))
                    cnt = q(c, "SELECT COUNT(*) FROM tx_ct WHERE client = %s", (i,))
                    assert cnt == ((k + 1,),), "client %d: count %r" % (i, cnt)
                    c.commit()
                    row = q(c, "SELECT @@pseudo_thread_id, @@autocommit, @@character_set_client, "
                               "@@collation_connection, @@character_set_server, @@collation_server")[0]
                    seen.add(row[0])
                    assert row[1:] == want, "client %d (%s): %r, expected %r" % (
                        i, "DBD" if dbd else "PyMySQL", row[1:], want)
                finished.wait()  # all 100 still connected at the end
                return seen
            except BaseException:
                connected.abort()
                finished.abort()
                raise
            finally:
                c.close()

        with harness.BackendMonitor(interval=0.05) as mon:
            results, errors = run_threads(n, client, timeout=90)
        self.assertNoErrors(errors)
        self.assertIsNone(mon.error)
        self.assertEqual(root_exec("SELECT COUNT(*) FROM test.tx_ct"), ((3 * n,),))
        if not DIRECT:
            self.assertLessEqual(mon.max, 8, "more than pool_size backend connections")
            self.assertLessEqual(len(set().union(*results.values())), 8)
            pins = [ln for ln in self.d.log_text().splitlines() if "pinned to backend" in ln]
            self.assertEqual(pins, [], "connect-time SETs pinned clients")


# ---------------------------------------------------------------------------------------------
# 2. FOUND_ROWS

class FoundRowsTest(TxTestCase):

    def test_found_rows_per_client(self):
        root_exec("DROP TABLE IF EXISTS test.tx_fr",
                  "CREATE TABLE test.tx_fr (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
                  "INSERT INTO test.tx_fr SELECT seq, 0 FROM seq_1_to_30",
                  "INSERT INTO test.tx_fr SELECT 100 + seq, 0 FROM seq_0_to_9")
        target = self.start(pool_size=2, pool_wait_timeout="30s")

        def client(i):
            fr = i % 2 == 0
            c = harness.connect(target, autocommit=True, client_flag=CLIENT.FOUND_ROWS if fr else 0)
            try:
                for k in range(15):
                    with c.cursor() as cur:
                        n = cur.execute("UPDATE tx_fr SET v = 0 WHERE id = %s", (k % 30 + 1,))
                        assert n == (1 if fr else 0), "client %d (found_rows %s): unchanged row: " \
                            "affected %d" % (i, fr, n)
                        n = cur.execute("UPDATE tx_fr SET v = 0 WHERE id BETWEEN 1 AND 5")
                        assert n == (5 if fr else 0), "client %d (found_rows %s): 5 unchanged " \
                            "rows: affected %d" % (i, fr, n)
                        n = cur.execute("UPDATE tx_fr SET v = v + 1 WHERE id = %s", (100 + i,))
                        assert n == 1, "client %d: changed row: affected %d" % (i, n)
                        n = cur.execute("UPDATE tx_fr SET v = 0 WHERE id = 0")
                        assert n == 0, "client %d: no row: affected %d" % (i, n)
                    lim = (i * 7 + k) % 30 + 1
                    r = q(c, "SELECT SQL_CALC_FOUND_ROWS id FROM tx_fr WHERE id <= %s ORDER BY id "
                             "LIMIT 1", (lim,))
                    assert r == ((1,),), r
                    r = q(c, "SELECT FOUND_ROWS()")
                    assert r == ((lim,),), "client %d: FOUND_ROWS() %r, expected %d" % (i, r, lim)
                return True
            finally:
                c.close()

        with harness.BackendMonitor(interval=0.05) as mon:
            results, errors = run_threads(8, client)
        self.assertNoErrors(errors)
        self.assertEqual(root_exec("SELECT id, v FROM test.tx_fr WHERE id >= 100 AND id < 108 "
                                   "ORDER BY id"), tuple((100 + i, 15) for i in range(8)))
        if not DIRECT:
            self.assertIsNone(mon.error)
            self.assertLessEqual(mon.max, 2, "more than pool_size backend connections")


# ---------------------------------------------------------------------------------------------
# 3. and 4.: pins

@harness.mypool_only("pinning is mypool's")
class PinTest(TxTestCase):

    def check_pin(self, reason, pin, own, other, after, fresh_others=False, iterations=20,
                  other_threads=3, other_iterations=None):
        """pin(p) pins client p; own(p, k) checks p's state; other(c) checks that another client
        sees none of it; after(n) checks the client that gets p's backend after p left."""
        target = self.start(pool_size=2, pool_wait_timeout="10s", log_level="debug")
        p = self.connect(target=target, autocommit=True)
        pin(p)
        a = backend_of(p)
        other_iterations = iterations if other_iterations is None else other_iterations

        def other_client(j):
            c = None
            try:
                for k in range(other_iterations):
                    if c is None:
                        c = harness.connect(target, autocommit=True)
                    b = backend_of(c)
                    assert b != a, "another client got the pinned client's backend %d" % a
                    other(c)
                    if fresh_others:
                        c.close()
                        c = None
            finally:
                if c is not None:
                    c.close()

        results = {}
        errors = {}
        t = threading.Thread(target=lambda: results.update(run=run_threads(other_threads, other_client)))
        t.start()
        try:
            for k in range(iterations):
                own(p, k)
                self.assertEqual(backend_of(p), a, "the pinned client changed backends")
        finally:
            t.join(harness.scaled(60))
        self.assertFalse(t.is_alive())
        _, errors = results["run"]
        self.assertNoErrors(errors)
        line = "pinned to backend %d: %s" % (a, reason)
        self.assertTrue(harness.wait_until(lambda: line in self.d.log_text(), 2),
                        "no %r in the debug log" % line)
        # The next client on that backend sees none of it.
        h = self.connect(target=target, autocommit=True)
        q(h, "BEGIN")
        self.assertNotEqual(backend_of(h), a)
        p.close()
        n = self.connect(target=target, autocommit=True)
        self.assertEqual(backend_of(n), a, "the next client did not get the pinned client's backend")
        after(n)
        q(h, "COMMIT")

    def _user_var(self, statement):
        """User variables do not pin (issue 11, item 5): they follow the client by value
        (test_session_state.UserVariablesTest has the types), and no one else sees them."""
        target = self.start(pool_size=2, pool_wait_timeout="10s")
        p = self.connect(target=target, autocommit=True)
        q(p, statement)
        m = self.mover(target)
        seen = set()
        for k in range(4):
            seen.add(backend_of(p))
            self.assertEqual(q(p, "SELECT @tx_v + %s", (k,)), ((42 + k,),))
            c = self.connect(target=target, autocommit=True)
            self.assertEqual(q(c, "SELECT @tx_v"), ((None,),), "another client sees @tx_v")
            c.close()
            m.move_from(backend_of(p))
        self.assertGreater(len(seen), 1, "the client stayed on one backend: pinned?")

    def test_set_user_variable_moves(self):
        self._user_var("SET @tx_v = 42")

    def test_select_assign_user_variable_moves(self):
        self._user_var("SELECT @tx_v := 42")

    def test_select_into_user_variable_moves(self):
        self._user_var("SELECT 42 INTO @tx_v")

    def test_do_assign_user_variable_moves(self):
        self._user_var("DO @tx_v := 42")

    def test_pin_untracked_session_state(self):
        """A stored procedure sets a user variable: no statement text says so, the state-change
        tracker does."""
        root_exec("DROP PROCEDURE IF EXISTS test.tx_setvar",
                  "CREATE PROCEDURE test.tx_setvar() SET @tx_pv = 99")

        def pin(p):
            q(p, "CALL tx_setvar()")

        def own(p, k):
            self.assertEqual(q(p, "SELECT @tx_pv + %s", (k,)), ((99 + k,),))

        def other(c):
            assert q(c, "SELECT @tx_pv") == ((None,),), "another client sees @tx_pv"

        def after(n):
            self.assertEqual(q(n, "SELECT @tx_pv"), ((None,),))
        self.check_pin("untracked session state", pin, own, other, after)

    def test_pin_temporary_table(self):
        root_exec("DROP TABLE IF EXISTS test.tx_tmp")

        def pin(p):
            q(p, "CREATE TEMPORARY TABLE tx_tmp (x INT)")
            q(p, "INSERT INTO tx_tmp VALUES (1), (2), (3)")

        def own(p, k):
            q(p, "INSERT INTO tx_tmp VALUES (%s)", (k,))
            self.assertEqual(q(p, "SELECT COUNT(*), CAST(SUM(x) AS SIGNED) FROM tx_tmp"),
                             ((4 + k, 6 + k * (k + 1) // 2),))

        def other(c):
            code, msg = error_of(q, c, "SELECT COUNT(*) FROM tx_tmp")
            assert code == 1146, (code, msg)

        def after(n):
            self.assertEqual(error_of(q, n, "SELECT COUNT(*) FROM tx_tmp")[0], 1146)
        self.check_pin("temporary table", pin, own, other, after)

    def test_pin_get_lock(self):
        state = {}

        def pin(p):
            self.assertEqual(q(p, "SELECT GET_LOCK('tx_lock', 0)"), ((1,),))
            state["a"] = backend_of(p)

        def own(p, k):
            self.assertEqual(q(p, "SELECT IS_USED_LOCK('tx_lock'), IS_FREE_LOCK('tx_lock')"),
                             ((state["a"], 0),))

        def other(c):
            # Held by the pinned client's server connection, and not available to anyone else.
            r = q(c, "SELECT IS_USED_LOCK('tx_lock')")
            assert r == ((state["a"],),), "IS_USED_LOCK %r, expected %d" % (r, state["a"])
            r = q(c, "SELECT GET_LOCK('tx_lock', 0)")
            assert r == ((0,),), "another client got the lock: %r" % (r,)

        def after(n):
            # Released when its holder disconnected.
            self.assertEqual(q(n, "SELECT IS_USED_LOCK('tx_lock'), IS_FREE_LOCK('tx_lock')"),
                             ((None, 1),))
        self.check_pin("named lock", pin, own, other, after, fresh_others=True, iterations=10,
                       other_iterations=4)

    def test_pin_sql_prepare(self):
        def pin(p):
            q(p, "PREPARE tx_s FROM 'SELECT ? * 2'")

        def own(p, k):
            self.assertEqual(q(p, "EXECUTE tx_s USING %s" % k), ((2 * k,),))

        def other(c):
            code, msg = error_of(q, c, "EXECUTE tx_s USING 1")
            assert code == 1243, (code, msg)

        def after(n):
            self.assertEqual(error_of(q, n, "EXECUTE tx_s USING 1")[0], 1243)
        self.check_pin("SQL prepared statement", pin, own, other, after, fresh_others=True,
                       iterations=10, other_iterations=4)

    def test_pin_lock_tables(self):
        root_exec("DROP TABLE IF EXISTS test.tx_locked",
                  "CREATE TABLE test.tx_locked (id INT PRIMARY KEY) ENGINE=InnoDB")

        def pin(p):
            q(p, "LOCK TABLES tx_locked WRITE")

        def own(p, k):
            q(p, "INSERT INTO tx_locked VALUES (%s)", (k,))
            self.assertEqual(q(p, "SELECT COUNT(*) FROM tx_locked"), ((k + 1,),))

        def other(c):
            q(c, "SET SESSION lock_wait_timeout = 1")
            code, msg = error_of(q, c, "SELECT COUNT(*) FROM tx_locked")
            assert code == 1205, "another client read the locked table: %r" % ((code, msg),)
            q(c, "SELECT 1")

        def after(n):
            q(n, "SET SESSION lock_wait_timeout = 2")
            self.assertEqual(q(n, "SELECT COUNT(*) FROM tx_locked"), ((10,),))
            q(n, "INSERT INTO tx_locked VALUES (100)")
        self.check_pin("table lock", pin, own, other, after, iterations=10, other_threads=2,
                       other_iterations=1)

    def test_more_pinned_clients_than_pool_size(self):
        target = self.start(pool_size=2, pool_wait_timeout="1s")
        root_exec("DROP TABLE IF EXISTS test.tx_tmp4")
        pinned = []
        for who in ("p1", "p2"):
            p = self.connect(target=target, autocommit=True)
            q(p, "CREATE TEMPORARY TABLE tx_tmp4 (who VARCHAR(10))")
            q(p, "INSERT INTO tx_tmp4 VALUES (%s)", (who,))
            pinned.append(p)
        b1, b2 = backend_of(pinned[0]), backend_of(pinned[1])
        self.assertNotEqual(b1, b2)
        c3 = self.connect(target=target, autocommit=True)
        t0 = time.monotonic()
        self.assertPoolTimeout(q, c3, "SELECT who FROM tx_tmp4")
        self.assertGreaterEqual(time.monotonic() - t0, 0.8, "gave up before pool_wait_timeout")
        self.assertPoolTimeout(q, c3, "SELECT 1")
        for p, who in zip(pinned, ("p1", "p2")):
            self.assertEqual(q(p, "SELECT who FROM tx_tmp4"), ((who,),))
        self.assertEqual(len(pool_connections()), 2)
        pinned[0].close()
        self.assertEqual(backend_of(c3), b1)
        self.assertEqual(error_of(q, c3, "SELECT who FROM tx_tmp4")[0], 1146)
        self.assertEqual(q(pinned[1], "SELECT who FROM tx_tmp4"), (("p2",),))
        self.assertEqual(len(pool_connections()), 2)


# ---------------------------------------------------------------------------------------------
# 6. restored variables, each checked on the other backend after every move

class RestoreTest(TxTestCase):

    def restore_case(self, setup, check, expected, holder_setup=(), rounds=4, **connect_kw):
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        connect_kw.setdefault("autocommit", True)
        c = self.connect(target=target, **connect_kw)
        for sql in setup:
            q(c, sql)
        m = self.mover(target)
        last = backend_of(c)
        for r in range(rounds):
            m.move_from(last, holder_setup)
            row = q(c, "SELECT @@pseudo_thread_id, " + check)[0]
            self.assertMoved(row[0], last)
            self.assertEqual(row[1:], expected, "round %d, backend %d" % (r, row[0]))
            last = row[0]
        return c, m, last

    def test_restore_sql_mode(self):
        self.restore_case(["SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'"],
                          "@@sql_mode, 'a' || 'b'",
                          ("PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION", "ab"),
                          ["SET SESSION sql_mode = 'STRICT_ALL_TABLES'"])

    def test_restore_time_zone(self):
        self.restore_case(["SET time_zone = '+05:30'"],
                          "@@time_zone, CAST(FROM_UNIXTIME(0) AS CHAR)",
                          ("+05:30", "1970-01-01 05:30:00"),
                          ["SET time_zone = '-03:00'"])

    def test_restore_autocommit(self):
        root_exec("DROP TABLE IF EXISTS test.tx_ac",
                  "CREATE TABLE test.tx_ac (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB")
        c, m, last = self.restore_case(["SET autocommit = 0"], "@@autocommit", (0,))
        # Really off on the backend it runs on now: the insert waits for a COMMIT that never comes.
        m.move_from(last)
        q(c, "INSERT INTO tx_ac (v) VALUES (1)")
        b = backend_of(c)
        self.assertMoved(b, last)
        q(c, "ROLLBACK")
        self.assertEqual(root_exec("SELECT COUNT(*) FROM test.tx_ac"), ((0,),))
        # And on again, on backends whose previous user had it off.
        q(c, "SET autocommit = 1")
        last = backend_of(c)
        for r in range(3):
            m.move_from(last, ["SET autocommit = 0"])
            row = q(c, "SELECT @@pseudo_thread_id, @@autocommit")[0]
            self.assertMoved(row[0], last)
            self.assertEqual(row[1], 1)
            q(c, "INSERT INTO tx_ac (v) VALUES (%s)", (r,))
            last = backend_of(c)
        self.assertEqual(root_exec("SELECT COUNT(*) FROM test.tx_ac"), ((3,),))

    def trx_isolation(self, conn):
        q(conn, "BEGIN")
        q(conn, "SELECT COUNT(*) FROM tx_ac LOCK IN SHARE MODE")  # registers the transaction
        time.sleep(0.15)  # InnoDB refreshes its INNODB_TRX cache only after 0.1 s without readers
        r = q(conn, "SELECT trx_isolation_level FROM information_schema.INNODB_TRX "
                    "WHERE trx_mysql_thread_id = @@pseudo_thread_id")
        q(conn, "COMMIT")
        return r

    def test_restore_tx_isolation(self):
        root_exec("CREATE TABLE IF NOT EXISTS test.tx_ac (id INT AUTO_INCREMENT PRIMARY KEY, v INT) "
                  "ENGINE=InnoDB")
        c, m, last = self.restore_case(["SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"],
                                       "@@tx_isolation", ("READ-COMMITTED",),
                                       ["SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"])
        for r in range(2):
            m.move_from(last, ["SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"])
            self.assertEqual(self.trx_isolation(c), (("READ COMMITTED",),))
            last = backend_of(c)

    def test_restore_transaction_read_only(self):
        root_exec("CREATE TABLE IF NOT EXISTS test.tx_ac (id INT AUTO_INCREMENT PRIMARY KEY, v INT) "
                  "ENGINE=InnoDB")
        c, m, last = self.restore_case(["SET SESSION TRANSACTION READ ONLY"], "@@tx_read_only", (1,))
        m.move_from(last)
        self.assertEqual(error_of(q, c, "INSERT INTO tx_ac (v) VALUES (5)")[0], 1792)
        last = backend_of(c)  # after the error: still the same backend
        q(c, "SET SESSION TRANSACTION READ WRITE")
        last = backend_of(c)
        for r in range(2):
            m.move_from(last, ["SET SESSION TRANSACTION READ ONLY"])
            row = q(c, "SELECT @@pseudo_thread_id, @@tx_read_only")[0]
            self.assertMoved(row[0], last)
            self.assertEqual(row[1], 0)
            q(c, "INSERT INTO tx_ac (v) VALUES (6)")
            last = backend_of(c)

    def test_restore_wait_timeout(self):
        self.restore_case(["SET SESSION wait_timeout = 12345"], "@@wait_timeout", (12345,),
                          ["SET SESSION wait_timeout = 777"])

    def test_restore_set_names_and_character_set_results(self):
        # PyMySQL sends UTF-8; the server reads it as latin1 (two characters) and answers in
        # utf8mb4, so 'é' comes back as the two characters 'Ã©'.
        self.restore_case(["SET NAMES latin1", "SET character_set_results = utf8mb4"],
                          "@@character_set_client, @@character_set_connection, "
                          "@@character_set_results, @@collation_connection, CHAR_LENGTH('é'), 'é'",
                          ("latin1", "latin1", "utf8mb4", "latin1_swedish_ci", 2, "Ã©"),
                          ["SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
                           "SET character_set_results = latin1"])

    def test_restore_use_database(self):
        setup_tx_dbs()
        self.restore_case(["USE tx_db1"], "DATABASE()", ("tx_db1",), ["USE tx_db2"])

    def test_restore_init_db(self):
        setup_tx_dbs()
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        c = self.connect(target=target, autocommit=True)
        c.select_db("tx_db3")  # COM_INIT_DB
        m = self.mover(target)
        last = backend_of(c)
        for r in range(3):
            m.move_from(last, ["USE tx_db0"])
            row = q(c, "SELECT @@pseudo_thread_id, DATABASE(), COUNT(*) FROM t")[0]
            self.assertMoved(row[0], last)
            self.assertEqual(row[1:], ("tx_db3", 0))
            last = row[0]

    def test_restore_no_database(self):
        setup_tx_dbs()
        c, m, last = self.restore_case([], "DATABASE()", (None,), ["USE tx_db2"], database=None)
        m.move_from(last, ["USE tx_db2"])
        self.assertEqual(error_of(q, c, "SELECT COUNT(*) FROM t")[0], 1046)

    def test_restore_handshake_charset(self):
        for cs, coll in (("latin1", "latin1_swedish_ci"), ("utf8", "utf8mb3_general_ci")):
            with self.subTest(charset=cs):
                name = "utf8mb3" if cs == "utf8" else cs
                self.restore_case([], "@@character_set_client, @@character_set_connection, "
                                      "@@character_set_results, @@collation_connection, "
                                      "CHAR_LENGTH('é'), HEX(CONVERT('é' USING utf8mb4)), 'é'",
                                  (name, name, name, coll, 1, "C3A9", "é"),
                                  ["SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"], charset=cs)

    def test_restore_multi_statements_flag(self):
        """Without CLIENT_MULTI_STATEMENTS, 'SELECT 1; SELECT 2' is refused (1064), also on the
        backend a client with the flag has just used."""
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        multi = self.connect(target=target, autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS)
        single = self.connect(target=target, autocommit=True)
        m = self.mover(target)
        same = 0
        for r in range(4):
            with multi.cursor() as cur:
                cur.execute("SELECT @@pseudo_thread_id; SELECT 2")
                bm = cur.fetchall()[0][0]
                self.assertTrue(cur.nextset())
                self.assertEqual(cur.fetchall(), ((2,),))
            code, msg = error_of(q, single, "SELECT 1; SELECT 2")
            self.assertEqual(code, 1064, msg)
            bs = backend_of(single)  # kept after the error: where it failed
            same += bs == bm
            m.move_from(bs)
        if not DIRECT:
            self.assertGreater(same, 0, "the single-statement client never ran on a backend the "
                                        "multi-statement client had just used")

    def test_restore_multi_statements_set_option(self):
        """COM_SET_OPTION (mysqlclient's set_server_option) follows the client to every backend."""
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        c = self.track(MySQLdb.connect(unix_socket=target, user=harness.APP_USER,
                                       passwd=harness.APP_PASSWORD, db="test", autocommit=True))
        other = self.connect(target=target, autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS)
        m = self.mover(target)
        c.set_server_option(1)  # MYSQL_OPTION_MULTI_STATEMENTS_OFF
        last = backend_of(c)
        for r in range(3):
            m.move_from(last)
            code, msg = error_of(q, c, "SELECT 1; SELECT 2")
            self.assertEqual(code, 1064, msg)
            b = backend_of(c)
            self.assertMoved(b, last)
            last = b
            # The other client has multi-statements on wherever it runs.
            with other.cursor() as cur:
                cur.execute("SELECT 1; SELECT 2")
                self.assertTrue(cur.nextset())
        c.set_server_option(0)  # MYSQL_OPTION_MULTI_STATEMENTS_ON
        last = backend_of(c)
        for r in range(3):
            m.move_from(last)
            cur = c.cursor()
            cur.execute("SELECT @@pseudo_thread_id; SELECT 2")
            b = cur.fetchall()[0][0]
            self.assertTrue(cur.nextset())
            self.assertEqual(tuple(cur.fetchall()), ((2,),))
            cur.close()
            self.assertMoved(b, last)
            last = b

    def test_restore_last_insert_id(self):
        root_exec("DROP TABLE IF EXISTS test.tx_lid",
                  "CREATE TABLE test.tx_lid (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10)) "
                  "ENGINE=InnoDB",
                  "DROP TABLE IF EXISTS test.tx_seq",
                  "CREATE TABLE test.tx_seq (id INT NOT NULL) ENGINE=InnoDB",
                  "INSERT INTO test.tx_seq VALUES (1000)")
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        c = self.connect(target=target, autocommit=True)
        m = self.mover(target)
        holder = ["INSERT INTO tx_lid (who) VALUES ('holder')"]  # other insert ids on each backend
        for r in range(3):
            with c.cursor() as cur:
                cur.execute("INSERT INTO tx_lid (who) VALUES ('client')")
                mine = cur.lastrowid
            last = backend_of(c)
            for k in range(2):
                m.move_from(last, holder)
                row = q(c, "SELECT @@pseudo_thread_id, LAST_INSERT_ID()")[0]
                self.assertMoved(row[0], last)
                self.assertEqual(row[1], mine, "round %d.%d" % (r, k))
                last = row[0]
            # A statement that generates no id leaves it alone.
            q(c, "UPDATE tx_lid SET who = 'client' WHERE id = %s", (mine,))
            m.move_from(backend_of(c), holder)
            self.assertEqual(q(c, "SELECT LAST_INSERT_ID()"), ((mine,),))
        # The sequence idiom from the manual: UPDATE ... LAST_INSERT_ID(expr), then read it.
        for r in range(3):
            with c.cursor() as cur:
                cur.execute("UPDATE tx_seq SET id = LAST_INSERT_ID(id + 1)")
                self.assertEqual(cur.lastrowid, 1001 + r)
            m.move_from(backend_of(c), holder)
            self.assertEqual(q(c, "SELECT LAST_INSERT_ID()"), ((1001 + r,),))

    def test_restore_last_insert_id_same_backend(self):
        """Back on the backend where it inserted, after another client inserted there too."""
        root_exec("DROP TABLE IF EXISTS test.tx_lid3",
                  "CREATE TABLE test.tx_lid3 (id INT AUTO_INCREMENT PRIMARY KEY, who INT) ENGINE=InnoDB")
        target = self.start(pool_size=1, pool_wait_timeout="3s")
        c = self.connect(target=target, autocommit=True)
        o = self.connect(target=target, autocommit=True)
        for r in range(3):
            with c.cursor() as cur:
                cur.execute("INSERT INTO tx_lid3 (who) VALUES (1)")
                mine = cur.lastrowid
            with o.cursor() as cur:
                cur.execute("INSERT INTO tx_lid3 (who) VALUES (2)")
                theirs = cur.lastrowid
            self.assertEqual(q(c, "SELECT LAST_INSERT_ID()"), ((mine,),), "round %d" % r)
            self.assertEqual(q(o, "SELECT LAST_INSERT_ID()"), ((theirs,),), "round %d" % r)
        # A client that never inserted anything has 0, not the id of whoever used the backend.
        fresh = self.connect(target=target, autocommit=True)
        self.assertEqual(q(fresh, "SELECT LAST_INSERT_ID()"), ((0,),))

    def test_last_insert_id_changed_unseen(self):
        """Regression (MariaDB's suite, metadata): a CALL, a compound statement and a failing
        INSERT change LAST_INSERT_ID() with no OK saying so; a fresh client on that server
        connection then read it (1 where MariaDB says 0)."""
        root_exec("CREATE OR REPLACE TABLE test.tx_lid4 (id INT AUTO_INCREMENT PRIMARY KEY, u INT UNIQUE)",
                  "INSERT INTO test.tx_lid4 (u) VALUES (0)",
                  "CREATE OR REPLACE PROCEDURE test.tx_lid4_add() INSERT INTO test.tx_lid4 (u) VALUES (NULL)")
        target = self.start(pool_size=1, pool_wait_timeout="3s")
        for sql, mine in (("CALL tx_lid4_add()", 2), ("BEGIN NOT ATOMIC INSERT INTO tx_lid4 (u) VALUES (NULL); END", 3),
                          ("INSERT INTO tx_lid4 (u) VALUES (NULL), (0)", 4)):
            c = self.connect(target=target, autocommit=True)
            try:
                q(c, sql)
            except pymysql.MySQLError as e:
                self.assertEqual(e.args[0], 1062, sql)  # only the INSERT fails (Duplicate entry)
            q(c, "DO 1")
            self.assertEqual(q(self.connect(target=target, autocommit=True), "SELECT LAST_INSERT_ID()"), ((0,),), sql)
            self.assertEqual(q(c, "SELECT LAST_INSERT_ID()"), ((mine,),), sql)

    def test_restore_last_insert_id_variable(self):
        """@@last_insert_id and @@identity are LAST_INSERT_ID() too."""
        root_exec("DROP TABLE IF EXISTS test.tx_lid2",
                  "CREATE TABLE test.tx_lid2 (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10)) "
                  "ENGINE=InnoDB")
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        c = self.connect(target=target, autocommit=True)
        m = self.mover(target)
        with c.cursor() as cur:
            cur.execute("INSERT INTO tx_lid2 (who) VALUES ('client')")
            mine = cur.lastrowid
        last = backend_of(c)
        for k in range(2):
            m.move_from(last, ["INSERT INTO tx_lid2 (who) VALUES ('holder')"])
            row = q(c, "SELECT @@pseudo_thread_id, @@last_insert_id, @@identity")[0]
            self.assertMoved(row[0], last)
            self.assertEqual(row[1:], (mine, mine))
            last = row[0]


# ---------------------------------------------------------------------------------------------
# 7., 8.: the next transaction's characteristics, warnings

class ServerEndsTransactionTest(TxTestCase):
    """Regression (MariaDB's own suite, transaction_timeout): the server closes a connection
    that sits in a transaction (its idle_transaction_timeout); the client then got mypool's 9003
    where a direct client gets 2013 (lost connection), and connectors that look for 2006/2013
    kept a connection that was over. Now: 2013, and the session ends, in both pool modes."""

    def check(self, mode):
        target = self.sandbox.socket
        if not DIRECT:
            d = harness.Mypoold(pool_mode=mode).start()
            self.addCleanup(d.stop)
            target = d.socket
        c = self.connect(target=target, autocommit=True)
        q(c, "SET SESSION idle_transaction_timeout = 1")
        q(c, "BEGIN")
        q(c, "SELECT 1")
        time.sleep(2.5)
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(c, "SELECT 2")
        self.assertIn(cm.exception.args[0], (2006, 2013), cm.exception.args)
        with self.assertRaises(pymysql.MySQLError):
            q(c, "SELECT 3")
        # Everyone else goes on.
        self.assertEqual(q(self.connect(target=target, autocommit=True), "SELECT 4"), ((4,),))

    def test_transaction_pooling(self):
        self.check("transaction")

    def test_session_pooling(self):
        self.check("session")


class TransactionStateTest(TxTestCase):

    def trx(self, conn, write=False):
        """(isolation level, error of an insert or None) of one transaction of conn."""
        q(conn, "BEGIN")
        q(conn, "SELECT COUNT(*) FROM tx_ac LOCK IN SHARE MODE")  # registers the transaction
        time.sleep(0.15)  # InnoDB refreshes its INNODB_TRX cache only after 0.1 s without readers
        lvl = q(conn, "SELECT trx_isolation_level FROM information_schema.INNODB_TRX "
                      "WHERE trx_mysql_thread_id = @@pseudo_thread_id")
        err = None
        if write:
            try:
                q(conn, "INSERT INTO tx_ac (v) VALUES (7)")
            except pymysql.MySQLError as e:
                err = e.args[0]
        q(conn, "COMMIT")
        return (lvl[0][0] if lvl else None), err

    def test_set_transaction_applies_to_next_transaction_only(self):
        root_exec("CREATE TABLE IF NOT EXISTS test.tx_ac (id INT AUTO_INCREMENT PRIMARY KEY, v INT) "
                  "ENGINE=InnoDB")
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        c = self.connect(target=target, autocommit=True)
        o = self.connect(target=target, autocommit=True)
        q(c, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        for k in range(5):
            self.assertEqual(self.trx(o), ("REPEATABLE READ", None), "another client's transaction")
        self.assertEqual(self.trx(c), ("SERIALIZABLE", None))
        self.assertEqual(self.trx(c), ("REPEATABLE READ", None), "not only the next transaction")
        q(c, "SET TRANSACTION READ ONLY")
        for k in range(3):
            self.assertEqual(self.trx(o, write=True), ("REPEATABLE READ", None))
        self.assertEqual(self.trx(c, write=True), ("REPEATABLE READ", 1792))
        self.assertEqual(self.trx(c, write=True), ("REPEATABLE READ", None))
        self.assertEqual(self.trx(o, write=True), ("REPEATABLE READ", None))

    def test_error_with_autocommit_off_keeps_the_transaction(self):
        # Regression (MariaDB's suite, unsafe_binlog_innodb): with autocommit off a statement
        # that fails may have begun a transaction, which an ERR does not say; the client's
        # server connection went back to the pool at disconnect with it open (and its metadata
        # locks: a DROP TABLE then waited for ever). Now it is kept, and reset at disconnect.
        root_exec("CREATE OR REPLACE TABLE test.tx_err (a INT PRIMARY KEY, b INT) ENGINE=InnoDB",
                  "INSERT INTO test.tx_err VALUES (1, 1), (2, 2)")
        self.addCleanup(root_exec, "SET lock_wait_timeout = 10", "DROP TABLE IF EXISTS test.tx_err")
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        a = self.connect(target=target, autocommit=False)
        b = self.connect(target=target, autocommit=False)
        q(a, "UPDATE tx_err SET b = 5 WHERE a = 1")
        q(b, "SET innodb_lock_wait_timeout = 1")
        self.assertEqual(error_of(q, b, "SELECT * FROM tx_err WHERE a = 1 FOR UPDATE")[0], 1205)
        b.close()
        a.commit()
        a.close()

        def open_trx():
            time.sleep(0.15)  # InnoDB refreshes its INNODB_TRX cache only after 0.1 s without readers
            return root_exec("SELECT COUNT(*) FROM information_schema.INNODB_TRX")[0][0]
        self.assertTrue(harness.wait_until(lambda: open_trx() == 0, harness.scaled(5)),
                        "a transaction stays open: %r" % (root_exec(
                            "SELECT trx_state, trx_mysql_thread_id FROM information_schema.INNODB_TRX"),))

    def test_show_warnings_under_load(self):
        target = self.start(pool_size=3, pool_wait_timeout="30s")
        stop = threading.Event()

        def hammer(j):
            c = harness.connect(target, autocommit=True)
            n = 0
            try:
                while not stop.is_set():
                    v = "%dz%d" % (1000 + j, n)
                    r = q(c, "SELECT CAST(%s AS SIGNED)", (v,))
                    assert r == ((1000 + j,),), r
                    if n % 2:
                        w = q(c, "SHOW WARNINGS")
                        assert w == (("Warning", 1292, "Truncated incorrect INTEGER value: '%s'" % v),), w
                    q(c, "SELECT 1")
                    n += 1
                return n
            finally:
                c.close()

        res = {}
        t = threading.Thread(target=lambda: res.update(run=run_threads(20, hammer)))
        t.start()
        try:
            c = self.connect(target=target, autocommit=True)
            for k in range(30):
                v = "%dabc" % k
                self.assertEqual(q(c, "SELECT CAST(%s AS SIGNED)", (v,)), ((k,),))
                self.assertEqual(q(c, "SHOW WARNINGS"),
                                 (("Warning", 1292, "Truncated incorrect INTEGER value: '%s'" % v),))
                self.assertEqual(error_of(q, c, "SELECT * FROM tx_no_such_%d" % k)[0], 1146)
                self.assertEqual(q(c, "SHOW WARNINGS"),
                                 (("Error", 1146, "Table 'test.tx_no_such_%d' doesn't exist" % k),))
                self.assertEqual(q(c, "SELECT 1"), ((1,),))
        finally:
            stop.set()
            t.join(harness.scaled(60))
        results, errors = res["run"]
        self.assertNoErrors(errors)
        self.assertTrue(all(results[j] > 0 for j in range(20)), results)


# ---------------------------------------------------------------------------------------------
# 9., 10.: COM_RESET_CONNECTION and COM_CHANGE_USER

class ResetChangeUserTest(TxTestCase):

    def test_reset_connection_unpins(self):
        setup_tx_dbs()
        glob = root_exec("SELECT @@global.sql_mode")[0][0]
        target = self.start(pool_size=1, pool_wait_timeout="1s")
        c = self.connect(target=target, autocommit=True)
        q(c, "SET @tx_r = 5")
        q(c, "USE tx_db1")
        q(c, "SET SESSION sql_mode = 'ANSI_QUOTES'")
        q(c, "CREATE TEMPORARY TABLE tx_rtmp (x INT)")
        self.assertEqual(q(c, "SELECT @tx_r"), ((5,),))
        o = self.connect(target=target, autocommit=True, database=None)
        if not DIRECT:
            self.assertPoolTimeout(q, o, "SELECT 1")  # c holds the only backend
        c._execute_command(harness.COM_RESET_CONNECTION, b"")
        c._read_ok_packet()
        self.assertEqual(q(c, "SELECT @tx_r, DATABASE(), @@sql_mode"), ((None, "tx_db1", glob),))
        self.assertEqual(error_of(q, c, "SELECT * FROM tx_rtmp")[0], 1146)
        self.assertEqual(q(c, "SELECT 1"), ((1,),))
        for k in range(5):
            self.assertEqual(q(o, "SELECT %s", (k,)), ((k,),))
            self.assertEqual(q(c, "SELECT %s, DATABASE()", (k,)), ((k, "tx_db1"),))

    def test_change_user(self):
        setup_tx_dbs()
        target = self.start(pool_size=1, pool_wait_timeout="1s")
        c = self.track(MySQLdb.connect(unix_socket=target, user=harness.APP_USER,
                                       passwd=harness.APP_PASSWORD, db="test", autocommit=True))
        q(c, "SET @tx_cu = 7")
        self.assertEqual(q(c, "SELECT @tx_cu, GET_LOCK('tx_cu', 0)"), ((7, 1),))  # the lock pins
        o = self.connect(target=target, autocommit=True, database=None)
        if not DIRECT:
            self.assertPoolTimeout(q, o, "SELECT 1")
        c.change_user(harness.APP_USER, harness.APP_PASSWORD, "tx_db2")
        self.assertEqual(q(c, "SELECT @tx_cu, DATABASE()"), ((None, "tx_db2"),))
        self.assertEqual(q(o, "SELECT 1"), ((1,),), "still pinned after COM_CHANGE_USER")
        self.assertEqual(q(c, "SELECT COUNT(*) FROM t"), ((0,),))
        if not DIRECT:
            q(c, "SET @tx_cu = 8")
            c.change_user(harness.HASH_USER, harness.HASH_PASSWORD, "test")
            self.assertEqual(q(c, "SELECT @tx_cu, DATABASE()"), ((None, "test"),))
            self.assertEqual(q(o, "SELECT 2"), ((2,),))
        with self.assertRaises(MySQLdb.OperationalError) as cm:
            c.change_user(harness.APP_USER, "wrong", "test")
        self.assertEqual(cm.exception.args[0], 1045, cm.exception.args)
        self.assertEqual(q(o, "SELECT 3"), ((3,),))


# ---------------------------------------------------------------------------------------------
# 11. binary protocol across backends (tx_binary.c)

_helper = {}


def build_helper():
    """Compile tx_binary.c into the run's temp dir (once); raise if that fails."""
    if "path" in _helper:
        return _helper["path"]
    if "error" in _helper:
        raise AssertionError(_helper["error"])
    src = os.path.join(HERE, "tx_binary.c")
    out = os.path.join(harness.tmp_root(), "tx_binary")
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmariadb"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if flags.returncode != 0:
            raise RuntimeError("pkg-config libmariadb: %s" % flags.stdout.decode(errors="replace"))
        cc = subprocess.run(["gcc", "-O1", "-Wall", "-o", out, src]
                            + flags.stdout.decode().split(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if cc.returncode != 0:
            raise RuntimeError("gcc failed:\n%s" % cc.stdout.decode(errors="replace"))
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        _helper["error"] = "cannot build the tx_binary helper: %s" % e
        raise AssertionError(_helper["error"])
    _helper["path"] = out
    return out


def helper_transcript(test, target, scenario):
    """The lines tx_binary's `scenario` prints against target (the test fails if it fails)."""
    p = subprocess.run([build_helper(), target, harness.APP_USER, harness.APP_PASSWORD, "test", scenario],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=harness.scaled(60))
    test.assertEqual(p.returncode, 0, p.stdout)
    return p.stdout.splitlines()


class BinaryProtocolTest(TxTestCase):

    def setUp(self):
        super().setUp()
        root_exec("DROP TABLE IF EXISTS test.tx_bin, test.tx_bin_rows, test.tx_blob",
                  "CREATE TABLE test.tx_bin (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(50), n INT) "
                  "ENGINE=InnoDB",
                  "CREATE TABLE test.tx_bin_rows (id INT PRIMARY KEY, s VARCHAR(50), n INT) "
                  "ENGINE=InnoDB",
                  "INSERT INTO test.tx_bin_rows SELECT seq, CONCAT('row-', seq), seq * 10 "
                  "FROM seq_1_to_50",
                  "CREATE TABLE test.tx_blob (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB")

    def run_helper(self, mode, target, on_sync=None, timeout=60):
        """Run tx_binary MODE; at every SYNC check/move (see Syncer); return the transcript."""
        exe = build_helper()
        p = subprocess.Popen([exe, target, harness.APP_USER, harness.APP_PASSWORD, "test", mode],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, encoding="utf-8", errors="replace")
        watchdog = threading.Timer(harness.scaled(timeout), p.kill)
        watchdog.start()
        lines = []
        try:
            for line in p.stdout:
                line = line.rstrip("\n")
                if line.startswith("SYNC "):
                    _, tag, bid = line.split()
                    if on_sync:
                        on_sync(tag, int(bid))
                    p.stdin.write("go\n")
                    p.stdin.flush()
                else:
                    lines.append(line)
            rc = p.wait(harness.scaled(10))
            err = p.stderr.read()
        finally:
            watchdog.cancel()
            if p.poll() is None:
                p.kill()
                p.wait()
            for f in (p.stdin, p.stdout, p.stderr):
                try:
                    f.close()
                except OSError:
                    pass
        self.assertEqual(rc, 0, "tx_binary %s exited with %s\n%s\n%s" % (mode, rc, err,
                                                                          "\n".join(lines[-20:])))
        return lines

    def syncer(self, target):
        return Syncer(self, target)

    def assertTranscript(self, got, want):
        if got != want:
            import difflib
            self.fail("transcript differs:\n" + "\n".join(difflib.unified_diff(
                want, got, "expected", "got", lineterm="", n=2)))

    def test_binary_parameters_across_backends(self):
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        s = self.syncer(target)
        got = self.run_helper("params", target, s)
        want = ["P p1 params=3 cols=3", "P p2 params=2 cols=0", "P p3 params=2 cols=3",
                "R e1 42|<abc>|null", "END e1",
                "R e2 2|<>|x", "END e2",
                "R e3 2.5|<7>|9", "END e3",
                "R e4 0.75|<-3>|null", "END e4",
                "R e5 1|<it's \"q\" \\ é>|null", "END e5",
                "OK i1 affected=1 insert_id=1", "OK i2 affected=1 insert_id=2",
                "OK i3 affected=1 insert_id=3", "OK i4 affected=1 insert_id=4",
                "R r1 2|row-2|20", "R r1 3|row-3|30", "R r1 4|row-4|40", "END r1",
                "R r2 49|row-49|490", "R r2 50|row-50|500", "END r2",
                "END r3",
                "P p4 params=1 cols=0",
                "E d1 1062 Duplicate entry '1' for key 'PRIMARY'",
                "R e6 1|<it's \"q\" \\ é>|null", "END e6",
                "DONE"]
        self.assertTranscript(got, want)
        self.assertEqual(root_exec("SELECT id, s, n FROM test.tx_bin ORDER BY id"),
                         ((1, "ins-1", 100), (2, "ins-2", 200), (3, None, 300), (4, "ins-4", 400)))
        s.check()

    def test_binary_cursor(self):
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        s = self.syncer(target)
        got = self.run_helper("cursor", target, s)
        want = (["P c params=1 cols=2"] + ["R c1 %d|row-%d" % (i, i) for i in range(1, 21)]
                + ["END c1"] + ["R c2 %d|row-%d" % (i, i) for i in range(1, 4)] + ["END c2"]
                + ["R c3 1|row-1", "R c3 2|row-2", "OK reset"]
                + ["R c4 1|row-1", "R c4 2|row-2", "END c4", "DONE"])
        self.assertTranscript(got, want)
        s.check()

    def test_binary_long_data(self):
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        s = self.syncer(target)
        got = self.run_helper("longdata", target, s)
        blob = bytes((i % 251) for i in range(4 * 25600))
        md5 = hashlib.md5(blob).hexdigest()
        want = ["P l params=2 cols=0", "OK l1 affected=1 insert_id=0", "T v1 102400|%s" % md5,
                "OK reset", "OK l2 affected=1 insert_id=0",
                "T v2 1|102400|%s" % md5, "T v2 2|5|%s" % hashlib.md5(b"small").hexdigest(), "DONE"]
        self.assertTranscript(got, want)
        s.check()

    def test_binary_many_statements(self):
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        s = self.syncer(target)
        got = self.run_helper("many", target, s)
        want = ["P many 310"]
        for i in range(310):
            want += ["R m%d %d" % (i, 3 * i), "END m%d" % i]
        for i in range(309, -1, -7):
            want += ["R b%d %d" % (i, i + 1), "END b%d" % i]
        want.append("DONE")
        self.assertTranscript(got, want)
        s.check()
        if not DIRECT:
            # At most 256 statements per backend on the server (2 backends).
            counts = dict(s.prepared)
            self.assertLessEqual(counts["count1"], 256, counts)
            self.assertLessEqual(counts["count2"], 512, counts)
            self.assertLessEqual(counts["count3"], 512, counts)

    def test_binary_cursor_survives_other_prepares(self):
        """A cursor stays usable while its client prepares 300 other statements on the backend
        the cursor holds (the least used statements are closed: never one with an open cursor)."""
        target = self.start(pool_size=2, pool_wait_timeout="3s")
        got = self.run_helper("cursor_many", target)
        want = (["P c params=1 cols=1"] + ["R c %d" % i for i in range(1, 4)] + ["OK others 300"]
                + ["R c %d" % i for i in range(4, 11)] + ["END c", "DONE"])
        self.assertTranscript(got, want)


class Syncer:
    """Called at each SYNC of tx_binary: `move*` moves the client to the other backend, `hold*`
    checks that it kept its backend (an open cursor or pending long data) while other clients
    still run on the other one, `count*` samples the server's Prepared_stmt_count."""

    def __init__(self, test, target):
        self.test = test
        self.target = target
        self.mover = test.mover(target)
        self.history = []
        self.prepared = []
        self.others_ran = 0

    def __call__(self, tag, bid):
        if DIRECT:
            self.history.append((tag, bid))
            return
        if self.history:
            ptag, pbid = self.history[-1]
            if ptag.startswith("move"):
                self.test.assertNotEqual(bid, pbid, "%s: the client did not move after %s"
                                         % (tag, ptag))
            if tag.startswith("hold") and ptag.startswith("hold"):
                self.test.assertEqual(bid, pbid, "%s: the client lost its backend" % tag)
        self.history.append((tag, bid))
        if tag.startswith("move"):
            self.mover.move_from(bid)
        elif tag.startswith("hold"):
            self.mover.release()
            # Other clients run meanwhile, never on the held backend.
            for k in range(3):
                c = harness.connect(self.target, autocommit=True)
                try:
                    ob = backend_of(c)
                    self.test.assertNotEqual(ob, bid, "%s: another client got the held backend" % tag)
                    self.test.assertEqual(q(c, "SELECT COUNT(*) FROM tx_bin_rows"), ((50,),))
                    self.others_ran += 1
                finally:
                    c.close()
        elif tag.startswith("count"):
            n = int(root_exec("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")[0][1])
            self.prepared.append((tag, n))

    def check(self):
        if not DIRECT and any(t.startswith("hold") for t, _ in self.history):
            self.test.assertGreater(self.others_ran, 0)


# ---------------------------------------------------------------------------------------------
# 12.-14.: limits, lifetimes, killed backends

@harness.mypool_only("max_client_conn, server_lifetime and the pool are mypool's")
class LimitsTest(TxTestCase):

    def test_max_client_conn(self):
        target = self.start(max_client_conn=5, pool_size=3)
        conns = [self.connect(target=target, autocommit=True) for _ in range(5)]
        for k, c in enumerate(conns):
            self.assertEqual(q(c, "SELECT %s", (k,)), ((k,),))
        for attempt in range(2):
            with self.assertRaises(pymysql.MySQLError) as cm:
                self.connect(target=target, autocommit=True)
            self.assertEqual(cm.exception.args[:2], (1040, "Too many connections"))
        for k, c in enumerate(conns):
            self.assertEqual(q(c, "SELECT %s", (k + 10,)), ((k + 10,),))
        conns[0].close()

        def try_connect():
            try:
                return self.connect(target=target, autocommit=True)
            except pymysql.MySQLError:
                return None
        new = harness.wait_until(try_connect, harness.scaled(5), interval=0.1)
        self.assertIsNotNone(new, "no new connection after one of 5 left")
        self.assertEqual(q(new, "SELECT 'new'"), (("new",),))
        with self.assertRaises(pymysql.MySQLError) as cm:
            self.connect(target=target, autocommit=True)
        self.assertEqual(cm.exception.args[0], 1040)

    def test_server_lifetime(self):
        target = self.start(pool_size=2, server_lifetime="1s", server_idle_timeout="0")
        c = self.connect(target=target, autocommit=True)
        first_seen = {}
        last_seen = {}
        with harness.BackendMonitor(interval=0.05) as mon:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 3.5:
                b = backend_of(c)
                now = time.monotonic()
                first_seen.setdefault(b, now)
                last_seen[b] = now
                time.sleep(0.05)
        self.assertIsNone(mon.error)
        self.assertGreaterEqual(len(first_seen), 3, "backends were not replaced: %r" % first_seen)
        for b in first_seen:
            self.assertLess(last_seen[b] - first_seen[b], harness.scaled(1.6),
                            "backend %d used longer than server_lifetime" % b)
        self.assertLessEqual(mon.max, 2)

    def test_server_idle_timeout(self):
        target = self.start(pool_size=2, server_idle_timeout="1s", server_lifetime="0")
        c = self.connect(target=target, autocommit=True)
        b1 = backend_of(c)
        self.assertEqual(pool_connections(), ((b1,),))
        gone = harness.wait_until(lambda: pool_connections() == (), harness.scaled(4),
                                  interval=0.1)
        self.assertTrue(gone, "the idle backend was not closed")
        b2 = backend_of(c)
        self.assertNotEqual(b2, b1)
        self.assertEqual(q(c, "SELECT 1"), ((1,),))

    def test_min_idle(self):
        self.start(pool_size=3, min_idle=2, server_idle_timeout="1s")
        warm = harness.wait_until(lambda: len(pool_connections()) == 2, harness.scaled(3),
                                  interval=0.1)
        self.assertTrue(warm, "min_idle backends were not opened: %r" % (pool_connections(),))
        time.sleep(2.2)  # past server_idle_timeout: min_idle ones stay
        self.assertEqual(len(pool_connections()), 2)

    def test_killed_idle_backends_are_replaced(self):
        """Used right after the server closed them."""
        self.killed_idle(0)

    def test_killed_long_idle_backends_are_replaced(self):
        """Used after more than a second of idleness."""
        self.killed_idle(1.5)

    def killed_idle(self, idle):
        target = self.start(pool_size=3)
        a = self.connect(target=target, autocommit=True)
        b = self.connect(target=target, autocommit=True)
        q(a, "BEGIN")
        ba = backend_of(a)
        bb = backend_of(b)
        q(a, "COMMIT")
        killed = {row[0] for row in pool_connections()}
        self.assertEqual(killed, {ba, bb})
        root_exec(*["KILL %d" % i for i in killed])
        self.assertTrue(harness.wait_until(lambda: pool_connections() == (),
                                           harness.scaled(5)), "the killed connections stay")
        time.sleep(idle)
        cn = self.connect(target=target, autocommit=True)
        for k in range(5):
            for conn in (a, b, cn):
                row = q(conn, "SELECT @@pseudo_thread_id, %s", (k,))[0]
                self.assertEqual(row[1], k)
                self.assertNotIn(row[0], killed)

    def test_backend_killed_during_transaction(self):
        root_exec("DROP TABLE IF EXISTS test.tx_kill",
                  "CREATE TABLE test.tx_kill (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) "
                  "ENGINE=InnoDB")
        target = self.start(pool_size=3)
        a = self.connect(target=target, autocommit=True)
        b = self.connect(target=target, autocommit=True)
        q(a, "BEGIN")
        q(a, "INSERT INTO tx_kill (v) VALUES ('a1')")
        ba = backend_of(a)
        self.assertEqual(q(b, "SELECT COUNT(*) FROM tx_kill"), ((0,),))
        root_exec("KILL %d" % ba)
        self.assertTrue(harness.wait_until(
            lambda: ba not in {r[0] for r in pool_connections()}, harness.scaled(5)))
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(a, "INSERT INTO tx_kill (v) VALUES ('a2')")
        harness.log("error after the kill: %r" % (cm.exception.args,))
        # The failed statement must not run anyway (on another backend, outside the
        # transaction): neither row exists.
        self.assertEqual(root_exec("SELECT v FROM test.tx_kill ORDER BY id"), ())
        for k in range(5):
            self.assertEqual(q(b, "SELECT %s, COUNT(*) FROM tx_kill", (k,)), ((k, 0),))
        # What a gets next is an error or the answer to its own statement (mypool gives it a
        # new backend; MariaDB closed the connection), never the answer to an earlier one.
        for k in range(3):
            try:
                r = q(a, "SELECT 'after', %s", (k,))
            except pymysql.MySQLError:
                break
            self.assertEqual(r, (("after", k),), "a response that belongs to another statement")
        self.assertEqual(root_exec("SELECT COUNT(*) FROM test.tx_kill"), ((0,),))
