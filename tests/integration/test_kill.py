"""KILL with the ids a client sees, limited to the user's own sessions."""

import threading
import time
import unittest

import pymysql

import harness
from harness import Mypoold
from test_transaction import helper_transcript


class Daemon:
    @classmethod
    def setUpClass(cls):
        users = {harness.APP_USER: harness.APP_PASSWORD, "other": "otherpw"}
        cls.daemon = Mypoold(users=users, pool_size=6)
        cls.daemon.start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def connect(self, **kw):
        return harness.connect(self.daemon.socket, autocommit=True, **kw)

    def session_id(self, conn):
        return conn.thread_id()  # the handshake's connection id: mypool's session id

    def run_in_background(self, conn, sql):
        box = {}

        def run():
            t = time.monotonic()
            try:
                conn.cursor().execute(sql)
                box["result"] = "ok"
            except pymysql.err.MySQLError as e:
                box["result"] = e.args[0]
            box["secs"] = time.monotonic() - t

        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.5)
        return th, box


@unittest.skipIf(harness.DIRECT, "KILL is mapped by mypool")
class KillTest(Daemon, unittest.TestCase):

    def test_kill_query_by_session_id(self):
        a, b = self.connect(), self.connect()
        th, box = self.run_in_background(a, "SELECT SLEEP(10)")
        b.cursor().execute("KILL QUERY %d" % self.session_id(a))
        th.join(5)
        # SLEEP() interrupted returns 1 rather than failing: it must end early either way.
        self.assertLess(box["secs"], 5)
        cur = a.cursor()
        cur.execute("SELECT 7")  # the killed query's session goes on
        self.assertEqual(cur.fetchone(), (7,))
        a.close()
        b.close()

    def test_kill_connection_by_backend_id(self):
        a, b = self.connect(), self.connect()
        ca = a.cursor()
        ca.execute("SELECT CONNECTION_ID()")  # pins: this id stays a's
        backend_id = ca.fetchone()[0]
        th, box = self.run_in_background(a, "SELECT SLEEP(10)")
        b.cursor().execute("KILL %d" % backend_id)
        th.join(5)
        self.assertLess(box["secs"], 5)
        with self.assertRaises(pymysql.err.MySQLError):
            ca.execute("SELECT 1")
            ca.execute("SELECT 1")
        b.cursor().execute("SELECT 1")  # the killer is unaffected
        b.close()

    def test_kill_connection_victim_hears_connection_killed(self):
        """Regression (issue 11, item 4): the victim of KILL CONNECTION got the relayed 1317
        "Query execution was interrupted" of the KILL QUERY mypool sends for it; MariaDB says
        1927 "Connection was killed" (or only closes the connection) and the connection is gone."""
        a, b = self.connect(), self.connect()
        th, box = self.run_in_background(a, "SELECT SLEEP(10)")
        b.cursor().execute("KILL CONNECTION %d" % self.session_id(a))
        th.join(5)
        self.assertLess(box["secs"], 5)
        self.assertEqual(box["result"], 1927)
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            a.cursor().execute("SELECT 1")
        self.assertIn(cm.exception.args[0], (0, 2006, 2013), "the connection is closed")
        b.cursor().execute("SELECT 1")
        b.close()

    def test_kill_connection_ends_a_stored_program(self):
        """Regression (MariaDB's suite, information_schema_tables): KILL CONNECTION of a session
        running LOOP ... END LOOP left it running, since the KILL QUERY mypool sends does not stop
        such a loop; the server's KILL CONNECTION does, and so does mypool's now."""
        a, b = self.connect(), self.connect()
        th, box = self.run_in_background(a, "LOOP DO 1; END LOOP")
        b.cursor().execute("KILL %d" % self.session_id(a))
        th.join(harness.scaled(5))
        self.assertEqual(box.get("result"), 1927, "the loop went on")
        running = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOOP DO 1%'"
        self.assertTrue(harness.wait_until(lambda: harness.sandbox().query(running) == ((0,),), harness.scaled(5)),
                        "the server still runs it")
        b.close()

    def test_kill_idle_session(self):
        a, b = self.connect(), self.connect()
        b.cursor().execute("KILL CONNECTION %d" % self.session_id(a))
        time.sleep(0.3)
        with self.assertRaises(pymysql.err.MySQLError):
            a.cursor().execute("SELECT 1")
        b.close()

    def test_other_users_sessions_are_unknown(self):
        a = self.connect()
        o = self.connect(user="other", password="otherpw")
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            o.cursor().execute("KILL %d" % self.session_id(a))
        self.assertEqual(cm.exception.args[0], 1094)
        self.assertIn("Unknown thread id", cm.exception.args[1])
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            o.cursor().execute("KILL QUERY 999999999")
        self.assertEqual(cm.exception.args[0], 1094)
        a.cursor().execute("SELECT 1")  # untouched
        a.close()
        o.close()

    def test_kill_user_refused_and_self_kill(self):
        a = self.connect()
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            a.cursor().execute("KILL USER pool")
        self.assertEqual(cm.exception.args[0], 1235)
        a.cursor().execute("SELECT 1")
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            a.cursor().execute("KILL QUERY %d" % self.session_id(a))
        self.assertEqual(cm.exception.args[0], 1317)
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            a.cursor().execute("KILL %d" % self.session_id(a))
        self.assertEqual(cm.exception.args[0], 1927)

    def test_com_process_kill(self):
        a, b = self.connect(), self.connect()
        b._execute_command(0x0c, self.session_id(a).to_bytes(4, "little"))
        b._read_ok_packet()
        time.sleep(0.3)
        with self.assertRaises(pymysql.err.MySQLError):
            a.cursor().execute("SELECT 1")
        b.close()


