"""caching_sha2_password toward clients: the fast path from a known SHA256(SHA256(password)),
full authentication over the Unix socket (which fills the cache for "*HEX" users)."""

import socket
import subprocess
import unittest

import harness
from harness import Mypoold


def cli_login(sock, user, password, tcp_port=None):
    where = ["-h", "127.0.0.1", "-P", str(tcp_port), "--protocol=tcp"] if tcp_port else ["-S", sock]
    p = subprocess.run(["mariadb", "--no-defaults"] + where + ["-u", user, "-p" + password,
                        "--default-auth=caching_sha2_password", "-N", "-B", "-e", "SELECT 42"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


@unittest.skipIf(harness.DIRECT, "MariaDB's accounts here use mysql_native_password")
class CachingSha2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        users = {harness.APP_USER: harness.APP_PASSWORD, harness.HASH_USER: harness.native_password_hash(harness.HASH_PASSWORD)}
        cls.daemon = Mypoold(users=users, log_level="debug")
        cls.daemon.start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def test_fast_path_with_plain_password(self):
        rc, out, err = cli_login(self.daemon.socket, harness.APP_USER, harness.APP_PASSWORD)
        self.assertEqual((rc, out), (0, "42"), err)
        self.assertIn("caching_sha2_password: fast authentication", self.daemon.log_text())

    def test_full_then_fast_for_hashed_user(self):
        before = self.daemon.log_text().count("caching_sha2_password: full authentication")
        rc, out, err = cli_login(self.daemon.socket, harness.HASH_USER, harness.HASH_PASSWORD)
        self.assertEqual((rc, out), (0, "42"), err)
        log = self.daemon.log_text()
        self.assertEqual(log.count("caching_sha2_password: full authentication"), before + 1)
        fast = log.count("caching_sha2_password: fast authentication")
        rc, out, err = cli_login(self.daemon.socket, harness.HASH_USER, harness.HASH_PASSWORD)
        self.assertEqual((rc, out), (0, "42"), err)
        log = self.daemon.log_text()
        self.assertEqual(log.count("caching_sha2_password: fast authentication"), fast + 1)
        self.assertEqual(log.count("caching_sha2_password: full authentication"), before + 1)

    def test_wrong_passwords(self):
        for user in (harness.APP_USER, harness.HASH_USER):
            rc, out, err = cli_login(self.daemon.socket, user, "wrong")
            self.assertNotEqual(rc, 0)
            self.assertIn("ERROR 1045 (28000): Access denied for user '%s'@'localhost' (using password: YES)" % user, err)

    def test_tcp_client_of_hashed_user_is_switched_to_native(self):
        """Full authentication over TCP would need an RSA key or TLS; such a client is switched
        to mysql_native_password instead (as MariaDB switches clients it cannot serve)."""
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        users = {harness.APP_USER: harness.APP_PASSWORD,
                 harness.HASH_USER: harness.native_password_hash(harness.HASH_PASSWORD)}
        d = Mypoold(users=users, log_level="debug", listen_tcp="127.0.0.1:%d" % port).start()
        self.addCleanup(d.stop)
        rc, out, err = cli_login(None, harness.HASH_USER, harness.HASH_PASSWORD, tcp_port=port)
        self.assertEqual((rc, out), (0, "42"), err)
        self.assertIn("switching a TCP client to mysql_native_password", d.log_text())
        rc, out, err = cli_login(None, harness.HASH_USER, "wrong", tcp_port=port)
        self.assertNotEqual(rc, 0)
        self.assertIn("Access denied for user '%s'@'127.0.0.1'" % harness.HASH_USER, err)
        rc, out, err = cli_login(None, harness.APP_USER, harness.APP_PASSWORD, tcp_port=port)
        self.assertEqual((rc, out), (0, "42"), err)  # a plain password: the fast path
