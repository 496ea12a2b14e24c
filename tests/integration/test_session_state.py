"""Session state through the pool, checked against a fresh direct session (issue 11).

Regression (conformance run, item 1, "session state leaks to the next client"): after
`SET @@SQL_MODE = ""` in one client, the next client on the same server connection saw an empty
sql_mode. MariaDB's trackers report nothing for `SET @@name = ...` (no SESSION or LOCAL), so
mypool never knew. Every way of setting a variable is tried here, with one server connection
(pool_size = 1) so that the next client surely gets the connection the first one used:

- the next client sees what a fresh direct session sees;
- the first client, back on the connection after the other one, still sees what the same SET
  gives in a direct session.
"""

import os
import signal

import harness
from test_transaction import backend_of, helper_transcript, q

# (statement, variables it sets). Each runs after the client set time_zone, so that a DEFAULT
# also has something to undo.
FORMS = [
    ("SET @@SQL_MODE = ''", ["sql_mode"]),
    ("SET @@sql_mode := ''", ["sql_mode"]),
    ("SET sql_mode = ''", ["sql_mode"]),
    ("SET SESSION sql_mode = ''", ["sql_mode"]),
    ("SET LOCAL sql_mode = ''", ["sql_mode"]),
    ("SET @@session.SQL_MODE = ''", ["sql_mode"]),
    ("SET @@LOCAL.sql_mode = ''", ["sql_mode"]),
    ("SET @@sql_mode = 'ANSI'", ["sql_mode"]),
    ("set Sql_Mode = 'TRADITIONAL'", ["sql_mode"]),
    ("SET @@time_zone = DEFAULT", ["time_zone"]),
    ("SET time_zone = DEFAULT", ["time_zone"]),
    ("SET @@time_zone = '+03:00', @@wait_timeout = 77, div_precision_increment = 9",
     ["time_zone", "wait_timeout", "div_precision_increment"]),
    ("SET @@autocommit = 0", ["autocommit"]),
    ("SET @@character_set_results = NULL", ["character_set_results"]),
    ("SET character_set_results = NULL", ["character_set_results"]),
    ("SET @@sql_mode = '', @@session.time_zone = '+04:00'", ["sql_mode", "time_zone"]),
    ("SELECT 1; SET @@sql_mode = ''", ["sql_mode"]),
    ("BEGIN NOT ATOMIC SET @@sql_mode = ''; SET @@max_sort_length = 1234; END",
     ["sql_mode", "max_sort_length"]),
]
SETUP = "SET time_zone = '+01:00'"


def values(conn, names):
    return q(conn, "SELECT " + ", ".join("@@session." + n for n in names))[0]


class SessionVariablesTest(harness.TestCase):
    daemon_config = {"pool_mode": "transaction", "pool_size": 1}

    def direct_after(self, sql, names):
        """What a direct session sees after SETUP and sql."""
        d = self.direct(client_flag=harness.pymysql.constants.CLIENT.MULTI_STATEMENTS)
        q(d, SETUP)
        q(d, sql)
        got = values(d, names)
        d.close()
        return got

    def test_every_form(self):
        fresh = self.direct()
        for sql, names in FORMS:
            with self.subTest(sql=sql):
                want_fresh = values(fresh, names)
                want_own = self.direct_after(sql, names)
                a = self.connect(autocommit=True, client_flag=harness.pymysql.constants.CLIENT.MULTI_STATEMENTS)
                try:
                    q(a, SETUP)
                    q(a, sql)
                    if "autocommit" in names:
                        q(a, "COMMIT")  # nothing open; autocommit = 0 alone keeps nothing
                    b = self.connect(autocommit=None)
                    try:
                        self.assertEqual(values(b, names), want_fresh, "the next client sees the first one's state")
                        self.assertEqual(values(b, ["time_zone"]), values(fresh, ["time_zone"]))
                    finally:
                        b.close()
                    self.assertEqual(values(a, names), want_own, "the client lost its own state")
                finally:
                    a.close()

    def test_failed_set_changes_nothing(self):
        a = self.connect(autocommit=True)
        with self.assertRaises(harness.pymysql.MySQLError) as e:
            q(a, "SET @@sql_mode = '', @@no_such_variable = 1")
        self.assertServerError(e.exception, 1193)
        self.assertEqual(q(a, "SHOW WARNINGS")[0][1], 1193, "the client's error is still there")
        a.close()  # it holds the connection while its diagnostics may be asked for
        b = self.connect(autocommit=True)
        self.assertNotEqual(values(b, ["sql_mode"]), ("",))


