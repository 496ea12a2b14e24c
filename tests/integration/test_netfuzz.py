"""The network fuzzer (netfuzz.py), bounded: MYPOOL_NETFUZZ_SECONDS (default 20) of mutated,
truncated and reordered sessions from 20 hostile clients beside 5 well-behaved ones, against one
daemon. MYPOOL_NETFUZZ_SEED replays a run's case seeds; the seed is printed either way. Longer
runs by hand: bench/netfuzz (docs/netfuzz.md)."""

import os
import random

import harness
import netfuzz


@harness.mypool_only("fuzzes mypoold itself")
class NetFuzzTest(harness.TestCase):
    shared_daemon = False

    def test_netfuzz(self):
        seconds = float(os.environ.get("MYPOOL_NETFUZZ_SECONDS", "20"))
        seed = int(os.environ.get("MYPOOL_NETFUZZ_SEED") or random.SystemRandom().getrandbits(32))
        clients, steady = 20, 5
        d = netfuzz.start_daemon(clients, steady)
        try:
            fz = netfuzz.Fuzz(d, seed, clients=clients, steady=steady)
            report = fz.run(seconds)
        except BaseException:
            d.kill()
            raise
        harness.log(netfuzz.format_report(report))
        d.stop()  # exit 0, no sanitizer report, the worker never respawned
        self.assertGreater(report["sessions"], 0)
        self.assertGreater(report["oracle_checks"], 0)
        if report["failures"]:
            self.fail("netfuzz seed %d found %d failures:\n%s"
                      % (seed, len(report["failures"]), netfuzz.format_report(report)))
