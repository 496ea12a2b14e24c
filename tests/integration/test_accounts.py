"""Per-user server accounts: a [user.NAME] section makes a user's statements run as its own
MariaDB account (verify at mypool, log in as that account), in either pool mode."""

import os
import signal
import threading

import MySQLdb
import pymysql

import harness
from test_admin import admin_cli, as_dicts

RO_ACCOUNT, RO_PASSWORD = "report_ro", "ropw"
BAD_ACCOUNT = "report_bad"  # the config has another password than the server
ADMIN, ADMIN_PW = "admin", "adminpw"
USERS = {harness.APP_USER: harness.APP_PASSWORD, "rep": "reppw", "rep2": "rep2pw", "bad": "badpw",
         ADMIN: ADMIN_PW}
SECTIONS = ("[user.rep]\nbackend_user = %s\nbackend_password = %s\n"
            "[user.rep2]\nbackend_user = %s\nbackend_password = %s\n"
            "[user.bad]\nbackend_user = %s\nbackend_password = wrong\n"
            % ((RO_ACCOUNT, RO_PASSWORD) * 2 + (BAD_ACCOUNT,)))
POOL_MODE = os.environ.get("MYPOOL_TEST_POOL_MODE", "session")  # as harness.Mypoold uses it
POOL_ACCOUNT = "%s@localhost" % harness.POOL_USER
RO = "%s@localhost" % RO_ACCOUNT


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def current_user(conn):
    return q(conn, "SELECT CURRENT_USER()")[0][0]


