"""Authentication: mysql_native_password against plain and *HEX passwords, errors like MariaDB's."""

import os

import MySQLdb
import pymysql

import harness

ACCESS_DENIED = "Access denied for user '%s'@'localhost' (using password: YES)"


class AuthTest(harness.TestCase):

    @classmethod
    def setUpClass(cls):
        if harness.DIRECT:
            # In direct mode the hash user is a MariaDB account; through mypool it is
            # "[users] hashuser = *HEX" in the daemon's config (see harness.Mypoold).
            sb = harness.sandbox()
            sb.query("CREATE USER IF NOT EXISTS 'hashuser'@'localhost' IDENTIFIED BY 'hashpw'")
            sb.query("GRANT ALL PRIVILEGES ON *.* TO 'hashuser'@'localhost'")
        super().setUpClass()

    def test_hash_computation_matches_mariadb(self):
        # The *HEX the harness writes into the config is what MariaDB itself stores.
        rows = self.sandbox.query("SELECT PASSWORD(%s), PASSWORD(%s)",
                                  (harness.HASH_PASSWORD, harness.APP_PASSWORD))
        self.assertEqual(rows, ((harness.native_password_hash(harness.HASH_PASSWORD),
                                 harness.native_password_hash(harness.APP_PASSWORD)),))
        self.assertEqual(len(harness.native_password_hash("x")), 41)

    def test_right_password(self):
        for kw in ({}, {"database": None}, {"charset": "latin1"}):
            c = self.connect(**kw)
            with c.cursor() as cur:
                cur.execute("SELECT 1")
                self.assertEqual(cur.fetchall(), ((1,),))
            c.close()
        rc, out, err = self.cli("SELECT 1")
        self.assertEqual((rc, out, err), (0, "1\n", ""))
        r = self.raw()
        ok = r.login()
        self.assertEqual(ok[:1], b"\x00")
        self.assertEqual(r.greeting["plugin"], "mysql_native_password")
        self.assertEqual(len(r.greeting["scramble"]), 20)
        self.assertEqual(r.query("SELECT 1")[2], [[b"1"]])

    def test_wrong_password(self):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(password="wrong")
        self.assertEqual(cm.exception.args, (1045, ACCESS_DENIED % "app"))
        r = self.raw()
        with self.assertRaises(harness.ServerError) as cm:
            r.login(password="wrong")
        e = cm.exception
        self.assertEqual((e.code, e.sqlstate, e.message), (1045, "28000", ACCESS_DENIED % "app"))
        self.assertIsNone(r.read_until_closed_or_packet())  # and the connection is closed
        rc, out, err = self.cli("SELECT 1", password="wrong")
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertIn("ERROR 1045 (28000): Access denied for user 'app'@'localhost'", err)

    def test_password_of_another_user(self):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(user="hashuser", password=harness.APP_PASSWORD)
        self.assertEqual(cm.exception.args, (1045, ACCESS_DENIED % "hashuser"))

    def test_empty_password(self):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(password="")
        self.assertEqual(cm.exception.args[0], 1045)
        self.assertTrue(cm.exception.args[1].startswith("Access denied for user 'app'@'localhost'"),
                        cm.exception.args[1])

    def test_unknown_user(self):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(user="q_nosuchuser", password="x")
        self.assertEqual(cm.exception.args, (1045, ACCESS_DENIED % "q_nosuchuser"))
        r = self.raw()
        with self.assertRaises(harness.ServerError) as cm:
            r.login(user="q_nosuchuser", password="x")
        self.assertEqual((cm.exception.code, cm.exception.sqlstate), (1045, "28000"))

    def test_hash_user(self):
        c = self.connect(user=harness.HASH_USER, password=harness.HASH_PASSWORD)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        rc, out, err = self.cli("SELECT 2", user=harness.HASH_USER, password=harness.HASH_PASSWORD)
        self.assertEqual((rc, out, err), (0, "2\n", ""))
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(user=harness.HASH_USER, password="wrong")
        self.assertEqual(cm.exception.args, (1045, ACCESS_DENIED % harness.HASH_USER))
        # The hash itself is not a password.
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(user=harness.HASH_USER,
                         password=harness.native_password_hash(harness.HASH_PASSWORD))
        self.assertEqual(cm.exception.args[0], 1045)

    def test_auth_switch_from_caching_sha2(self):
        # A client that starts with caching_sha2_password and a token that does not verify is
        # switched to mysql_native_password by MariaDB; mypool asks it for full authentication
        # over the Unix socket (as MySQL does), whoever the user is (docs/security.md).
        r = self.raw()
        r.read_greeting()
        ok = r.login(plugin="caching_sha2_password", token=os.urandom(32))
        self.assertEqual(ok[:1], b"\x00")
        if harness.DIRECT:
            self.assertEqual(r.auth_switch, "mysql_native_password")
        else:
            self.assertTrue(r.full_auth)
        self.assertEqual(r.query("SELECT 1")[2], [[b"1"]])
        r2 = self.raw()
        r2.read_greeting()
        with self.assertRaises(harness.ServerError) as cm:
            r2.login(password="wrong", plugin="caching_sha2_password", token=os.urandom(32))
        self.assertEqual((cm.exception.code, cm.exception.sqlstate), (1045, "28000"))

    def test_many_logins_good_and_bad(self):
        for i in range(30):
            if i % 3 == 0:
                with self.assertRaises(pymysql.err.OperationalError) as cm:
                    self.connect(password="bad%d" % i)
                self.assertEqual(cm.exception.args[0], 1045)
            else:
                c = self.connect()
                with c.cursor() as cur:
                    cur.execute("SELECT %s", (i,))
                    self.assertEqual(cur.fetchall(), ((i,),))
                c.close()


