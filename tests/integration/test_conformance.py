"""The conformance script (tests/conformance/conformance.py) as an integration test: every check
straight against MariaDB and through mypoold (in the suite's default pool mode), zero
differences outside the documented ones (docs/conformance.md).

In direct mode it compares MariaDB with itself, which proves the checks are deterministic.
The full report is kept in the run's temp dir (MYPOOL_TEST_KEEP=1 keeps it).
"""

import io
import os
import sys

import harness

CONFORMANCE_DIR = os.path.join(harness.SRCDIR, "tests", "conformance")


class ConformanceTest(harness.TestCase):

    def test_conformance(self):
        self.assertTrue(os.path.exists(os.path.join(CONFORMANCE_DIR, "conformance.py")),
                        "tests/conformance/conformance.py is missing from %s" % harness.SRCDIR)
        if CONFORMANCE_DIR not in sys.path:
            sys.path.insert(0, CONFORMANCE_DIR)
        import conformance

        names = ("direct", "direct2" if harness.DIRECT else "mypool")
        try:
            diffs, a, b = conformance.compare(self.sandbox.socket, self.target, self.sandbox)
        finally:
            self.sandbox.query("DROP DATABASE IF EXISTS %s" % conformance.DB)
        text = io.StringIO()
        bad = conformance.report(diffs, a, names, show_allowed=True, out=text, b_answers=b)
        report = text.getvalue()
        path = os.path.join(harness.tmp_root(), "conformance-report.txt")
        with open(path, "w") as f:
            f.write(report)
        summary = report.strip().splitlines()[-1]
        harness.log(summary)
        if bad:
            lines = report.splitlines()
            shown = "\n".join(lines[:400])
            more = "\n... %d more lines (full report: %s)" % (len(lines) - 400, path) \
                if len(lines) > 400 else ""
            self.fail("%d difference(s) between MariaDB and mypoold outside the documented ones "
                      "(docs/conformance.md):\n%s%s" % (bad, shown, more))