@unittest.skipIf(harness.DIRECT, "KILL is mapped by mypool")
class KillExpressionTest(Daemon, unittest.TestCase):
    """Regression (MariaDB's own suite, sp-bugs): MariaDB evaluates the id of a KILL (KILL @id,
    KILL CONNECTION_ID()); mypool answered 1064 "cannot read this KILL statement". Now it
    evaluates it on the client's own server connection, in the client's session state."""

    def code_of(self, conn, sql):
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            conn.cursor().execute(sql)
        return cm.exception.args[0]

    def test_user_variable(self):
        a, b = self.connect(), self.connect()
        b.cursor().execute("SET @victim = %d" % self.session_id(a))
        b.cursor().execute("DO 1")  # the variable must follow b to whichever connection it gets
        b.cursor().execute("KILL QUERY @victim")  # a is idle: nothing to interrupt
        a.cursor().execute("SELECT 1")
        b.cursor().execute("KILL CONNECTION @victim")
        time.sleep(0.3)
        self.assertIn(self.code_of(a, "SELECT 1"), (1927, 2006, 2013))
        b.cursor().execute("SELECT 1")  # the killer goes on

    def test_expressions(self):
        a = self.connect()
        # What MariaDB answers for these (mysql-test main.sp-bugs): the value, then the lookup.
        self.assertEqual(self.code_of(a, "KILL  (('x' IN ( SELECT 1)) MOD 44);"), 1094)
        self.assertEqual(self.code_of(a, "KILL 1 + 2"), 1094)
        self.assertEqual(self.code_of(a, "KILL no_such_column"), 1054)  # the server's own error
        self.assertEqual(self.code_of(a, "KILL QUERY CONNECTION_ID()"), 1317)  # itself
        # An expression that reads a table (MariaDB's parser test, MDEV-21998): refused as MariaDB
        # does, where mypool evaluated it (4091 Unknown SEQUENCE, or the table's value).
        self.assertEqual(self.code_of(a, "KILL ( SELECT 1 ) + LASTVAL(s)"), 1970)
        self.assertEqual(self.code_of(a, "KILL NEXT VALUE FOR s"), 1970)
        self.assertEqual(self.code_of(a, "KILL (SELECT COUNT(*) FROM information_schema.TABLES)"), 1970)
        self.assertEqual(self.code_of(a, "KILL 'FROM' + 0"), 1094)
        a.cursor().execute("SHOW WARNINGS")
        # An expression that would change the session's state, or run a second statement.
        self.assertEqual(self.code_of(a, "KILL @x := 5"), 1064)
        self.assertEqual(self.code_of(a, "KILL 1; DROP TABLE t"), 1064)
        cur = a.cursor()
        cur.execute("SELECT @x")
        self.assertEqual(cur.fetchone(), (None,))
        self.assertEqual(self.code_of(a, "KILL CONNECTION_ID()"), 1927)


class PreparedKillTest(harness.TestCase):
    """Regression (MariaDB's suite, lock_kill and cte_recursive_not_embedded under
    --ps-protocol): KILL run as a prepared statement went to the server, which knows no mypool
    session id (1094). tx_binary's `kill` scenario prepares KILL QUERY of an idle connection, KILL
    of an unknown id and KILL CONNECTION; its transcript must be the one a direct connection gives."""

    def transcript(self, target):
        return helper_transcript(self, target, "kill")

    def test_like_direct(self):
        want = self.transcript(self.sandbox.socket)
        self.assertEqual(want, ["P q params=0 cols=0", "OK q affected=0 insert_id=0", "P unknown params=0 cols=0",
                                "E unknown 1094 Unknown thread id: 4000000000", "P c params=0 cols=0",
                                "OK c affected=0 insert_id=0", "other killed", "DONE"])
        self.assertEqual(self.transcript(self.target), want)
