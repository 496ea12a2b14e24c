"""Queries through mypool (or straight to MariaDB in direct mode) with real clients."""

import datetime
import decimal
import hashlib
import os

import MySQLdb
import MySQLdb.constants.CLIENT
import pymysql
import pymysql.cursors
from pymysql.constants import CLIENT, FIELD_TYPE

import harness

# (column, SQL type, value inserted, value expected back, pymysql type code)
TYPES = [
    ("id", "INT PRIMARY KEY", 1, 1, FIELD_TYPE.LONG),
    ("ti", "TINYINT", -128, -128, FIELD_TYPE.TINY),
    ("tiu", "TINYINT UNSIGNED", 255, 255, FIELD_TYPE.TINY),
    ("si", "SMALLINT", -32768, -32768, FIELD_TYPE.SHORT),
    ("siu", "SMALLINT UNSIGNED", 65535, 65535, FIELD_TYPE.SHORT),
    ("mi", "MEDIUMINT", -8388608, -8388608, FIELD_TYPE.INT24),
    ("miu", "MEDIUMINT UNSIGNED", 16777215, 16777215, FIELD_TYPE.INT24),
    ("i", "INT", -2147483648, -2147483648, FIELD_TYPE.LONG),
    ("iu", "INT UNSIGNED", 4294967295, 4294967295, FIELD_TYPE.LONG),
    ("bi", "BIGINT", -9223372036854775808, -9223372036854775808, FIELD_TYPE.LONGLONG),
    ("biu", "BIGINT UNSIGNED", 18446744073709551615, 18446744073709551615, FIELD_TYPE.LONGLONG),
    ("de", "DECIMAL(20,6)", decimal.Decimal("-12345678901234.123456"),
     decimal.Decimal("-12345678901234.123456"), FIELD_TYPE.NEWDECIMAL),
    ("fl", "FLOAT", 1.5, 1.5, FIELD_TYPE.FLOAT),
    ("db", "DOUBLE", 3.141592653589793, 3.141592653589793, FIELD_TYPE.DOUBLE),
    ("d", "DATE", datetime.date(2024, 2, 29), datetime.date(2024, 2, 29), FIELD_TYPE.DATE),
    ("dt", "DATETIME(6)", datetime.datetime(2038, 1, 19, 3, 14, 7, 999999),
     datetime.datetime(2038, 1, 19, 3, 14, 7, 999999), FIELD_TYPE.DATETIME),
    ("ts", "TIMESTAMP NULL DEFAULT NULL", datetime.datetime(2001, 2, 3, 4, 5, 6),
     datetime.datetime(2001, 2, 3, 4, 5, 6), FIELD_TYPE.TIMESTAMP),
    ("tm", "TIME", "-838:59:59", datetime.timedelta(hours=-838, minutes=-59, seconds=-59),
     FIELD_TYPE.TIME),
    ("tm2", "TIME(3)", "12:34:56.789", datetime.timedelta(hours=12, minutes=34, seconds=56,
                                                          microseconds=789000), FIELD_TYPE.TIME),
    ("yr", "YEAR", 2155, 2155, FIELD_TYPE.YEAR),
    ("ch", "CHAR(5)", "ab", "ab", FIELD_TYPE.STRING),
    ("vc", "VARCHAR(100)", "h\u00e9llo w\u00f6rld", "h\u00e9llo w\u00f6rld", FIELD_TYPE.VAR_STRING),
    ("tx", "TEXT", "t" * 1000 + "\n\t'\"\\", "t" * 1000 + "\n\t'\"\\", FIELD_TYPE.BLOB),
    ("bl", "BLOB", b"\x00\x01\xff\x00", b"\x00\x01\xff\x00", FIELD_TYPE.BLOB),
    ("vb", "VARBINARY(16)", b"\x00\xfe\x00", b"\x00\xfe\x00", FIELD_TYPE.VAR_STRING),
    ("u8", "VARCHAR(50) CHARACTER SET utf8mb4",
     "\U0001F600 \u6c49\u5b57 \u30c6\u30b9\u30c8 \U0001F680",
     "\U0001F600 \u6c49\u5b57 \u30c6\u30b9\u30c8 \U0001F680", FIELD_TYPE.VAR_STRING),
    ("en", "ENUM('a','b','c')", "b", "b", FIELD_TYPE.STRING),
    ("st", "SET('x','y','z')", "x,z", "x,z", FIELD_TYPE.STRING),
    ("bt", "BIT(8)", b"\xa5", b"\xa5", FIELD_TYPE.BIT),
    ("js", "JSON", '{"a": [1, 2, null], "b": "\u00fc"}', '{"a": [1, 2, null], "b": "\u00fc"}',
     FIELD_TYPE.BLOB),
]

UNSIGNED_FLAG = 32
SERVER_STATUS_IN_TRANS = 0x1
SERVER_STATUS_AUTOCOMMIT = 0x2
BINARY_CHARSET = 63