class CollationTest(harness.TestCase):
    """Regression (conformance run, item 2b): after SET NAMES utf8mb4 COLLATE
    utf8mb4_unicode_ci, prepared statements saw utf8mb4_general_ci through mypool, and a SET NAMES
    run as a prepared statement did not follow the client at all (then `'a' COLLATE latin1_bin`
    failed with 1253 ER_COLLATION_CHARSET_MISMATCH). tx_binary's `collation` scenario
    (tx_binary.c) interleaves a second client, so every statement runs on a server connection
    the other one used; its transcript must be the one a direct connection gives."""
    daemon_config = {"pool_mode": "transaction", "pool_size": 1}

    def transcript(self, target):
        return helper_transcript(self, target, "collation")

    def test_both_protocols(self):
        want = self.transcript(self.sandbox.socket)
        self.assertEqual(want[-1], "DONE")
        self.assertIn("R c1 utf8mb4|utf8mb4|utf8mb4|utf8mb4_unicode_ci|utf8mb4_unicode_ci|1|1", want)
        self.assertFalse([l for l in want if l.startswith("E ")], want)
        got = self.transcript(self.target)
        if got != want:
            import difflib
            self.fail("transcript differs:\n" + "\n".join(difflib.unified_diff(want, got, "direct", "mypool",
                                                                             lineterm="", n=1)))

    def test_connection_collation_of_another_character_set(self):
        """Regression (MariaDB's suite, ctype_utf16_uca): after SET collation_connection to a
        collation of another character set than the client's, the client's next statement on
        another server connection failed with 1253 (COLLATION ... is not valid for CHARACTER SET
        utf8mb3), or ran with another collation."""
        for sets in (["SET NAMES utf8", "SET collation_connection=utf16_unicode_ci"],
                     ["SET NAMES utf8", "SET @@collation_connection=utf16_czech_ci"],
                     ["SET NAMES utf8mb4", "SET collation_connection=utf16_unicode_520_ci"],
                     ["SET NAMES utf8, character_set_connection=utf16"],
                     ["SET NAMES utf8, collation_connection=utf16_unicode_520_nopad_ci"],
                     ["SET character_set_connection=latin1", "SET collation_connection=latin1_bin"]):
            with self.subTest(sets=sets):
                got = []
                for target in (self.sandbox.socket, self.target):
                    a = harness.connect(target, autocommit=True)
                    for sql in sets:
                        q(a, sql)
                    q(harness.connect(target, autocommit=True), "SELECT 1")  # a moves (pool_size 1)
                    got.append(q(a, "SELECT @@character_set_client, @@character_set_connection, "
                                    "@@collation_connection, @@character_set_results, COLLATION('a'), "
                                    "'a' = 'A', 'ch' < 'd'"))
                    a.close()
                self.assertEqual(got[1], got[0])


