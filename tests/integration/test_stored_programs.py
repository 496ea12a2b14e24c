"""Stored programs through the pool answer as they do directly (issue 11).

Regression (conformance run, item 2, "stored programs with cursors hang the client"): while a
stored program has a cursor of its own open, every result it sends is flagged CURSOR_EXISTS
(with MORE_RESULTS). mypool took that flag for the end of a binary-protocol execute that opened
a cursor, stopped reading after the column definitions, and the client waited for ever. Every
statement here runs directly first (which gives the expected answer), then through mypool, in
the text protocol (PyMySQL, the mariadb CLI) and the binary protocol (tx_binary.c).
"""

import subprocess

import harness
from test_transaction import build_helper, q, root_exec

PROC = """CREATE PROCEDURE test.tx_sp_cursor()
BEGIN
  DECLARE done INT DEFAULT 0;
  DECLARE v INT;
  DECLARE c CURSOR FOR SELECT seq FROM seq_1_to_3;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  OPEN c;
  l: LOOP
    FETCH c INTO v;
    IF done THEN LEAVE l; END IF;
    SELECT v, v * v AS sq;
  END LOOP;
  CLOSE c;
  SELECT 'closed' AS s;
END"""

STATEMENTS = [
    "CALL test.tx_sp_cursor()",
    "BEGIN NOT ATOMIC DECLARE v INT; DECLARE cur CURSOR FOR VALUES(7); OPEN cur; FETCH cur INTO v; SELECT v; END",
    # The cursor still open when the program ends.
    "BEGIN NOT ATOMIC DECLARE v INT; DECLARE cur CURSOR FOR SELECT seq FROM seq_1_to_5; OPEN cur; "
    "FETCH cur INTO v; SELECT v; FETCH cur INTO v; SELECT v, 'two'; END",
    # Two cursors, one result with no rows.
    "BEGIN NOT ATOMIC DECLARE a, b INT; DECLARE c1 CURSOR FOR VALUES(1); DECLARE c2 CURSOR FOR VALUES(2); "
    "OPEN c1; OPEN c2; FETCH c1 INTO a; FETCH c2 INTO b; SELECT a, b; SELECT 1 FROM DUAL WHERE 0; "
    "CLOSE c1; SELECT b; END",
]


def all_results(conn, sql):
    """Every result set of sql (rows, or the affected count of an OK), in order."""
    cur = conn.cursor()
    out = []
    cur.execute(sql)
    while True:
        out.append(tuple(cur.fetchall()) if cur.description else ("ok", cur.rowcount))
        if not cur.nextset():
            return out


class StoredProgramCursorTest(harness.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root_exec("DROP PROCEDURE IF EXISTS test.tx_sp_cursor", PROC)

    def test_text_protocol(self):
        direct = self.direct()
        c = self.connect(autocommit=True, read_timeout=harness.scaled(10))
        for sql in STATEMENTS:
            with self.subTest(sql=sql):
                want = all_results(direct, sql)
                self.assertEqual(all_results(c, sql), want)
                self.assertEqual(q(c, "SELECT 'next'"), (("next",),))

    def test_cli(self):
        for sql in STATEMENTS:
            with self.subTest(sql=sql):
                want = self.cli(sql, target=self.sandbox.socket, args=["--delimiter=//"])
                self.assertEqual(want[0], 0, want)
                self.assertEqual(self.cli(sql, args=["--delimiter=//"], timeout=20), want)

    def test_binary_protocol(self):
        exe = build_helper()

        def transcript(target):
            p = subprocess.run([exe, target, harness.APP_USER, harness.APP_PASSWORD, "test", "sp_cursor"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=harness.scaled(30))
            self.assertEqual(p.returncode, 0, p.stdout)
            return p.stdout.splitlines()

        want = transcript(self.sandbox.socket)
        self.assertEqual(want[-1], "DONE")
        self.assertIn("R s0 3|9", want)
        self.assertIn("R s1 7", want)
        self.assertEqual(transcript(self.target), want)