ED_USER, ED_PASSWORD = "edu", "edpw"


class Ed25519Test(harness.TestCase):
    """MariaDB's ed25519: a [users] entry holding the account's public key as MariaDB stores it
    (so the password itself never reaches mypool's config), checked with client_ed25519; the
    same checks pass against MariaDB directly."""

    shared_daemon = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sb = cls.sandbox
        try:
            sb.query("INSTALL SONAME 'auth_ed25519'")
        except pymysql.MySQLError as e:
            if e.args[0] != 1968:  # already installed
                raise
        sb.query("CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('%s')"
                 % (ED_USER, ED_PASSWORD))
        sb.query("GRANT ALL PRIVILEGES ON test.* TO '%s'@'localhost'" % ED_USER)
        cls.key = sb.query("SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv "
                           "WHERE User = %s AND Host = 'localhost'", (ED_USER,))[0][0]
        if harness.DIRECT:
            cls.target = sb.socket
        else:
            users = {harness.APP_USER: harness.APP_PASSWORD, ED_USER: "ed25519:" + cls.key}
            cls.daemon = harness.Mypoold(users=users).start()
            cls.target = cls.daemon.socket

    def test_key_is_what_mariadb_stores(self):
        self.assertRegex(self.key, r"^[A-Za-z0-9+/]{43}$")

    def test_cli_logs_in_with_client_ed25519(self):
        rc, out, err = self.cli("SELECT 'ed'", user=ED_USER, password=ED_PASSWORD)
        self.assertEqual((rc, out, err), (0, "ed\n", ""))
        rc, out, err = self.cli("SELECT 'ed'", user=ED_USER, password="wrong")
        self.assertNotEqual(rc, 0)
        self.assertIn("Access denied for user '%s'@'localhost' (using password: YES)" % ED_USER, err)
        rc, out, err = self.cli("SELECT 'ed'", user=ED_USER, password="")
        self.assertNotEqual(rc, 0)
        self.assertIn("Access denied for user '%s'@'localhost'" % ED_USER, err)

    def test_mysqlclient_and_change_user(self):
        c = self.track(MySQLdb.connect(unix_socket=self.target, user=ED_USER, passwd=ED_PASSWORD, db="test"))
        cur = c.cursor()
        cur.execute("SELECT 2")
        self.assertEqual(cur.fetchall(), ((2,),))
        c.change_user(harness.APP_USER, harness.APP_PASSWORD, "test")
        c.change_user(ED_USER, ED_PASSWORD, "test")
        cur = c.cursor()
        cur.execute("SELECT 3")
        self.assertEqual(cur.fetchall(), ((3,),))
        with self.assertRaises(MySQLdb.OperationalError) as cm:
            c.change_user(ED_USER, "wrong", "test")
        self.assertEqual(cm.exception.args[0], 1045)

    def test_failed_change_user_keeps_the_connection(self):
        """Regression (MariaDB's suite, change_user_notembedded): a refused COM_CHANGE_USER closed
        the connection; MariaDB answers 1045 and keeps it as the user it was, and after three
        refusals answers COM_CHANGE_USER with 1047, whatever the password."""
        c = self.track(MySQLdb.connect(unix_socket=self.target, user=harness.APP_USER,
                                       passwd=harness.APP_PASSWORD, db="test"))
        for user, password in (("cu_nosuchuser", "bar"), (harness.APP_USER, "wrong")):
            with self.assertRaises(MySQLdb.OperationalError) as cm:
                c.change_user(user, password, "test")
            self.assertEqual(cm.exception.args[0], 1045, cm.exception.args)
            cur = c.cursor()
            cur.execute("SELECT DATABASE(), 4")
            self.assertEqual(cur.fetchall(), (("test", 4),))
        c.change_user(harness.APP_USER, harness.APP_PASSWORD, "test")  # does not count them anew
        with self.assertRaises(MySQLdb.OperationalError) as cm:
            c.change_user("cu_nosuchuser", "bar", "test")
        self.assertEqual(cm.exception.args[0], 1045, cm.exception.args)
        for password in ("bar", harness.APP_PASSWORD):
            with self.assertRaises(MySQLdb.MySQLError) as cm:
                c.change_user(harness.APP_USER, password, "test")
            self.assertEqual(cm.exception.args[0], 1047, cm.exception.args)
        cur = c.cursor()
        cur.execute("SELECT 5")
        self.assertEqual(cur.fetchall(), ((5,),))