@harness.mypool_only("mypool's session ids")
class ConnectionIdTest(harness.TestCase):
    """Regression (conformance run, item 3, "a client's connection id is not one id"): the
    handshake's id, CONNECTION_ID() and the id KILL takes differed, CONNECTION_ID() pinned the
    client, and could come back unchanged after a reconnect. Now one id per client session, in
    both pool modes, from 2^31 up (a server's own thread ids stay below), never reused while
    the supervisor runs, and CONNECTION_ID() pins only for an account that may not set
    pseudo_thread_id."""
    shared_daemon = False
    NOPRIV, NOPRIV_PW = "ids_nopriv", "idspw"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'" % (cls.NOPRIV, cls.NOPRIV_PW))
        cls.sandbox.query("GRANT SELECT ON test.* TO '%s'@'localhost'" % cls.NOPRIV)

    def start(self, mode, **cfg):
        users = {harness.APP_USER: harness.APP_PASSWORD, "np": "nppw", "admin": "adminpw"}
        extra = "[user.np]\nbackend_user = %s\nbackend_password = %s\n" % (self.NOPRIV, self.NOPRIV_PW)
        d = harness.Mypoold(users=users, extra=extra, admin_users="admin", pool_mode=mode, **cfg).start()
        self.addCleanup(d.stop)
        return d

    def pools(self, d):
        from test_admin import admin_cli, as_dicts
        rc, lines, err = admin_cli(d, "SHOW POOLS", user="admin", password="adminpw")
        self.assertEqual(rc, 0, err)
        return {p["account"]: p for p in as_dicts(lines)}

    def test_one_id(self):
        for mode in ("session", "transaction"):
            with self.subTest(mode=mode):
                d = self.start(mode, pool_size=2)
                a = self.connect(target=d.socket, autocommit=True)
                me = a.thread_id()
                self.assertGreaterEqual(me, 2 ** 31)
                for _ in range(3):
                    self.assertEqual(q(a, "SELECT CONNECTION_ID()"), ((me,),))
                    self.assertEqual(q(a, "SELECT 1"), ((1,),))
                # A server connection runs with the server's own id for everyone else.
                b = self.connect(target=d.socket, autocommit=True)
                self.assertLess(backend_of(b), 2 ** 31)
                self.assertEqual(q(b, "SELECT CONNECTION_ID()"), ((b.thread_id(),),))
                p = self.pools(d)[harness.POOL_USER]
                self.assertEqual(p["connection_id"], "session")
                self.assertEqual(p["pinned_connection_id"], "0")
                # KILL takes the id.
                b.cursor().execute("KILL CONNECTION %d" % me)
                with self.assertRaises(harness.pymysql.MySQLError):
                    q(a, "SELECT 1")
                # Never the same id again, also from a new worker process.
                ids = {me, b.thread_id()}
                b.close()
                for _ in range(3):
                    c = self.connect(target=d.socket)
                    self.assertNotIn(c.thread_id(), ids)
                    ids.add(c.thread_id())
                    c.close()
                old = d.worker_pid()
                os.kill(old, signal.SIGKILL)
                self.assertTrue(harness.wait_until(lambda: d.worker_pid(must=False) not in (None, old),
                                                   harness.scaled(10)))
                d.first_worker = d.worker_pid()  # respawned on purpose
                c = harness.connect(d.socket, connect_timeout=5)
                self.track(c)
                self.assertGreater(c.thread_id(), max(ids))
                self.assertEqual(q(c, "SELECT CONNECTION_ID()"), ((c.thread_id(),),))
                c.close()

    def test_moves_without_pinning(self):
        from test_transaction import Mover
        d = self.start("transaction", pool_size=2)
        mover = Mover(d.socket)
        self.addCleanup(mover.release)
        a = self.connect(target=d.socket, autocommit=True)
        self.assertEqual(q(a, "SELECT CONNECTION_ID()"), ((a.thread_id(),),))
        last = backend_of(a)
        mover.move_from(last)
        self.assertEqual(q(a, "SELECT CONNECTION_ID()"), ((a.thread_id(),),))
        self.assertNotEqual(backend_of(a), last, "CONNECTION_ID() pinned the client")

    def test_account_without_the_privilege_pins(self):
        d = self.start("transaction", pool_size=2)
        n = self.connect(target=d.socket, user="np", password="nppw", autocommit=True)
        server_id = q(n, "SELECT CONNECTION_ID()")[0][0]
        self.assertLess(server_id, 2 ** 31)  # the server's own: it cannot be set
        self.assertEqual(q(n, "SELECT CONNECTION_ID()"), ((server_id,),), "pinned: the same id")
        p = self.pools(d)[self.NOPRIV]
        self.assertEqual(p["connection_id"], "pins")
        self.assertEqual(p["pinned_connection_id"], "1")
        log = d.log_text()
        self.assertEqual(log.count("may not set pseudo_thread_id"), 1, log)
        n2 = self.connect(target=d.socket, user="np", password="nppw", autocommit=True)
        q(n2, "SELECT CONNECTION_ID()")
        self.assertEqual(d.log_text().count("may not set pseudo_thread_id"), 1, "said once")