@harness.mypool_only("[user.NAME] sections are mypool's")
class AccountTest(harness.TestCase):
    shared_daemon = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sb = cls.sandbox
        sb.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'" % (RO_ACCOUNT, RO_PASSWORD))
        # Not in `test`: a fresh MariaDB lets every account write there.
        sb.query("CREATE DATABASE IF NOT EXISTS acct_db")
        sb.query("CREATE TABLE IF NOT EXISTS acct_db.t (id INT PRIMARY KEY)")
        sb.query("GRANT SELECT ON acct_db.* TO '%s'@'localhost'" % RO_ACCOUNT)
        sb.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY 'right'" % BAD_ACCOUNT)

    def start(self, extra=SECTIONS, **cfg):
        d = harness.Mypoold(users=USERS, extra=extra, admin_users=ADMIN, **cfg).start()
        self.addCleanup(d.stop)
        return d

    def login(self, d, user, **kw):
        kw.setdefault("autocommit", True)
        return self.connect(target=d.socket, user=user, password=USERS[user], **kw)

    def test_statements_run_as_the_users_account(self):
        d = self.start()
        app, rep = self.login(d, "app"), self.login(d, "rep")
        self.assertEqual(current_user(app), POOL_ACCOUNT)
        self.assertEqual(current_user(rep), RO)
        self.assertEqual(q(rep, "SELECT USER() LIKE %s", (RO_ACCOUNT + "@%",)), ((1,),))
        q(app, "DELETE FROM acct_db.t")
        q(app, "INSERT INTO acct_db.t VALUES (1)")
        # The server applies the account's privileges: report_ro may only read.
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(rep, "INSERT INTO acct_db.t VALUES (2)")
        self.assertEqual(cm.exception.args[0], 1142, cm.exception.args)
        self.assertIn("'%s'@'localhost'" % RO_ACCOUNT, cm.exception.args[1])
        self.assertEqual(q(rep, "SELECT id FROM acct_db.t"), ((1,),))
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(rep, "USE mysql")
        self.assertEqual(cm.exception.args[0], 1044, cm.exception.args)
        # A database the account may not use is refused at login, as by the server.
        with self.assertRaises(pymysql.MySQLError) as cm:
            self.login(d, "rep", database="mysql")
        self.assertEqual(cm.exception.args[0], 1044, cm.exception.args)
        self.assertEqual(current_user(self.login(d, "app", database="mysql")), POOL_ACCOUNT)
        # The console shows each server connection's account.
        rc, lines, err = admin_cli(d, "SHOW SERVERS")
        self.assertEqual(rc, 0, err)
        self.assertEqual({r["account"] for r in as_dicts(lines)}, {harness.POOL_USER, RO_ACCOUNT})
        rc, lines, err = admin_cli(d, "SHOW CONFIG")
        config = {(r["section"], r["key"]): r["value"] for r in as_dicts(lines)}
        self.assertEqual(config[("user.rep", "backend_user")], RO_ACCOUNT)
        self.assertEqual(config[("user.rep", "backend_password")], "(hidden)")
        self.assertNotIn(RO_PASSWORD, str(lines))

    def test_show_pools_per_account(self):
        d = self.start(pool_size=4)
        app, rep = self.login(d, "app"), self.login(d, "rep")
        self.login(d, "rep2", database=None)  # connected, no statement yet
        q(app, "BEGIN")
        q(app, "SELECT 1")
        q(rep, "SET @`v` = 1")  # a quoted name pins in transaction mode; holds the backend in session mode anyway
        rc, lines, err = admin_cli(d, "SHOW POOLS")
        self.assertEqual(rc, 0, err)
        rows = as_dicts(lines)
        self.assertEqual([r["account"] for r in rows], [harness.POOL_USER, RO_ACCOUNT])
        pools = {r["account"]: r for r in rows}
        self.assertEqual((pools[harness.POOL_USER]["clients"], pools[harness.POOL_USER]["server_active"]),
                         ("1", "1"))
        self.assertEqual((pools[RO_ACCOUNT]["clients"], pools[RO_ACCOUNT]["server_active"]), ("2", "1"))
        self.assertEqual({r["pool_size"] for r in rows}, {"4"})
        if POOL_MODE == "transaction":
            self.assertEqual(pools[RO_ACCOUNT]["pinned_user_variable"], "1")
            self.assertEqual(pools[harness.POOL_USER]["pinned_user_variable"], "0")
        q(app, "COMMIT")

    def test_accounts_never_share_a_server_connection(self):
        # One server connection for everyone: each login of another account replaces it.
        d = self.start(pool_size=1)
        seen = {}
        for _ in range(3):
            for user, account in (("app", POOL_ACCOUNT), ("rep", RO), ("rep2", RO)):
                c = self.login(d, user)
                self.assertEqual(current_user(c), account)
                seen.setdefault(account, set()).add(q(c, "SELECT @@pseudo_thread_id")[0][0])
                c.close()
        self.assertTrue(seen[POOL_ACCOUNT].isdisjoint(seen[RO]), seen)
        if POOL_MODE == "transaction":
            # Users of one account share its connections; clients of several accounts take turns.
            app, rep, rep2 = self.login(d, "app"), self.login(d, "rep"), self.login(d, "rep2")
            for _ in range(3):
                self.assertEqual([current_user(c) for c in (app, rep, rep2, app)],
                                 [POOL_ACCOUNT, RO, RO, POOL_ACCOUNT])
            b_rep = q(rep, "SELECT @@pseudo_thread_id")[0][0]
            self.assertEqual(q(rep2, "SELECT @@pseudo_thread_id")[0][0], b_rep)

    def test_an_account_that_cannot_log_in_fails_only_its_users(self):
        d = self.start(pool_size=2)
        app = self.login(d, "app")
        bad = self.login(d, "bad", database=None)  # mypool checked the password: it is in
        # With a database, the login itself needs the server (does the database exist?).
        with self.assertRaises(pymysql.MySQLError) as cm:
            self.login(d, "bad")
        self.assertEqual(cm.exception.args[0], 9002, cm.exception.args)
        for _ in range(3):
            with self.assertRaises(pymysql.MySQLError) as cm:
                q(bad, "SELECT 1")
            code, msg = cm.exception.args[:2]
            self.assertEqual(code, 9002, msg)
            self.assertIn("Access denied for user '%s'@'localhost'" % BAD_ACCOUNT, msg)
            self.assertEqual(q(app, "SELECT 1"), ((1,),))
            rep = self.login(d, "rep")
            self.assertEqual(current_user(rep), RO)
            rep.close()
        self.assertIn("backend connect as '%s' failed" % BAD_ACCOUNT, d.log_text())

    def test_change_user_changes_account(self):
        d = self.start(pool_size=2)
        c = self.track(MySQLdb.connect(unix_socket=d.socket, user="app", passwd=USERS["app"], db="test",
                                       autocommit=True))
        self.assertEqual(current_user(c), POOL_ACCOUNT)
        c.change_user("rep", USERS["rep"], "test")
        self.assertEqual(current_user(c), RO)
        c.change_user("app", USERS["app"], "test")
        self.assertEqual(current_user(c), POOL_ACCOUNT)
        with self.assertRaises(MySQLdb.OperationalError) as cm:
            c.change_user("rep", USERS["rep"], "mysql")
        self.assertEqual(cm.exception.args[0], 1044, cm.exception.args)

    def test_reload_gives_a_user_its_account(self):
        d = self.start(extra="", pool_size=3)
        app, rep = self.login(d, "app"), self.login(d, "rep")
        self.assertEqual(current_user(rep), POOL_ACCOUNT)
        before = q(app, "SELECT @@pseudo_thread_id")[0][0]
        with open(d.config_path, "a") as f:
            f.write(SECTIONS)
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_reloaded(), d.log_tail())
        self.assertEqual(current_user(self.login(d, "rep")), RO)
        if POOL_MODE == "transaction":
            self.assertEqual(current_user(rep), RO)  # at its next transaction
        # Adding an account closes no server connection of the others.
        self.assertEqual(q(app, "SELECT @@pseudo_thread_id")[0][0], before)

    def test_reload_removing_a_user(self):
        d = self.start(pool_size=3)
        rep = self.login(d, "rep")
        self.assertEqual(current_user(rep), RO)
        with open(d.config_path) as f:
            text = f.read()
        text = text.replace("rep = reppw\n", "").replace(
            "[user.rep]\nbackend_user = %s\nbackend_password = %s\n" % (RO_ACCOUNT, RO_PASSWORD), "")
        with open(d.config_path, "w") as f:
            f.write(text)
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_reloaded(), d.log_tail())
        with self.assertRaises(pymysql.MySQLError) as cm:
            self.login(d, "rep")
        self.assertEqual(cm.exception.args[0], 1045)
        if POOL_MODE == "transaction":
            # Its next transaction needs a server connection, which its account no longer gives.
            with self.assertRaises(pymysql.MySQLError) as cm:
                q(rep, "SELECT 1")
            self.assertEqual(cm.exception.args[:2],
                             (9002, "mypool: backend unavailable: user 'rep' is no longer in the configuration"))
        else:
            self.assertEqual(current_user(rep), RO)  # it holds its server connection until it leaves
        self.assertEqual(current_user(self.login(d, "rep2")), RO)

    def test_max_server_connections_caps_an_account(self):
        capped = SECTIONS.replace("backend_password = %s\n" % RO_PASSWORD,
                                  "backend_password = %s\nmax_server_connections = 1\n" % RO_PASSWORD)
        d = self.start(extra=capped, pool_size=4, pool_wait_timeout="30s")
        rep, rep2, app = self.login(d, "rep"), self.login(d, "rep2", database=None), self.login(d, "app")
        q(rep, "BEGIN")
        q(rep, "SELECT 1")  # report_ro's one server connection
        result = {}

        def second():
            try:
                result["rows"] = q(rep2, "SELECT CURRENT_USER()")
            except Exception as e:  # noqa: BLE001 - reported below
                result["error"] = e
        t = threading.Thread(target=second, daemon=True)
        t.start()

        def waiting():
            rc, lines, _ = admin_cli(d, "SHOW POOLS")
            rows = {r["account"]: r for r in as_dicts(lines)} if rc == 0 else {}
            return RO_ACCOUNT in rows and rows[RO_ACCOUNT]["clients_waiting"] == "1" and rows
        rows = harness.wait_until(waiting, harness.scaled(10), interval=0.1)
        self.assertTrue(rows, "rep2 did not wait for report_ro's only connection")
        self.assertEqual(rows[RO_ACCOUNT]["server_total"], "1")
        self.assertEqual(current_user(app), POOL_ACCOUNT)  # the pool itself has room
        if POOL_MODE == "transaction":
            q(rep, "COMMIT")
        else:
            rep.close()
        t.join(harness.scaled(20))
        self.assertEqual(result.get("rows"), ((RO,),), result)