def text(v):
    """PyMySQL gives some column-definition fields as bytes, others as str."""
    return v.decode() if isinstance(v, bytes) else v


def field_meta(cur):
    """Everything the client sees of each column definition."""
    return [(f.catalog, f.db, f.table_name, f.org_table, f.name, f.org_name, f.charsetnr, f.length,
             f.type_code, f.flags, f.scale) for f in cur._result.fields]


class QueriesTest(harness.TestCase):

    def test_select_1(self):
        c = self.connect()
        with c.cursor() as cur:
            self.assertEqual(cur.execute("SELECT 1"), 1)
            self.assertEqual(cur.fetchall(), ((1,),))
            self.assertEqual(cur.description, (("1", FIELD_TYPE.LONG, None, 1, 1, 0, False),))

    def test_column_types_round_trip(self):
        c = self.connect(autocommit=True)
        cols = ", ".join("%s %s" % (name, sqltype) for name, sqltype, _, _, _ in TYPES)
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS q_types")
            cur.execute("CREATE TABLE q_types (%s) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" % cols)
            values = [v for _, _, v, _, _ in TYPES]
            cur.execute("INSERT INTO q_types VALUES (%s)" % ", ".join(["%s"] * len(values)), values)
            cur.execute("INSERT INTO q_types (id) VALUES (2)")
            self.assertEqual(cur.execute("SELECT * FROM q_types ORDER BY id"), 2)
            rows = cur.fetchall()
            self.assertEqual(len(rows), 2)
            for (name, _, _, expected, _), got in zip(TYPES, rows[0]):
                self.assertEqual(got, expected, "column %s" % name)
                self.assertIs(type(got), type(expected), "column %s" % name)
            self.assertEqual(rows[1], (2,) + (None,) * (len(TYPES) - 1))
            self.assertEqual([d[0] for d in cur.description], [t[0] for t in TYPES])
            self.assertEqual([d[1] for d in cur.description], [t[4] for t in TYPES])
            self.assertEqual([d[6] for d in cur.description], [False] + [True] * (len(TYPES) - 1))
            fields = {f.name: f for f in cur._result.fields}
            for name in ("tiu", "siu", "miu", "iu", "biu"):
                self.assertTrue(fields[name].flags & UNSIGNED_FLAG, name)
            for name in ("ti", "si", "mi", "i", "bi"):
                self.assertFalse(fields[name].flags & UNSIGNED_FLAG, name)
            self.assertEqual(fields["bl"].charsetnr, BINARY_CHARSET)
            self.assertEqual(fields["u8"].charsetnr, 45)  # utf8mb4_general_ci (the connection's)
            self.assertEqual(fields["de"].scale, 6)
            self.assertEqual(fields["dt"].scale, 6)
            self.assertEqual(text(fields["id"].db), "test")
            self.assertEqual(text(fields["id"].org_table), "q_types")
            self.assertEqual(text(fields["id"].table_name), "q_types")
            self.assertEqual(text(fields["id"].org_name), "id")
            meta = field_meta(cur)

            # Expressions, not columns.
            cur.execute("SELECT NULL AS n, 'x' AS s, 1.5 AS d, 1e0 AS f, -1 AS neg, "
                        "CAST(18446744073709551615 AS UNSIGNED) AS big")
            self.assertEqual(cur.fetchall(),
                             ((None, "x", decimal.Decimal("1.5"), 1.0, -1, 18446744073709551615),))
            self.assertEqual([d[:2] for d in cur.description],
                             [("n", FIELD_TYPE.NULL), ("s", FIELD_TYPE.VAR_STRING),
                              ("d", FIELD_TYPE.NEWDECIMAL), ("f", FIELD_TYPE.DOUBLE),
                              ("neg", FIELD_TYPE.LONG), ("big", FIELD_TYPE.LONGLONG)])

        if not harness.DIRECT:
            # Full column metadata through mypool == straight from MariaDB.
            d = self.direct()
            with d.cursor() as cur:
                cur.execute("SELECT * FROM q_types ORDER BY id")
                self.assertEqual(meta, field_meta(cur))

    def test_affected_rows_and_insert_id(self):
        c = self.connect(autocommit=True)
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS q_ai")
            cur.execute("CREATE TABLE q_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB")
            self.assertEqual(cur.execute("INSERT INTO q_ai (v) VALUES (10)"), 1)
            self.assertEqual(cur.lastrowid, 1)
            self.assertEqual(cur.execute("INSERT INTO q_ai (v) VALUES (20), (30), (40)"), 3)
            self.assertEqual(cur.lastrowid, 2)  # the first id of a multi-row insert
            self.assertEqual(c.insert_id(), 2)
            cur.execute("SELECT LAST_INSERT_ID()")
            self.assertEqual(cur.fetchall(), ((2,),))
            self.assertEqual(cur.execute("INSERT INTO q_ai (id, v) VALUES (100, 1)"), 1)
            self.assertEqual(cur.lastrowid, 100)
            self.assertEqual(cur.execute("UPDATE q_ai SET v = v + 1 WHERE id >= 2"), 4)
            self.assertEqual(cur.execute("UPDATE q_ai SET v = 11 WHERE id = 1"), 1)
            self.assertEqual(cur.execute("UPDATE q_ai SET v = 11 WHERE id = 1"), 0)  # no change
            self.assertEqual(cur.execute("UPDATE q_ai SET v = 0 WHERE id = 12345"), 0)
            self.assertEqual(cur.execute("DELETE FROM q_ai WHERE id > 2"), 3)
            self.assertEqual(cur.lastrowid, 0)
            self.assertEqual(cur.execute("INSERT INTO q_ai (v) VALUES (50)"), 1)
            self.assertEqual(cur.lastrowid, 101)
            self.assertEqual(cur.execute("REPLACE INTO q_ai (id, v) VALUES (1, 99)"), 2)
            cur.execute("SELECT id, v FROM q_ai ORDER BY id")
            self.assertEqual(cur.fetchall(), ((1, 99), (2, 21), (101, 50)))

    def test_column_types_mysqlclient(self):
        # The same table through mysqlclient (libmariadb's text protocol decoding).
        self.test_column_types_round_trip()
        m = self.track(MySQLdb.connect(unix_socket=self.target, user="app", password="apppw",
                                       database="test", connect_timeout=10, charset="utf8mb4"))
        m.autocommit(True)
        cur = m.cursor()
        cur.execute("SELECT * FROM q_types ORDER BY id")
        rows = cur.fetchall()
        for (name, _, _, expected, _), got in zip(TYPES, rows[0]):
            self.assertEqual(got, expected, "column %s" % name)
        self.assertEqual(rows[1], (2,) + (None,) * (len(TYPES) - 1))
        desc = cur.description
        self.assertEqual([d[0] for d in desc], [t[0] for t in TYPES])
        self.assertEqual([d[1] for d in desc], [t[4] for t in TYPES])
        if not harness.DIRECT:
            d = self.track(MySQLdb.connect(unix_socket=self.sandbox.socket, user="app",
                                           password="apppw", database="test", connect_timeout=10,
                                           charset="utf8mb4"))
            dc = d.cursor()
            dc.execute("SELECT * FROM q_types ORDER BY id")
            self.assertEqual(desc, dc.description)

    def test_ok_packet_info_and_server_status(self):
        m = self.track(MySQLdb.connect(unix_socket=self.target, user="app", password="apppw",
                                       database="test", connect_timeout=10))
        cur = m.cursor()
        cur.execute("DROP TABLE IF EXISTS q_info")
        cur.execute("CREATE TABLE q_info (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
        cur.execute("INSERT INTO q_info VALUES (1, 1), (2, 2), (3, 3)")
        self.assertEqual(m.info(), "Records: 3  Duplicates: 0  Warnings: 0")
        self.assertEqual(m.affected_rows(), 3)
        cur.execute("UPDATE q_info SET v = v + 1 WHERE id < 3")
        self.assertEqual(m.info(), "Rows matched: 2  Changed: 2  Warnings: 0")
        cur.execute("UPDATE q_info SET v = 3 WHERE id = 3")
        self.assertEqual(m.info(), "Rows matched: 1  Changed: 0  Warnings: 0")
        self.assertEqual(m.affected_rows(), 0)
        cur.execute("INSERT INTO q_info VALUES (3, 0) ON DUPLICATE KEY UPDATE v = 9")
        self.assertEqual(m.affected_rows(), 2)
        m.commit()
        # Server status flags in OK/EOF packets (PyMySQL keeps them in server_status).
        c = self.connect(autocommit=False)
        self.assertEqual(c.server_status & SERVER_STATUS_AUTOCOMMIT, 0)
        self.assertFalse(c.get_autocommit())
        with c.cursor() as pc:
            pc.execute("INSERT INTO q_info VALUES (10, 10)")
            self.assertTrue(c.server_status & SERVER_STATUS_IN_TRANS)
            pc.execute("SELECT v FROM q_info WHERE id = 10")
            self.assertEqual(pc.fetchall(), ((10,),))
            self.assertTrue(c.server_status & SERVER_STATUS_IN_TRANS)  # from the EOF packet
            c.rollback()
            self.assertFalse(c.server_status & SERVER_STATUS_IN_TRANS)
            c.autocommit(True)
            self.assertTrue(c.server_status & SERVER_STATUS_AUTOCOMMIT)
            self.assertTrue(c.get_autocommit())
            pc.execute("BEGIN")
            self.assertTrue(c.server_status & SERVER_STATUS_IN_TRANS)
            pc.execute("COMMIT")
            self.assertFalse(c.server_status & SERVER_STATUS_IN_TRANS)
            pc.execute("SELECT COUNT(*) FROM q_info")
            self.assertEqual(pc.fetchall(), ((3,),))

    def test_warnings(self):
        c = self.connect(autocommit=True)
        with c.cursor() as cur:
            cur.execute("SET SESSION sql_mode = ''")
            cur.execute("DROP TABLE IF EXISTS q_warn")
            cur.execute("CREATE TABLE q_warn (v VARCHAR(2))")
            self.assertEqual(cur.execute("INSERT INTO q_warn VALUES ('abc')"), 1)
            self.assertEqual(c._result.warning_count, 1)
            cur.execute("SHOW WARNINGS")
            self.assertEqual(cur.fetchall(),
                             (("Warning", 1265, "Data truncated for column 'v' at row 1"),))
            cur.execute("SELECT v FROM q_warn")
            self.assertEqual(cur.fetchall(), (("ab",),))
            self.assertEqual(c._result.warning_count, 0)
            cur.execute("INSERT INTO q_warn VALUES ('abcd'), ('xyz'), ('ok')")
            self.assertEqual(c._result.warning_count, 2)
            cur.execute("SELECT @@warning_count")
            self.assertEqual(cur.fetchall(), ((2,),))
            # A warning on a result set (EOF packet): CAST of a bad number.
            cur.execute("SELECT CAST('12abc' AS SIGNED)")
            self.assertEqual(cur.fetchall(), ((12,),))
            self.assertEqual(c._result.warning_count, 1)
            cur.execute("SHOW WARNINGS")
            self.assertEqual(cur.fetchall(),
                             (("Warning", 1292, "Truncated incorrect INTEGER value: '12abc'"),))
            # Strict mode turns the same insert into an error.
            cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
            with self.assertRaises(pymysql.MySQLError) as cm:
                cur.execute("INSERT INTO q_warn VALUES ('abc')")
            self.assertServerError(cm.exception, 1406, "Data too long for column 'v' at row 1")

    def test_errors_leave_session_usable(self):
        c = self.connect(autocommit=True)
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS q_err")
            cur.execute("CREATE TABLE q_err (id INT PRIMARY KEY) ENGINE=InnoDB")
            cur.execute("INSERT INTO q_err VALUES (1)")
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELEC 1")
            self.assertServerError(cm.exception, 1064, "You have an error in your SQL syntax")
            self.assertIn("near 'SELEC 1' at line 1", cm.exception.args[1])
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELECT * FROM q_nosuch")
            self.assertEqual(cm.exception.args, (1146, "Table 'test.q_nosuch' doesn't exist"))
            cur.execute("SELECT 2")
            self.assertEqual(cur.fetchall(), ((2,),))
            with self.assertRaises(pymysql.err.IntegrityError) as cm:
                cur.execute("INSERT INTO q_err VALUES (1)")
            self.assertEqual(cm.exception.args, (1062, "Duplicate entry '1' for key 'PRIMARY'"))
            cur.execute("SELECT COUNT(*) FROM q_err")
            self.assertEqual(cur.fetchall(), ((1,),))
            # An error in the middle of a result set (after the column definitions).
            with self.assertRaises(pymysql.MySQLError) as cm:
                cur.execute("SELECT seq, IF(seq = 3, (SELECT 1 UNION SELECT 2), seq) "
                            "FROM seq_1_to_5")
                cur.fetchall()
            self.assertServerError(cm.exception, 1242, "Subquery returns more than 1 row")
            cur.execute("SELECT 3")
            self.assertEqual(cur.fetchall(), ((3,),))

    def test_error_sqlstates(self):
        # MySQLdb exposes the SQLSTATE of the last error.
        m = self.track(MySQLdb.connect(unix_socket=self.target, user="app", password="apppw",
                                       database="test", connect_timeout=10))
        m.autocommit(True)
        cur = m.cursor()
        for sql, code, state in (("SELEC 1", 1064, "42000"),
                                 ("SELECT * FROM q_nosuch", 1146, "42S02"),
                                 ("SELECT nosuchcol FROM seq_1_to_2", 1054, "42S22"),
                                 ("SELECT 1/0, CAST('x' AS DATE) FROM q_nosuch", 1146, "42S02")):
            with self.assertRaises(MySQLdb.MySQLError) as cm:
                cur.execute(sql)
            self.assertEqual(cm.exception.args[0], code, sql)
            self.assertEqual(m.sqlstate(), state, sql)
        cur.execute("DROP TABLE IF EXISTS q_err2")
        cur.execute("CREATE TABLE q_err2 (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO q_err2 VALUES (1)")
        with self.assertRaises(MySQLdb.IntegrityError) as cm:
            cur.execute("INSERT INTO q_err2 VALUES (1)")
        self.assertEqual(cm.exception.args[0], 1062)
        self.assertEqual(m.sqlstate(), "23000")
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchall(), ((1,),))
        # And the mariadb CLI prints code, SQLSTATE and message.
        rc, out, err = self.cli("INSERT INTO q_err2 VALUES (1)")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR 1062 (23000) at line 1: Duplicate entry '1' for key 'PRIMARY'", err)

    def test_commit_and_rollback(self):
        a = self.connect(autocommit=False)
        b = self.connect(autocommit=True)
        with a.cursor() as ca, b.cursor() as cb:
            ca.execute("DROP TABLE IF EXISTS q_trx")
            ca.execute("CREATE TABLE q_trx (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB")
            ca.execute("INSERT INTO q_trx VALUES (1, 'one')")
            ca.execute("SELECT COUNT(*) FROM q_trx")
            self.assertEqual(ca.fetchall(), ((1,),))  # visible in its own transaction
            cb.execute("SELECT COUNT(*) FROM q_trx")
            self.assertEqual(cb.fetchall(), ((0,),))  # not to another connection
            a.commit()
            cb.execute("SELECT id, v FROM q_trx")
            self.assertEqual(cb.fetchall(), ((1, "one"),))
            ca.execute("INSERT INTO q_trx VALUES (2, 'two')")
            ca.execute("UPDATE q_trx SET v = 'uno' WHERE id = 1")
            cb.execute("SELECT id, v FROM q_trx ORDER BY id")
            self.assertEqual(cb.fetchall(), ((1, "one"),))
            a.rollback()
            ca.execute("SELECT id, v FROM q_trx ORDER BY id")
            self.assertEqual(ca.fetchall(), ((1, "one"),))
            cb.execute("SELECT id, v FROM q_trx ORDER BY id")
            self.assertEqual(cb.fetchall(), ((1, "one"),))
            # Explicit BEGIN ... COMMIT on an autocommit connection.
            cb.execute("BEGIN")
            cb.execute("INSERT INTO q_trx VALUES (3, 'three')")
            ca.execute("SELECT COUNT(*) FROM q_trx")
            self.assertEqual(ca.fetchall(), ((1,),))
            a.commit()  # end a's snapshot
            cb.execute("COMMIT")
            ca.execute("SELECT id FROM q_trx ORDER BY id")
            self.assertEqual(ca.fetchall(), ((1,), (3,)))
            a.commit()

    def test_multi_statements_enabled(self):
        c = self.connect(client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
        with c.cursor() as cur:
            cur.execute("SELECT 1; SELECT 2")
            self.assertEqual(cur.fetchall(), ((1,),))
            self.assertTrue(cur.nextset())
            self.assertEqual(cur.fetchall(), ((2,),))
            self.assertFalse(cur.nextset())
            cur.execute("DROP TABLE IF EXISTS q_multi; CREATE TABLE q_multi (id INT); "
                        "INSERT INTO q_multi VALUES (1), (2); SELECT id FROM q_multi ORDER BY id; "
                        "UPDATE q_multi SET id = id + 10")
            results = []
            while True:
                results.append((cur.rowcount, cur.fetchall()))
                if not cur.nextset():
                    break
            self.assertEqual(results, [(0, ()), (0, ()), (2, ()), (2, ((1,), (2,))), (2, ())])
            # An error in the second statement: the first result arrives, then the error.
            cur.execute("SELECT 'first'; SELECT * FROM q_nosuch; SELECT 'never'")
            self.assertEqual(cur.fetchall(), (("first",),))
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.nextset()
            self.assertEqual(cm.exception.args[0], 1146)
            cur.execute("SELECT 3")
            self.assertEqual(cur.fetchall(), ((3,),))

    def test_multi_statements_refused_without_flag(self):
        c = self.connect()
        with c.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELECT 1; SELECT 2")
            self.assertServerError(cm.exception, 1064, "You have an error in your SQL syntax")
            self.assertIn("near 'SELECT 2' at line 1", cm.exception.args[1])
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        # A client with the flag, at the same time, still gets both results.
        m = self.connect(client_flag=CLIENT.MULTI_STATEMENTS)
        with m.cursor() as cur:
            cur.execute("SELECT 1; SELECT 2")
            self.assertEqual(cur.fetchall(), ((1,),))
            self.assertTrue(cur.nextset())
            self.assertEqual(cur.fetchall(), ((2,),))
        # And the one without it still does not.
        with c.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELECT 3; SELECT 4")
            self.assertEqual(cm.exception.args[0], 1064)

    def test_set_option_toggles_multi_statements(self):
        # COM_SET_OPTION through mysqlclient's set_server_option().
        m = self.track(MySQLdb.connect(unix_socket=self.target, user="app", password="apppw",
                                       database="test", connect_timeout=10,
                                       client_flag=MySQLdb.constants.CLIENT.MULTI_STATEMENTS))
        cur = m.cursor()
        cur.execute("SELECT 1; SELECT 2")
        self.assertEqual(cur.fetchall(), ((1,),))
        self.assertTrue(cur.nextset())
        self.assertEqual(cur.fetchall(), ((2,),))
        cur.close()
        m.set_server_option(1)  # MYSQL_OPTION_MULTI_STATEMENTS_OFF
        cur = m.cursor()
        with self.assertRaises(MySQLdb.ProgrammingError) as cm:
            cur.execute("SELECT 1; SELECT 2")
        self.assertEqual(cm.exception.args[0], 1064)
        cur.close()
        m.set_server_option(0)  # MYSQL_OPTION_MULTI_STATEMENTS_ON
        cur = m.cursor()
        cur.execute("SELECT 3; SELECT 4")
        self.assertEqual(cur.fetchall(), ((3,),))
        self.assertTrue(cur.nextset())
        self.assertEqual(cur.fetchall(), ((4,),))
        cur.close()

    def test_use_and_select_db(self):
        d = self.direct()
        with d.cursor() as cur:
            cur.execute("CREATE DATABASE IF NOT EXISTS q_other")
            cur.execute("CREATE TABLE IF NOT EXISTS q_other.marker (v VARCHAR(10))")
            cur.execute("DELETE FROM q_other.marker")
            cur.execute("INSERT INTO q_other.marker VALUES ('other')")
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), (("test",),))
            cur.execute("USE q_other")
            cur.execute("SELECT DATABASE(), v FROM marker")
            self.assertEqual(cur.fetchall(), (("q_other", "other"),))
            c.select_db("test")  # COM_INIT_DB
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), (("test",),))
            with self.assertRaises(pymysql.err.ProgrammingError) as cm:
                cur.execute("SELECT v FROM marker")
            self.assertEqual(cm.exception.args[0], 1146)
            with self.assertRaises(pymysql.MySQLError) as cm:
                c.select_db("q_nosuchdb")
            self.assertEqual(cm.exception.args, (1049, "Unknown database 'q_nosuchdb'"))
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), (("test",),))
            with self.assertRaises(pymysql.MySQLError) as cm:
                cur.execute("USE q_nosuchdb")
            self.assertEqual(cm.exception.args[0], 1049)
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), (("test",),))
        rc, out, err = self.cli("USE q_other; SELECT DATABASE(), v FROM marker")
        self.assertEqual((rc, out, err), (0, "q_other\tother\n", ""))

    def test_no_database(self):
        c = self.connect(database=None)
        with c.cursor() as cur:
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), ((None,),))
            with self.assertRaises(pymysql.MySQLError) as cm:
                cur.execute("SELECT seq FROM seq_1_to_3")
            self.assertEqual(cm.exception.args, (1046, "No database selected"))
            cur.execute("SELECT seq FROM test.seq_1_to_3")
            self.assertEqual(cur.fetchall(), ((1,), (2,), (3,)))
            c.select_db("test")
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchall(), (("test",),))
        rc, out, err = self.cli("SELECT DATABASE()", database=None)
        self.assertEqual((rc, out, err), (0, "NULL\n", ""))

    def test_unknown_database_at_connect(self):
        with self.assertRaises(pymysql.MySQLError) as cm:
            self.connect(database="q_nosuchdb")
        self.assertEqual(cm.exception.args, (1049, "Unknown database 'q_nosuchdb'"))
        rc, out, err = self.cli("SELECT 1", database="q_nosuchdb")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR 1049 (42000): Unknown database 'q_nosuchdb'", err)
        self.assertEqual(out, "")
        # The daemon is fine afterwards.
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))

    def test_blob_20mib_round_trip(self):
        size = 20 * 1024 * 1024
        data = os.urandom(size)
        digest = hashlib.sha256(data).hexdigest()
        c = self.connect(autocommit=True, max_allowed_packet=64 * 1024 * 1024)
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS q_blob")
            cur.execute("CREATE TABLE q_blob (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB")
            self.assertEqual(cur.execute("INSERT INTO q_blob VALUES (1, %s)", (data,)), 1)
            cur.execute("SELECT LENGTH(b), SHA2(b, 256) FROM q_blob WHERE id = 1")
            self.assertEqual(cur.fetchall(), ((size, digest),))  # what the server stored
            cur.execute("SELECT b FROM q_blob WHERE id = 1")
            got = cur.fetchall()[0][0]
            self.assertEqual(len(got), size)
            self.assertEqual(hashlib.sha256(got).hexdigest(), digest)
            # Around the 16 MiB packet-splitting boundary. A row packet holds a 4-byte length
            # prefix for such a value, so 0xFFFFFB bytes make a row payload of exactly 0xFFFFFF
            # (the server then sends an empty packet after it).
            for n in (0xFFFFFF - 64, 0xFFFFFB, 0xFFFFFC, 0xFFFFFF, 0x1000000 + 10):
                cur.execute("SELECT REPEAT('z', %s)" % n)
                v = cur.fetchall()[0][0]
                self.assertEqual((len(v), v[:1], v[-1:]), (n, "z", "z"), "REPEAT %d" % n)
            # A client command of exactly 0xFFFFFF bytes (1 command byte + SQL), then 0xFFFFFF + 1.
            for total in (0xFFFFFF, 0xFFFFFF + 1):
                head, tail = "SELECT LENGTH('", "')"
                k = total - 1 - len(head) - len(tail)
                cur.execute(head + "q" * k + tail)
                self.assertEqual(cur.fetchall(), ((k,),), "query of %d bytes" % total)
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
            cur.execute("DROP TABLE q_blob")

    def test_large_result_streams(self):
        n = 300000
        c = self.connect(cursorclass=pymysql.cursors.SSCursor)
        with c.cursor() as cur:
            cur.execute("SELECT seq, REPEAT('x', 20) FROM seq_1_to_%d" % n)
            count = total = 0
            for seq, pad in cur:
                count += 1
                total += seq
                if pad != "x" * 20:
                    self.fail("bad row %r" % ((seq, pad),))
            self.assertEqual((count, total), (n, n * (n + 1) // 2))
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(list(cur.fetchall()), [(1,)])

    def test_cli_batch_mode(self):
        rc, out, err = self.cli("SELECT 1, NULL, 'a' UNION ALL SELECT 2, 'x y', NULL "
                                "UNION ALL SELECT 3, 'caf\u00e9', ''")
        self.assertEqual((rc, out, err), (0, "1\tNULL\ta\n2\tx y\tNULL\n3\tcaf\u00e9\t\n", ""))
        rc, out, err = self.cli("SELECT 'a\tb', 'line1\nline2'")
        self.assertEqual((rc, out, err), (0, "a\\tb\tline1\\nline2\n", ""))
        # Column names without -N.
        rc, out, err = self.cli("SELECT 1 AS one, 'two' AS second", args=["--column-names"])
        self.assertEqual((rc, out, err), (0, "one\tsecond\n1\ttwo\n", ""))
        # The CLI enables multi-statements.
        rc, out, err = self.cli("SELECT 1; SELECT 2; SELECT seq FROM seq_1_to_3")
        self.assertEqual((rc, out, err), (0, "1\n2\n1\n2\n3\n", ""))
        rc, out, err = self.cli("SELECT * FROM q_nosuch")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("ERROR 1146 (42S02) at line 1: Table 'test.q_nosuch' doesn't exist", err)
        # Statements before the failing one ran; the ones after did not.
        rc, out, err = self.cli("SELECT 'before'; SELEC 1; SELECT 'after'")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "before\n")
        self.assertIn("ERROR 1064 (42000) at line 1: You have an error in your SQL syntax", err)

    def test_ping(self):
        c = self.connect()
        c.ping(reconnect=False)
        c.ping(reconnect=False)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        c.ping(reconnect=False)
        r = self.raw()
        r.login()
        r.command(harness.COM_PING)
        self.assertEqual(r.read_result()[0], "ok")
        self.assertEqual(r.query("SELECT 1")[:3], ("rows", ["1"], [[b"1"]]))

    def test_charset_from_handshake(self):
        latin = self.connect(charset="latin1", autocommit=True)
        utf = self.connect(charset="utf8mb4", autocommit=True)
        with latin.cursor() as cl, utf.cursor() as cu:
            cl.execute("SELECT @@character_set_client, @@character_set_connection, "
                       "@@character_set_results")
            self.assertEqual(cl.fetchall(), (("latin1", "latin1", "latin1"),))
            cu.execute("SELECT @@character_set_client, @@character_set_connection, "
                       "@@character_set_results")
            self.assertEqual(cu.fetchall(), (("utf8mb4", "utf8mb4", "utf8mb4"),))
            cu.execute("DROP TABLE IF EXISTS q_cs")
            cu.execute("CREATE TABLE q_cs (id INT, v VARCHAR(20)) DEFAULT CHARSET=utf8mb4")
            cl.execute("INSERT INTO q_cs VALUES (1, %s)", ("caf\u00e9 \u00fc\u00df",))
            cu.execute("INSERT INTO q_cs VALUES (2, %s)", ("na\u00efve",))
            cu.execute("SELECT v, HEX(v) FROM q_cs ORDER BY id")
            self.assertEqual(cu.fetchall(), (("caf\u00e9 \u00fc\u00df", "636166C3A920C3BCC39F"),
                                             ("na\u00efve", "6E61C3AF7665")))
            cl.execute("SELECT v FROM q_cs ORDER BY id")
            self.assertEqual(cl.fetchall(), (("caf\u00e9 \u00fc\u00df",), ("na\u00efve",)))
            # And again, after the other connection ran (a pooled backend must be re-set).
            cl.execute("SELECT @@character_set_client")
            self.assertEqual(cl.fetchall(), (("latin1",),))
            cu.execute("SELECT @@character_set_client")
            self.assertEqual(cu.fetchall(), (("utf8mb4",),))

    def test_found_rows_flag(self):
        found = self.connect(client_flag=CLIENT.FOUND_ROWS, autocommit=True)
        normal = self.connect(autocommit=True)
        with found.cursor() as cf, normal.cursor() as cn:
            cn.execute("DROP TABLE IF EXISTS q_fr")
            cn.execute("CREATE TABLE q_fr (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
            cn.execute("INSERT INTO q_fr VALUES (1, 5), (2, 5)")
            self.assertEqual(cf.execute("UPDATE q_fr SET v = 5 WHERE id = 1"), 1)
            self.assertEqual(cn.execute("UPDATE q_fr SET v = 5 WHERE id = 1"), 0)
            self.assertEqual(cf.execute("UPDATE q_fr SET v = 5"), 2)
            self.assertEqual(cn.execute("UPDATE q_fr SET v = 5"), 0)
            self.assertEqual(cn.execute("UPDATE q_fr SET v = 6 WHERE id = 2"), 1)
            self.assertEqual(cf.execute("UPDATE q_fr SET v = 6"), 2)  # matched 2, changed 1
            self.assertEqual(cn.execute("UPDATE q_fr SET v = 6"), 0)

    def test_statistics_mysqlclient(self):
        m = self.track(MySQLdb.connect(unix_socket=self.target, user="app", password="apppw",
                                       database="test", connect_timeout=10))
        s = m.stat()  # COM_STATISTICS
        self.assertTrue(s.startswith("Uptime: "), s)
        self.assertIn("Threads: ", s)
        self.assertIn("Queries per second avg: ", s)
        cur = m.cursor()
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchall(), ((1,),))
        self.assertTrue(m.stat().startswith("Uptime: "))

    def test_mariadb_admin(self):
        rc, out, err = harness.admin(self.target, "ping")
        self.assertEqual((rc, out.strip(), err), (0, "mysqld is alive", ""))
        rc, out, err = harness.admin(self.target, "status")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("Uptime: "), out)
        rc, out, err = harness.admin(self.target, "status", password="wrong")
        self.assertNotEqual(rc, 0)
        self.assertIn("Access denied for user 'app'@'localhost'", out + err)

    def test_field_list(self):
        d = self.direct()
        with d.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS q_fl")
            cur.execute("CREATE TABLE q_fl (a INT, bb VARCHAR(3), ccc BLOB)")
        r = self.raw()
        r.login()
        self.assertEqual(r.field_list("q_fl"), ["a", "bb", "ccc"])
        with self.assertRaises(harness.ServerError) as cm:
            r.field_list("q_nosuch")
        self.assertEqual((cm.exception.code, cm.exception.sqlstate), (1146, "42S02"))
        self.assertEqual(r.query("SELECT 1")[:3], ("rows", ["1"], [[b"1"]]))

    def test_reset_connection(self):
        r = self.raw()
        r.login()
        self.assertEqual(r.query("SET @x = 42")[0], "ok")
        self.assertEqual(r.query("SET SESSION sql_mode = 'ANSI_QUOTES'")[0], "ok")
        self.assertEqual(r.query("SELECT @x, @@session.sql_mode")[2], [[b"42", b"ANSI_QUOTES"]])
        r.command(harness.COM_RESET_CONNECTION)
        self.assertEqual(r.read_result()[0], "ok")
        kind, names, rows, _ = r.query("SELECT @x, @@session.sql_mode = @@global.sql_mode, "
                                       "DATABASE()")
        self.assertEqual(rows, [[None, b"1", b"test"]])

    def test_raw_client_and_init_db(self):
        r = self.raw()
        ok = r.login(database=None)
        self.assertEqual(ok[:1], b"\x00")
        self.assertEqual(r.query("SELECT DATABASE()")[2], [[None]])
        r.command(harness.COM_INIT_DB, b"test")
        self.assertEqual(r.read_result()[0], "ok")
        self.assertEqual(r.query("SELECT DATABASE(), 1 + 1")[1:3],
                         (["DATABASE()", "1 + 1"], [[b"test", b"2"]]))
        r.command(harness.COM_INIT_DB, b"q_nosuchdb")
        with self.assertRaises(harness.ServerError) as cm:
            r.read_result()
        self.assertEqual((cm.exception.code, cm.exception.sqlstate, cm.exception.message),
                         (1049, "42000", "Unknown database 'q_nosuchdb'"))
        r.command(harness.COM_QUIT)
        self.assertIsNone(r.read_until_closed_or_packet())