class UserVariablesTest(harness.TestCase):
    """Issue 11, item 5: user variables follow the client by value, with their types, instead
    of pinning it; the next client on the connection sees none of them. pool_size = 1: a pinned
    client would keep the only server connection, and the next client would wait in vain."""
    daemon_config = {"pool_mode": "transaction", "pool_size": 1, "pool_wait_timeout": "2s"}
    SETS = [
        "SET @i = 5, @u = 18446744073709551615, @neg = -3, @d = 1.50, @f = 0.1e0 + 0.2e0",
        "SET @s = _latin1 X'E9' COLLATE latin1_german2_ci, @b = _binary X'00ff', @e = '', @n = NULL",
        "SET @Mixed = 'utf8: é ✓', @j = JSON_OBJECT('a', 1)",
        "SELECT 41 + 1 INTO @into",
        "SELECT @w := 7",
    ]
    READ = ("SELECT @i, @u, @neg, @d, @f, @s, COLLATION(@s), @s = _latin1 X'E9', @b, @e, @n, @mixed, @J, "
            "COLLATION(@mixed), @into, @w, @i + 1, @d * 2, @f = 0.1e0 + 0.2e0")
    NONE = "SELECT @i, @u, @s, @b, @e, @mixed, @into, @w"

    def run_sets(self, conn):
        for sql in self.SETS:
            q(conn, sql)

    def test_carried_by_value(self):
        d = self.direct()
        self.run_sets(d)
        want = q(d, self.READ)
        a = self.connect(autocommit=True)
        self.run_sets(a)
        b = self.connect(autocommit=True)
        self.assertEqual(q(b, self.NONE), ((None,) * 8,), "the next client sees a's variables")
        q(b, "SET @i = 99")  # b's own, on the same connection
        b.close()
        self.assertEqual(q(a, self.READ), want)
        q(a, "SET @i = @i + 10")
        c = self.connect(autocommit=True)
        self.assertEqual(q(c, "SELECT @i"), ((None,),))
        c.close()
        self.assertEqual(q(a, "SELECT @i"), ((15,),))

    def test_too_large_pins(self):
        if harness.DIRECT:
            self.skipTest("pinning is mypool's")
        a = self.connect(autocommit=True)
        q(a, "SET @big = REPEAT('x', 20000)")  # past max_user_variable_bytes (16K)
        with self.assertRaises(harness.pymysql.MySQLError) as e:
            self.connect(autocommit=True).cursor().execute("SELECT 1")
        self.assertServerError(e.exception, 9001)
        self.assertEqual(q(a, "SELECT LENGTH(@big)"), ((20000,),))


    def test_reassigned_counts_once(self):
        # Regression: a variable set again was counted at its old size and its new one, so a
        # value of more than half of max_user_variable_bytes pinned when it was set twice.
        a = self.connect(autocommit=True)
        for n in (5000, 5001, 5002):
            q(a, "SET @v = REPEAT('y', %d)" % n)
        b = self.connect(autocommit=True)  # the only server connection is free
        self.assertEqual(q(b, "SELECT @v"), ((None,),))
        b.close()
        self.assertEqual(q(a, "SELECT LENGTH(@v)"), ((5002,),))


class GlobalValuesTest(harness.TestCase):
    """Regression (MariaDB's own suite, func_system and delete_returning_grant): a client that
    logged in after a SET GLOBAL got a pooled server connection made before it, and saw the old
    value where a direct session sees the new one. Two server connections, so that in session
    pooling too the new client gets one that began before the SET GLOBAL."""

    shared_daemon = False
    VAR = "div_precision_increment"

    def setUp(self):
        super().setUp()
        if not harness.DIRECT:  # each test from a pool whose connections all began at its start
            d = harness.Mypoold(pool_size=2).start()
            self.addCleanup(d.stop)
            self.target = d.socket

    def session_value(self, c):
        return q(c, "SELECT @@session." + self.VAR)[0][0]

    def restore(self, old):
        c = self.connect()
        q(c, "SET GLOBAL %s = %d" % (self.VAR, old))
        c.close()

    def check(self, form):
        old = q(self.direct(), "SELECT @@global." + self.VAR)[0][0]
        # Through mypool: a SET GLOBAL straight to the server is one mypool cannot know of.
        self.addCleanup(self.restore, old)
        b = self.connect(autocommit=True)
        self.assertEqual(self.session_value(b), old)
        a = self.connect(autocommit=True)
        self.assertEqual(self.session_value(a), old)
        b.close()
        q(a, form % (self.VAR, old + 3))
        c = self.connect(autocommit=True)
        self.assertEqual(self.session_value(c), old + 3, "a new login sees the new global value")
        c.close()
        # The client that ran it keeps its own session value, as directly, until it resets its
        # session (COM_RESET_CONNECTION: the server takes the global values again).
        self.assertEqual(self.session_value(a), old)
        a._execute_command(harness.COM_RESET_CONNECTION, b"")
        a._read_ok_packet()
        self.assertEqual(self.session_value(a), old + 3)
        a.close()

    def test_set_global(self):
        self.check("SET GLOBAL %s = %d")

    def test_set_at_at_global(self):
        self.check("SET @@global.%s = %d")
