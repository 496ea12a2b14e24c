"""netfuzz: a network fuzzer for the whole daemon.

Hostile clients replay sessions of real commands (a handshake response, then a mix of COM_QUERY,
COM_INIT_DB, COM_STMT_*, COM_CHANGE_USER, ... and the odd packet above 1 MiB or 16 MiB) with
mutations: bit and byte flips, truncation, corrupted 3-byte lengths, wrong sequence ids, duplicated
and reordered packets, packets split into small writes with pauses, abrupt close or a stall
mid-packet, replies never read. Beside them, well-behaved clients (PyMySQL, and one on the binary
protocol) run statements with known results in a loop. The daemon must stay up (its worker never
respawned, no sanitizer report), every well-behaved result must be right and on time, each hostile
connection that waits must be closed within a bounded time, and the worker's client sockets and
files must return to their baseline once the hostile clients are gone.

Everything comes from one seed: each case gets its own seed from it (`Case.seed`), so one case is
rebuilt with `build_case(seed, ...)`; what a case sent (the bytes of every write, with the pauses)
is kept, and saved as <out>/case-<id>.json and .bin when it is a suspect of a failure.

Used by tests/integration/test_netfuzz.py (a bounded run in CI) and bench/netfuzz (by hand).
"""

import collections
import json
import os
import random
import re
import socket
import struct
import threading
import time
import traceback

import harness

STEADY_USER, STEADY_PASSWORD = "steady", "steadypw"
ADMIN_USER, ADMIN_PASSWORD = "nfadmin", "nfadminpw"  # the admin console, for diagnostics

# The daemon's timeouts are short so that a hostile connection that stops talking is closed soon:
# one that is not closed within LINGER_BOUND seconds (scaled) of its last byte is a hang.
IDLE_TIMEOUT_S = 3
LOGIN_TIMEOUT_S = 2
LINGER_BOUND_S = 12
# A send that blocks this long (the daemon stopped reading: backpressure, replies not read) ends a
# case; not a failure by itself.
SEND_TIMEOUT_S = 5

COM_SLEEP = 0x00
COM_QUIT = 0x01
COM_INIT_DB = 0x02
COM_QUERY = 0x03
COM_FIELD_LIST = 0x04
COM_STATISTICS = 0x09
COM_PROCESS_INFO = 0x0A
COM_PROCESS_KILL = 0x0C
COM_PING = 0x0E
COM_CHANGE_USER = 0x11
COM_STMT_PREPARE = 0x16
COM_STMT_EXECUTE = 0x17
COM_STMT_SEND_LONG_DATA = 0x18
COM_STMT_CLOSE = 0x19
COM_STMT_RESET = 0x1A
COM_SET_OPTION = 0x1B
COM_STMT_FETCH = 0x1C
COM_RESET_CONNECTION = 0x1F

CLIENT_LOCAL_FILES = 0x80
CLIENT_CONNECT_ATTRS = 0x100000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000
CLIENT_PS_MULTI_RESULTS = 0x40000

MYSQL_TYPE_LONGLONG = 0x08
MYSQL_TYPE_LONG = 0x03
MYSQL_TYPE_VAR_STRING = 0xFD
MYSQL_TYPE_STRING = 0xFE
MYSQL_TYPE_BLOB = 0xFC
INT_SIZES = {0x01: 1, 0x02: 2, 0x03: 4, 0x09: 4, 0x08: 8}  # TINY, SHORT, LONG, INT24, LONGLONG


def daemon_users():
    """mypool's [users]: app (the hostile clients) and steady (the well-behaved ones; KILL works
    only within one mypool user, so no hostile KILL can reach them)."""
    return {harness.APP_USER: harness.APP_PASSWORD,
            harness.HASH_USER: harness.native_password_hash(harness.HASH_PASSWORD),
            STEADY_USER: STEADY_PASSWORD, ADMIN_USER: ADMIN_PASSWORD}


def daemon_config(clients, steady):
    return dict(pool_size=clients + steady + 8, client_idle_timeout="%ds" % IDLE_TIMEOUT_S,
                client_login_timeout="%ds" % LOGIN_TIMEOUT_S,
                idle_transaction_timeout="%ds" % IDLE_TIMEOUT_S, max_allowed_packet="20M",
                client_read_timeout="%ds" % IDLE_TIMEOUT_S, client_write_timeout="%ds" % IDLE_TIMEOUT_S,
                pool_wait_timeout="10s", admin_users=ADMIN_USER)


def admin_show(socket_path, what):
    """The admin console's SHOW <what> (CLIENTS, SERVERS, ...) as text, for a failure report."""
    rc, out, err = harness.cli(socket_path, "SHOW " + what, user=ADMIN_USER, password=ADMIN_PASSWORD,
                               database="mypool", args=["--column-names"])
    return "SHOW %s (rc %d):\n%s%s" % (what, rc, out, err)


KNOWN_ROWS = [(i, "row-%03d-%s" % (i, "k" * (i % 17))) for i in range(1, 101)]


def prepare_schema(sb):
    """The tables: netfuzz_known (fixed rows the oracle reads), netfuzz_tx (the oracle's
    rolled-back inserts), netfuzz_h and netfuzz_load (the hostile clients' own)."""
    c = sb.connect()
    try:
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS netfuzz_known, netfuzz_tx, netfuzz_h, netfuzz_load")
            cur.execute("CREATE TABLE netfuzz_known (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB")
            cur.executemany("INSERT INTO netfuzz_known VALUES (%s, %s)", KNOWN_ROWS)
            cur.execute("CREATE TABLE netfuzz_tx (owner INT, n INT, KEY (owner)) ENGINE=InnoDB")
            cur.execute("CREATE TABLE netfuzz_h (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT) ENGINE=InnoDB")
            cur.execute("CREATE TABLE netfuzz_load (a INT, b VARCHAR(100)) ENGINE=InnoDB")
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# Wire helpers

def frame(payload, seq):
    """payload as packets from seq on (split in 0xFFFFFF pieces, with the empty tail packet when
    the last piece is full)."""
    out = []
    pos = 0
    while True:
        piece = payload[pos:pos + 0xFFFFFF]
        out.append(len(piece).to_bytes(3, "little") + bytes([seq & 0xFF]) + piece)
        seq += 1
        pos += len(piece)
        if len(piece) < 0xFFFFFF:
            return out


lenenc_int = harness.lenenc_int


def lenenc_str(b):
    return lenenc_int(len(b)) + b


# ---------------------------------------------------------------------------------------------
# Sessions: what a real client sends, as groups of packets (a group is sent, then its replies
# are read).

class Group:
    __slots__ = ("frames", "what")

    def __init__(self, frames, what):
        self.frames = frames  # list of bytes, each one packet with its header
        self.what = what


def handshake_response(rng, scramble, user, password, database, plugin, caps, attrs):
    if plugin == "mysql_native_password":
        token = harness.native_password_token(password, scramble) if password else b""
    else:
        token = bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 20, 32, 64))))
    if database is not None:
        caps |= harness.CLIENT_CONNECT_WITH_DB
    if attrs:
        caps |= CLIENT_CONNECT_ATTRS
    p = struct.pack("<IIB", caps, 16 * 1024 * 1024, rng.choice((45, 33, 8, 28, 63, 224))) + b"\0" * 23
    p += user.encode() + b"\0"
    if caps & CLIENT_PLUGIN_AUTH_LENENC:
        p += lenenc_str(token)
    else:
        p += bytes([len(token)]) + token
    if database is not None:
        p += database.encode() + b"\0"
    if caps & harness.CLIENT_PLUGIN_AUTH:
        p += plugin.encode() + b"\0"
    if attrs:
        kv = b""
        for k, v in (("_client_name", "netfuzz"), ("_pid", str(rng.randrange(1, 99999))),
                     ("program_name", "x" * rng.choice((1, 30, 300)))):
            kv += lenenc_str(k.encode()) + lenenc_str(v.encode())
        p += lenenc_str(kv)
    return p


QUERIES = [
    "SELECT 1", "SELECT @@version, @@session.autocommit", "SELECT 1; SELECT 2",
    "SELECT * FROM netfuzz_known ORDER BY id", "SELECT REPEAT('z', 70000)",
    "SET NAMES gbk", "SET NAMES utf8mb4", "SET @u = 'v\xe9', @w = 2", "SELECT @u, @w",
    "SET autocommit = 0", "SET autocommit = 1", "BEGIN", "COMMIT", "ROLLBACK",
    "INSERT INTO netfuzz_h (v) VALUES ('fuzz')", "SELECT COUNT(*) FROM netfuzz_h",
    "DELETE FROM netfuzz_h WHERE id % 7 = 0 LIMIT 5", "SHOW WARNINGS", "SELECT 1/0",
    "SELECT SQL_CALC_FOUND_ROWS 1; SELECT FOUND_ROWS()", "SELECT LAST_INSERT_ID()",
    "SET SESSION sql_mode = 'ANSI'", "SET @@session.wait_timeout = 100", "USE test",
    "SELECT SLEEP(0.05)", "DO 1", "SELECT CONNECTION_ID()", "SHOW PROCESSLIST",
    "LOCK TABLES netfuzz_known READ", "UNLOCK TABLES", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "XA START 'nf'", "XA END 'nf'", "XA ROLLBACK 'nf'", "PREPARE s FROM 'SELECT ?'",
    "EXECUTE s USING @w", "DEALLOCATE PREPARE s", "SELECT * FROM no_such_table",
    "SELECT GET_LOCK('nf', 0)", "SELECT RELEASE_LOCK('nf')", "CREATE TEMPORARY TABLE t (a INT)",
    "SELECT '\xe4\xb8\xad'", "KILL QUERY 999999", "KILL 0", "HELP 'x'", "SELECT",
]


class Builder:
    """Builds the commands of one session from an RNG; `kill_ids` are connection ids (of hostile
    sessions) that KILL may name."""

    def __init__(self, rng, greeting, kill_ids, big_ok, huge_ok):
        self.rng = rng
        self.g = greeting
        self.kill_ids = kill_ids
        self.big_ok = big_ok
        self.huge_ok = huge_ok
        self.stmt_ids = [1, 1, 2, 3]
        self.notes = []

    def login(self):
        rng = self.rng
        user, password = harness.APP_USER, harness.APP_PASSWORD
        kind = rng.choices(["good", "wrongpw", "nouser", "hashuser", "nopw"], [70, 8, 7, 10, 5])[0]
        if kind == "wrongpw":
            password = "nope"
        elif kind == "nouser":
            user = rng.choice(["nosuch", "root", "", "x" * 300])
        elif kind == "hashuser":
            user, password = harness.HASH_USER, harness.HASH_PASSWORD
        elif kind == "nopw":
            password = ""
        plugin = rng.choices(["mysql_native_password", "caching_sha2_password", "client_ed25519",
                              "sha256_password", "dialog"], [70, 12, 10, 4, 4])[0]
        caps = harness.RAW_DEFAULT_CAPS | CLIENT_LOCAL_FILES | CLIENT_PS_MULTI_RESULTS
        if rng.random() < 0.5:
            caps |= harness.CLIENT_MULTI_STATEMENTS
        if rng.random() < 0.2:
            caps |= CLIENT_PLUGIN_AUTH_LENENC
        if rng.random() < 0.1:
            caps |= harness.CLIENT_FOUND_ROWS
        if rng.random() < 0.05:
            caps &= ~harness.CLIENT_PLUGIN_AUTH
        if rng.random() < 0.05:
            caps |= rng.getrandbits(32)
        database = rng.choice([None, "test", "test", "nosuchdb", "mysql"])
        attrs = rng.random() < 0.3
        self.notes.append("login %s %s db=%s attrs=%d caps=0x%x" % (kind, plugin, database, attrs, caps))
        p = handshake_response(rng, self.g["scramble"], user, password, database, plugin, caps, attrs)
        return Group(frame(p, 1), "handshake")

    def command(self):
        rng = self.rng
        k = rng.choices(
            ["query", "multi", "load", "kill", "init_db", "field_list", "ping", "statistics",
             "set_option", "change_user", "reset", "process_kill", "stmt", "unknown", "big",
             "huge", "quit_mid"],
            [30, 5, 4, 4, 4, 3, 4, 2, 3, 3, 3, 3, 15, 3, 3, 1, 1])[0]
        if k == "big" and not self.big_ok:
            k = "query"
        if k == "huge" and not self.huge_ok():
            k = "query"
        return getattr(self, "c_" + k)()

    def one(self, payload, what):
        return [Group(frame(payload, 0), what)]

    def c_query(self):
        q = self.rng.choice(QUERIES)
        return self.one(b"\x03" + q.encode("latin-1"), "query")

    def c_multi(self):
        qs = "; ".join(self.rng.choice(QUERIES) for _ in range(self.rng.randint(2, 5)))
        return self.one(b"\x03" + qs.encode("latin-1"), "multi")

    def c_load(self):
        rng = self.rng
        q = b"\x03LOAD DATA LOCAL INFILE 'nf.csv' INTO TABLE netfuzz_load FIELDS TERMINATED BY ','"
        groups = self.one(q, "load")
        rows = b"".join(b"%d,row%d\n" % (i, i) for i in range(rng.choice((1, 10, 3000))))
        frames = []
        seq = 2
        for i in range(0, len(rows), 4096):
            frames += frame(rows[i:i + 4096], seq)
            seq += 1
        frames += frame(b"", seq)
        if rng.random() < 0.3:
            frames = frames[:1] if rng.random() < 0.5 else frames[:-1]  # no end, or no data
        groups.append(Group(frames, "load-data"))
        return groups

    def kill_target(self):
        rng = self.rng
        own = self.g["conn_id"]
        ids = list(self.kill_ids)
        return rng.choice([own, own, 0, 0xFFFFFFFF, 1 << 40, rng.choice(ids) if ids else own])

    def c_kill(self):
        verb = self.rng.choice(["KILL", "KILL QUERY", "KILL CONNECTION", "KILL HARD QUERY",
                                "KILL USER app", "KILL QUERY ID"])
        target = self.kill_target()
        if self.rng.random() < 0.4 and target == self.g["conn_id"]:
            return self.one(b"\x03" + ("%s %d" % (verb, target)).encode(), "kill-own")
        return self.one(b"\x03" + ("%s %d" % (verb, target)).encode(), "kill")

    def c_process_kill(self):
        return self.one(b"\x0c" + struct.pack("<I", self.kill_target() & 0xFFFFFFFF), "process_kill")

    def c_init_db(self):
        return self.one(b"\x02" + self.rng.choice([b"test", b"mysql", b"nosuchdb", b"", b"t\0x"]),
                        "init_db")

    def c_field_list(self):
        return self.one(b"\x04" + self.rng.choice([b"netfuzz_known\0", b"netfuzz_h\0v%",
                                                   b"nosuch\0", b"", b"netfuzz_known"]), "field_list")

    def c_ping(self):
        return self.one(b"\x0e", "ping")

    def c_statistics(self):
        return self.one(b"\x09", "statistics")

    def c_set_option(self):
        return self.one(b"\x1b" + struct.pack("<H", self.rng.choice((0, 1, 2, 0xFFFF))), "set_option")

    def c_change_user(self):
        rng = self.rng
        user, password = rng.choice([(harness.APP_USER, harness.APP_PASSWORD),
                                     (harness.HASH_USER, harness.HASH_PASSWORD),
                                     (harness.APP_USER, "bad"), ("nosuch", "x")])
        token = harness.native_password_token(password, self.g["scramble"])
        p = b"\x11" + user.encode() + b"\0" + bytes([len(token)]) + token
        p += rng.choice([b"test", b"", b"nosuchdb"]) + b"\0"
        p += struct.pack("<H", rng.choice((45, 33, 28)))
        p += rng.choice([b"mysql_native_password", b"caching_sha2_password", b"client_ed25519"]) + b"\0"
        if rng.random() < 0.3:
            p += lenenc_str(lenenc_str(b"_client_name") + lenenc_str(b"netfuzz"))
        return self.one(p, "change_user")

    def c_reset(self):
        return self.one(b"\x1f", "reset_connection")

    def c_unknown(self):
        cmd = self.rng.choice([0x00, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0D, 0x0F, 0x10, 0x12,
                               0x13, 0x14, 0x15, 0x1D, 0x1E, 0x20, 0x7F, 0xEE, 0xFE, 0xFF])
        return self.one(bytes([cmd]) + bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 12))),
                        "unknown-0x%02x" % cmd)

    def c_quit_mid(self):
        return self.one(b"\x01", "quit")

    def c_big(self):
        """A statement above 1 MiB: mypool streams it instead of buffering it."""
        rng = self.rng
        n = rng.choice((1024 * 1024 - 20, 1024 * 1024 + 1, rng.randint(1 << 20, 3 << 20)))
        kind = rng.choice(["select", "insert", "prepare", "long_data"])
        if kind == "select":
            p = b"\x03SELECT LENGTH('" + b"b" * n + b"')"
        elif kind == "insert":
            p = b"\x03INSERT INTO netfuzz_h (v) VALUES ('" + b"i" * n + b"')"
        elif kind == "prepare":
            p = b"\x16SELECT ? /*" + b"p" * n + b"*/"
        else:
            p = b"\x18" + struct.pack("<IH", rng.choice(self.stmt_ids), 0) + b"L" * n
        return self.one(p, "big-%s-%d" % (kind, len(p)))

    def c_huge(self):
        """A packet of 16 MiB or more: continuation packets (max_allowed_packet is 20M)."""
        rng = self.rng
        n = rng.choice((0xFFFFFF - 16, 0xFFFFFF + rng.randint(0, 1000), 21 * 1024 * 1024))
        p = b"\x03SELECT LENGTH('" + b"h" * (n - 18) + b"')"
        return self.one(p, "huge-%d" % len(p))

    def c_stmt(self):
        """COM_STMT_PREPARE then a few of EXECUTE (with and without new-params-bound, with a
        cursor), SEND_LONG_DATA, FETCH, RESET, CLOSE."""
        rng = self.rng
        sql = rng.choice([b"SELECT ?, CONCAT('v', ?)", b"SELECT id, v FROM netfuzz_known WHERE id > ?",
                          b"INSERT INTO netfuzz_h (v) VALUES (?)", b"SELECT ?", b"SELECT 1",
                          b"SELECT * FROM netfuzz_known", b"CALL nothing(?)", b"SELECT ? FROM"])
        nparams = sql.count(b"?")
        groups = self.one(b"\x16" + sql, "stmt_prepare")
        for _ in range(rng.randint(1, 5)):
            sid = rng.choice(self.stmt_ids)
            op = rng.choices(["exec", "long", "fetch", "reset", "close"], [10, 3, 3, 2, 2])[0]
            if op == "exec":
                flags = rng.choice((0, 0, 1, 2, 4, 0x80))
                p = b"\x17" + struct.pack("<IBI", sid, flags, 1)
                n = rng.choice((nparams, nparams, rng.randint(0, 4)))
                if n:
                    p += bytes([rng.choice((0, 0, 0xFF))]) * ((n + 7) // 8)
                    bound = rng.random() < 0.7
                    p += b"\x01" if bound else b"\x00"
                    if bound:
                        types = [rng.choice((MYSQL_TYPE_LONGLONG, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_LONG,
                                             MYSQL_TYPE_BLOB, 0x0F, 0xF6)) for _ in range(n)]
                        p += b"".join(bytes([t, rng.choice((0, 0, 0x80))]) for t in types)
                        for t in types:
                            if t == MYSQL_TYPE_LONGLONG:
                                p += struct.pack("<q", rng.randint(-5, 200))
                            elif t == MYSQL_TYPE_LONG:
                                p += struct.pack("<i", rng.randint(-5, 200))
                            else:
                                p += lenenc_str(b"s" * rng.choice((0, 5, 300, 70000)))
                groups += self.one(p, "stmt_execute-f%d" % flags)
            elif op == "long":
                p = b"\x18" + struct.pack("<IH", sid, rng.choice((0, 1, 7))) + b"d" * rng.choice((0, 10, 9000))
                groups += self.one(p, "stmt_send_long_data")
            elif op == "fetch":
                groups += self.one(b"\x1c" + struct.pack("<II", sid, rng.choice((1, 5, 1000, 0))), "stmt_fetch")
            elif op == "reset":
                groups += self.one(b"\x1a" + struct.pack("<I", sid), "stmt_reset")
            else:
                groups += self.one(b"\x19" + struct.pack("<I", sid), "stmt_close")
        return groups


# ---------------------------------------------------------------------------------------------
# Mutations: on the list of groups (each a list of framed packets).

INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF)


def _pick_frame(rng, groups):
    """(group index, frame index) of a random packet, biased to small ones (not the greeting)."""
    cand = [(gi, fi) for gi, g in enumerate(groups) for fi in range(len(g.frames))]
    return rng.choice(cand) if cand else None


def mutate(rng, groups, stats):
    """Apply 0..4 mutations in place; return their names."""
    names = []
    n = rng.choices([0, 1, 2, 3, 4], [20, 40, 20, 12, 8])[0]
    for _ in range(n):
        m = rng.choices(["bitflip", "byteset", "truncate", "len_short", "len_long", "len_wild",
                         "seq", "dup", "reorder", "drop", "junk", "swap_groups"],
                        [14, 10, 10, 6, 6, 6, 8, 6, 6, 5, 5, 4])[0]
        where = _pick_frame(rng, groups)
        if where is None:
            break
        gi, fi = where
        f = bytearray(groups[gi].frames[fi])
        if m == "bitflip":
            for _ in range(rng.randint(1, 4) if f else 0):
                i = rng.randrange(len(f)) if rng.random() < 0.7 or len(f) < 40 else rng.randrange(min(len(f), 40))
                f[i] ^= 1 << rng.randrange(8)
        elif m == "byteset":
            if f:
                i = rng.randrange(4, len(f)) if len(f) > 4 else rng.randrange(len(f))
                f[i] = rng.choice(INTERESTING)
        elif m == "truncate":
            # at the header, right after it, after the command byte, mid-payload, one byte short
            cut = rng.choice((rng.randint(0, 3), 4, 5, rng.randrange(len(f)) if len(f) else 0,
                              max(0, len(f) - 1)))
            f = f[:cut]
            # the length field still says the full size: a truncated packet, then the next one
            # is read as its tail
        elif m.startswith("len"):
            length = len(f) - 4
            if m == "len_short":
                new = max(0, length - rng.randint(1, 8))
            elif m == "len_long":
                new = length + rng.randint(1, 8)
            else:
                new = rng.choice((0, 1, 0xFFFFFF, 0xFFFFFE, 1 << 20, (1 << 20) + 1, 0x800000,
                                  rng.getrandbits(24)))
            if len(f) >= 3:
                f[0:3] = (new & 0xFFFFFF).to_bytes(3, "little")
        elif m == "seq":
            if len(f) >= 4:
                f[3] = rng.choice(((f[3] + 1) & 0xFF, (f[3] - 1) & 0xFF, 0, 0xFF, rng.getrandbits(8)))
        elif m == "dup":
            groups[gi].frames.insert(fi, bytes(f))
            f = None
        elif m == "reorder":
            g2 = _pick_frame(rng, groups)
            a, b = groups[gi].frames, groups[g2[0]].frames
            a[fi], b[g2[1]] = b[g2[1]], a[fi]
            f = bytearray(a[fi])
        elif m == "drop":
            f = None
            del groups[gi].frames[fi]
        elif m == "junk":
            f = None
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40)))
            groups[gi].frames.insert(fi, junk if rng.random() < 0.5 else frame(junk, 0)[0])
        elif m == "swap_groups":
            f = None
            if len(groups) > 2:
                i, j = rng.sample(range(1, len(groups)), 2)
                groups[i], groups[j] = groups[j], groups[i]
        if f is not None:
            groups[gi].frames[fi] = bytes(f)
        names.append(m)
        stats[m] += 1
    return names


# ---------------------------------------------------------------------------------------------
# Cases

class Case:
    """One hostile connection: its seed, what it sends and how, and what it saw."""

    def __init__(self, cid, seed):
        self.id = cid
        self.seed = seed
        self.notes = []
        self.mutations = []
        self.mode = None
        self.end = None
        self.writes = []  # [(bytes, pause_after_s)], what was sent, in order
        self.outcome = None
        self.conn_id = None
        self.started = time.monotonic()
        self.finished = None
        self.wall_start = time.time()

    def record(self):
        return dict(id=self.id, seed=self.seed, conn_id=self.conn_id, mode=self.mode, end=self.end, notes=self.notes,
                    mutations=self.mutations, outcome=self.outcome, wall_start=self.wall_start,
                    duration=(self.finished or time.monotonic()) - self.started,
                    writes=[[w.hex(), p] for w, p in self.writes])

    def save(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        base = os.path.join(out_dir, "case-%d" % self.id)
        with open(base + ".json", "w") as f:
            json.dump(self.record(), f, indent=1)
        with open(base + ".bin", "wb") as f:
            f.write(b"".join(w for w, _ in self.writes))
        return base


class Hang(Exception):
    pass


def unfinished_packet(stream):
    """(announced length, bytes of it sent) of the packet the client stream ends inside, read as
    the daemon reads it (header by header); None if it ends on a packet boundary."""
    pos = 0
    while pos + 4 <= len(stream):
        n = int.from_bytes(stream[pos:pos + 3], "little")
        if pos + 4 + n > len(stream):
            return n, len(stream) - pos - 4
        pos += 4 + n
    return (None, len(stream) - pos) if pos < len(stream) else None


class HostileRunner:
    """Runs cases on one connection each."""

    def __init__(self, fuzz):
        self.fz = fuzz

    def run_case(self, case):
        fz = self.fz
        rng = random.Random(case.seed)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(harness.scaled(SEND_TIMEOUT_S))
        try:
            sock.connect(fz.socket_path)
            rc = harness.RawClient.__new__(harness.RawClient)
            rc.sock, rc.buf, rc.greeting = sock, b"", None
            g = rc.read_greeting()
            fz.note_conn_id(g["conn_id"])
            case.conn_id = g["conn_id"]
            b = Builder(rng, g, fz.recent_ids(), big_ok=rng.random() < fz.big_rate,
                        huge_ok=fz.take_huge)
            groups = [b.login()]
            for _ in range(rng.choices([0, 1, 3, 6, 12], [5, 25, 35, 25, 10])[0]):
                groups += b.command()
            case.notes = b.notes + [gr.what for gr in groups]
            case.mutations = mutate(rng, groups, fz.mutation_stats)
            case.mode = rng.choices(["lockstep", "blast", "noread"], [50, 35, 15])[0]
            case.end = rng.choices(["quit", "close", "cut", "stall", "linger"], [25, 25, 15, 10, 25])[0]
            self.deliver(rng, case, sock, rc, groups)
            case.outcome = case.outcome or "done"
        except Hang:
            raise
        except socket.timeout:
            case.outcome = "timeout"  # the daemon is not reading (backpressure): allowed
        except (OSError, EOFError) as e:
            case.outcome = "closed:%s" % type(e).__name__
        except (AssertionError, ValueError, IndexError, struct.error) as e:
            case.outcome = "greeting?%r" % e  # a greeting we cannot parse
            raise
        finally:
            sock.close()
            case.finished = time.monotonic()

    def send(self, rng, case, sock, data, style):
        if style == "whole" or len(data) <= 1:
            sock.sendall(data)
            case.writes.append((data, 0))
            return
        if style == "dribble" and len(data) < 3000:
            pos = 0
            while pos < len(data):
                n = rng.randint(1, 7)
                pause = rng.choice((0, 0, 0.001, 0.01))
                sock.sendall(data[pos:pos + n])
                case.writes.append((data[pos:pos + n], pause))
                pos += n
                if pause:
                    time.sleep(pause)
            return
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 4))))
        pos = 0
        for c in cuts + [len(data)]:
            pause = rng.choice((0, 0.005, 0.05, 0.2))
            sock.sendall(data[pos:c])
            case.writes.append((data[pos:c], pause))
            pos = c
            time.sleep(pause)

    def drain(self, sock, quiet, rc=None):
        """Read what the daemon sends until it is quiet for `quiet` s; return the bytes (b'' and
        raise EOFError if it closed)."""
        sock.settimeout(quiet)
        got = b""
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise EOFError("closed by the daemon")
                got += chunk
                if len(got) > 64 << 20:
                    break
        except socket.timeout:
            pass
        finally:
            sock.settimeout(harness.scaled(SEND_TIMEOUT_S))
        return got

    def deliver(self, rng, case, sock, rc, groups):
        fz = self.fz
        quiet = harness.scaled(0.15)
        total = sum(len(f) for g in groups for f in g.frames)
        cut_at = rng.randrange(total) if case.end in ("cut", "stall") and total else None
        sent = 0
        for gi, g in enumerate(groups):
            data = b"".join(g.frames)
            if cut_at is not None and sent + len(data) > cut_at:
                data = data[:cut_at - sent]
                self.send(rng, case, sock, data, "whole")
                fz.count("bytes", len(data))
                if case.end == "stall":
                    pause = rng.uniform(0.2, 1.5)
                    case.writes.append((b"", pause))
                    time.sleep(pause)
                    if rng.random() < 0.5:
                        case.end = "stall-linger"
                        return self.linger(case, sock)
                return  # close mid-packet
            style = rng.choices(["whole", "dribble", "split"], [70, 15, 15])[0]
            self.send(rng, case, sock, data, style)
            sent += len(data)
            fz.count("bytes", len(data))
            fz.count("packets", len(g.frames))
            if case.mode == "lockstep":
                reply = self.drain(sock, quiet if len(data) < (1 << 20) else harness.scaled(1.0))
                if gi == 0 and reply[4:5] == b"\xfe" and len(reply) > 8:
                    # AuthSwitchRequest: answer it as a real client would (mysql_native_password)
                    body = reply[4:4 + int.from_bytes(reply[:3], "little")]
                    plugin, _, data2 = body[1:].partition(b"\0")
                    tok = harness.native_password_token(harness.APP_PASSWORD, data2.rstrip(b"\0")[:20])
                    if plugin != b"mysql_native_password":
                        tok = b"\0" * 32
                    pkt = frame(tok, reply[3] + 1)[0]
                    self.send(rng, case, sock, pkt, "whole")
                    self.drain(sock, quiet)
        if case.end == "quit":
            self.send(rng, case, sock, frame(b"\x01", 0)[0], "whole")
            if case.mode != "noread":
                self.drain(sock, quiet)
        elif case.end == "linger":
            self.linger(case, sock)
        elif case.mode == "blast":
            self.drain(sock, quiet)

    def linger(self, case, sock):
        """Send nothing more and read until the daemon closes: it must, within the bound
        (client_login_timeout / client_idle_timeout, plus a statement's time)."""
        bound = harness.scaled(LINGER_BOUND_S)
        t0 = time.monotonic()
        sock.settimeout(1.0)
        while True:
            try:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
            except socket.timeout:
                pass
            except OSError:
                break
            if time.monotonic() - t0 > bound:
                case.outcome = "hang: not closed %.0f s after its last byte" % bound
                raise Hang(case.outcome)
        waited = time.monotonic() - t0
        self.fz.note_linger(waited)
        case.outcome = "closed by the daemon after %.1f s" % waited


# ---------------------------------------------------------------------------------------------
# The oracle: well-behaved clients that check every result.

class OracleError(AssertionError):
    pass


def _check(cond, what):
    if not cond:
        raise OracleError(what)


class SteadyPyMySQL:
    """A PyMySQL client (user steady) running statements with known results."""

    def __init__(self, fz, n):
        self.fz, self.n = fz, n
        self.conn = None
        self.k = 0

    def connect(self):
        self.conn = harness.connect(self.fz.socket_path, user=STEADY_USER, password=STEADY_PASSWORD,
                                    read_timeout=harness.scaled(15), write_timeout=harness.scaled(15),
                                    autocommit=True)

    def step(self):
        if self.conn is None or self.k % 25 == 0:
            if self.conn is not None:
                self.conn.close()
            self.connect()
        self.k += 1
        op = self.k % 4
        with self.conn.cursor() as cur:
            if op == 0:
                cur.execute("SELECT 1 + 1, 'known', NULL, REPEAT('a', 1000), %s", (self.k,))
                _check(cur.fetchall() == ((2, "known", None, "a" * 1000, self.k),), "SELECT of constants")
            elif op == 1:
                cur.execute("SELECT id, v FROM netfuzz_known ORDER BY id")
                _check(list(cur.fetchall()) == KNOWN_ROWS, "SELECT of netfuzz_known")
            elif op == 2:
                cur.execute("BEGIN")
                cur.execute("INSERT INTO netfuzz_tx VALUES (%s, %s)", (self.n, self.k))
                cur.execute("SELECT n FROM netfuzz_tx WHERE owner = %s", (self.n,))
                _check(cur.fetchall() == ((self.k,),), "INSERT then SELECT in a transaction")
                cur.execute("ROLLBACK")
                cur.execute("SELECT COUNT(*) FROM netfuzz_tx WHERE owner = %s", (self.n,))
                _check(cur.fetchall() == ((0,),), "the row is gone after ROLLBACK")
            else:
                cur.execute("SET @nf = %s", ("token-%d-%d" % (self.n, self.k),))
                cur.execute("SELECT @nf, DATABASE()")
                _check(cur.fetchall() == (("token-%d-%d" % (self.n, self.k), "test"),),
                       "a user variable and the schema")

    def close(self):
        if self.conn is not None:
            self.conn.close()


class SteadyBinary:
    """A raw client (user steady) on the binary protocol: COM_STMT_PREPARE once, then
    COM_STMT_EXECUTE with new parameters each time, checking the binary row."""

    SQL = b"SELECT CAST(? AS SIGNED) + 1, CONCAT('v', ?)"

    def __init__(self, fz, n):
        self.fz, self.n = fz, n
        self.rc = None
        self.k = 0

    def connect(self):
        self.rc = harness.RawClient(self.fz.socket_path, timeout=15)
        self.rc.login(user=STEADY_USER, password=STEADY_PASSWORD, database="test")
        self.rc.command(COM_STMT_PREPARE, self.SQL)
        seq, p = self.rc.read_packet()
        if p[:1] == b"\xff":
            raise harness.parse_err(p)
        _check(p[:1] == b"\x00", "COM_STMT_PREPARE answer %r" % p[:16])
        self.stmt, ncols, nparams = struct.unpack("<IHH", p[1:9])
        _check((ncols, nparams) == (2, 2), "prepared: %d columns, %d parameters" % (ncols, nparams))
        for _ in range(nparams + 1 + ncols + 1):  # definitions and their EOFs
            self.rc.read_packet()

    def step(self):
        if self.rc is None or self.k % 40 == 0:
            if self.rc is not None:
                self.rc.close()
            self.connect()
        self.k += 1
        s = ("s%d" % self.k).encode()
        p = struct.pack("<IBI", self.stmt, 0, 1) + b"\x00" + b"\x01"
        p += bytes([MYSQL_TYPE_LONGLONG, 0, MYSQL_TYPE_VAR_STRING, 0])
        p += struct.pack("<q", self.k) + lenenc_str(s)
        self.rc.command(COM_STMT_EXECUTE, p)
        got = []
        try:
            self._check_result(got, s)
        except (IndexError, struct.error, OracleError) as e:
            raise OracleError("binary protocol: %r; execute of k=%d on statement %d got %r"
                              % (e, self.k, self.stmt, got))

    def _read(self, got):
        seq, p = self.rc.read_packet()
        got.append((seq, p[:200]))
        if p[:1] == b"\xff":
            raise OracleError("ERR %r" % harness.parse_err(p))
        return p

    def _check_result(self, got, s):
        p = self._read(got)
        _check(p == b"\x02", "column count")
        types = []
        for _ in range(2):
            col = self._read(got)
            pos = 0
            for _ in range(6):
                _, pos = harness._lenenc_str(col, pos)
            types.append(col[pos + 1 + 2 + 4])
        _check(self._read(got)[:1] == b"\xfe", "EOF after columns")
        row = self._read(got)
        _check(row[:1] == b"\x00", "binary row")
        pos = 1 + (2 + 7 + 2) // 8
        vals = []
        for t in types:
            if t in INT_SIZES:  # MariaDB types CAST(? AS SIGNED) + 1 as LONG or LONGLONG
                n = INT_SIZES[t]
                vals.append(int.from_bytes(row[pos:pos + n], "little", signed=True))
                pos += n
            else:
                v, pos = harness._lenenc_str(row, pos)
                vals.append(v)
        _check(vals == [self.k + 1, b"v" + s], "binary row values %r" % (vals,))
        _check(self._read(got)[:1] == b"\xfe", "EOF after the row")

    def close(self):
        if self.rc is not None:
            self.rc.close()


# ---------------------------------------------------------------------------------------------
# /proc: the worker's descriptors

def worker_fds(pid, listen_path):
    """{'clients': sockets accepted on listen_path (the listener included), 'sockets': the other
    sockets (server connections, ...), 'other': everything else (files, eventfds, pipes)}."""
    inodes = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            cols = line.split()
            if len(cols) >= 8 and cols[7] == listen_path:
                inodes.add(cols[6])
    out = dict(clients=0, sockets=0, other=0)
    fd_dir = "/proc/%d/fd" % pid
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target.startswith("socket:["):
            out["clients" if target[8:-1] in inodes else "sockets"] += 1
        else:
            out["other"] += 1
    return out


# ---------------------------------------------------------------------------------------------
# The run

class Fuzz:
    """One run against a started Mypoold: `Fuzz(daemon, seed=..).run(seconds)` returns a report
    dict; `failures` lists what went wrong (empty when the daemon passed)."""

    def __init__(self, daemon, seed, clients=20, steady=5, out_dir=None, big_rate=0.08,
                 huge_per_10s=1, log=harness.log):
        self.d = daemon
        self.socket_path = daemon.socket
        self.seed = seed
        self.clients = clients
        self.steady = steady
        self.out_dir = out_dir or os.path.join(daemon.dir, "netfuzz-cases")
        self.big_rate = big_rate
        self.huge_per_10s = huge_per_10s
        self.log = log
        self.lock = threading.Lock()
        self.master = random.Random(seed)
        self.next_id = 0
        self.active = {}
        self.recent = collections.deque(maxlen=100)
        self.conn_ids = collections.deque(maxlen=50)
        self.by_conn = {}  # mypool session id -> Case (the writes of old ones dropped)
        self.failures = []
        self.suspects_saved = {}
        self.mutation_stats = collections.Counter()
        self.stats = collections.Counter()
        self.outcomes = collections.Counter()
        self.linger_max = 0.0
        self.huge_used = 0
        self.t0 = None
        self.stop_event = threading.Event()
        self.fatal = False  # the daemon died or reported: stop the run
        self.failure_kinds = collections.Counter()

    # -- shared bookkeeping ------------------------------------------------------------------

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def note_conn_id(self, cid):
        with self.lock:
            self.conn_ids.append(cid)

    def recent_ids(self):
        with self.lock:
            return list(self.conn_ids)

    def note_linger(self, waited):
        with self.lock:
            self.linger_max = max(self.linger_max, waited)

    def take_huge(self):
        with self.lock:
            allowed = 1 + int((time.monotonic() - self.t0) / 10 * self.huge_per_10s)
            if self.huge_used < min(allowed, self.huge_per_10s * 1000):
                self.huge_used += 1
                return True
            return False

    def new_case(self):
        with self.lock:
            self.next_id += 1
            c = Case(self.next_id, self.master.getrandbits(63))
            self.active[c.id] = c
            return c

    def fail(self, what, cases=None, kind=None):
        """Record a failure; save the suspect cases (the given ones, else every case active now
        or finished in the last 3 s). Of each kind, only the first 3 are recorded; the others
        are counted in `repeats`."""
        now = time.monotonic()
        kind = kind or what.split("\n")[0][:60]
        with self.lock:
            self.failure_kinds[kind] += 1
            if self.failure_kinds[kind] > 3:
                return
            if cases is None:
                cases = list(self.active.values()) + [c for c in self.recent
                                                      if c.finished and now - c.finished < 3]
            saved = []
            for c in cases:
                if c.id not in self.suspects_saved:
                    self.suspects_saved[c.id] = c
                saved.append(c.save(self.out_dir))
            self.failures.append(dict(what=what, at=round(now - self.t0, 2), saved=saved,
                                      seeds=[(c.id, c.seed) for c in cases]))
        self.log("netfuzz FAILURE at %.1f s: %s; %d suspect cases saved in %s"
                 % (now - self.t0, what, len(saved), self.out_dir))

    # -- threads -----------------------------------------------------------------------------

    def hostile(self):
        r = HostileRunner(self)
        while not self.stop_event.is_set():
            case = self.new_case()
            try:
                r.run_case(case)
            except Hang as e:
                # the greeting was read before the first write; the stream is the client's
                left = unfinished_packet(b"".join(w for w, _ in case.writes))
                if not left:
                    where, kind = "it stopped on a packet boundary", "hang (stopped on a packet boundary)"
                elif left[0] is None:
                    where = "it stopped inside a packet header (%d of its 4 bytes sent)" % left[1]
                    kind = "hang (stopped inside a packet header)"
                else:
                    where = "it stopped inside a packet of %d bytes (announced), %d of them sent" % left
                    kind = "hang (stopped inside a packet of %s)" % (
                        "more than 1 MiB" if left[0] > (1 << 20) else "at most 1 MiB")
                self.fail("hostile case %d (seed %d): %s; %s; it sent %s with mutations %s"
                          % (case.id, case.seed, e, where, case.notes, case.mutations), [case],
                          kind=kind)
            except Exception as e:  # noqa: BLE001 - a bug of the fuzzer itself is a failure too
                self.fail("hostile case %d (seed %d): %s\n%s"
                          % (case.id, case.seed, e, traceback.format_exc()), [case])
            with self.lock:
                del self.active[case.id]
                if len(self.recent) == self.recent.maxlen and self.recent[0].id not in self.suspects_saved:
                    old = self.recent[0]
                    old.writes = [(b"", 0)] if old.writes else []  # rebuilt from its seed if needed
                    old.notes.append("(writes not kept: rebuild the case from its seed)")
                self.recent.append(case)
                if case.conn_id is not None:
                    self.by_conn[case.conn_id] = case
                self.stats["sessions"] += 1
                self.outcomes[case.outcome.split(":")[0].split(" after")[0]] += 1
                self.stats["mode_" + (case.mode or "none")] += 1
                self.stats["end_" + (case.end or "none")] += 1

    def oracle(self, client):
        while not self.stop_event.is_set():
            t = time.monotonic()
            try:
                client.step()
            except Exception as e:  # noqa: BLE001 - any error is a failure
                self.fail("well-behaved client %s #%d failed after %.1f s: %r\n%s"
                          % (type(client).__name__, client.n, time.monotonic() - t, e,
                             traceback.format_exc(limit=3)),
                          kind="oracle %s %s" % (type(client).__name__,
                                                 re.sub(r"\d+", "N", str(e).split(";")[0])[:60]))
                client.conn = client.rc = None
                client.k = 0
                self.stop_event.wait(0.5)
                continue
            self.count("oracle_ok")
            time.sleep(0.002)  # leave the two cores some room for the hostile clients
            if time.monotonic() - t > harness.scaled(10):
                self.fail("well-behaved client step took %.1f s" % (time.monotonic() - t))
        client.close()

    def monitor(self):
        seen_report = False
        while not self.stop_event.wait(0.25):
            if not self.d.alive():
                self.fatal = True
                self.fail("mypoold exited (status %s)" % self.d.proc.poll())
                return
            w = self.d.worker_pid(timeout=0.3, must=False)
            if w and w != self.d.first_worker:
                self.fatal = True
                self.fail("the worker was respawned (pid %d -> %d)" % (self.d.first_worker, w))
                return
            if not seen_report and self.d.sanitizer_report():
                seen_report = self.fatal = True
                self.fail("sanitizer report in the daemon log")

    # -- the run -----------------------------------------------------------------------------

    def run(self, seconds):
        self.log("netfuzz: seed %d, %d hostile + %d well-behaved clients, %.0f s, daemon %s"
                 % (self.seed, self.clients, self.steady, seconds, self.socket_path))
        w = self.d.first_worker
        # The baseline: one client in and out first, so the pool's first connections exist.
        c = harness.connect(self.socket_path, user=STEADY_USER, password=STEADY_PASSWORD)
        c.close()
        time.sleep(0.3)
        base = worker_fds(w, self.socket_path)
        self.t0 = time.monotonic()
        threads = [threading.Thread(target=self.monitor, daemon=True)]
        for i in range(self.steady):
            cl = SteadyBinary(self, i) if i == self.steady - 1 and self.steady > 1 else SteadyPyMySQL(self, i)
            threads.append(threading.Thread(target=self.oracle, args=(cl,), daemon=True))
        for _ in range(self.clients):
            threads.append(threading.Thread(target=self.hostile, daemon=True))
        for t in threads:
            t.start()
        next_progress = self.t0 + 30
        while time.monotonic() - self.t0 < seconds and not self.fatal and len(self.failures) < 30:
            time.sleep(0.2)
            if time.monotonic() > next_progress:
                next_progress += 30
                self.log("netfuzz: %.0f s, %d sessions, %d oracle checks"
                         % (time.monotonic() - self.t0, self.stats["sessions"], self.stats["oracle_ok"]))
        self.stop_event.set()
        # Cases finish on their own (a linger ends within the bound); no thread is left behind.
        deadline = time.monotonic() + harness.scaled(LINGER_BOUND_S) + harness.scaled(15)
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
            if t.is_alive():
                self.fail("a fuzzer thread did not finish: a connection hangs")
                break
        elapsed = time.monotonic() - self.t0
        with self.lock:
            for c in self.suspects_saved.values():  # again, now that they have finished
                c.save(self.out_dir)
        if not self.fatal:
            self.check_after(w, base)
        return self.report(elapsed, base)

    def check_after(self, w, base):
        try:
            c = harness.connect(self.socket_path, user=STEADY_USER, password=STEADY_PASSWORD)
            with c.cursor() as cur:
                cur.execute("SELECT 'after', COUNT(*) FROM netfuzz_known")
                _check(cur.fetchall() == (("after", 100),), "a fresh client after the run")
            c.close()
        except Exception as e:  # noqa: BLE001
            self.fail("a fresh client after the run: %r" % e, [])
        last = {}

        def back():
            last.update(worker_fds(w, self.socket_path))
            return last["clients"] == base["clients"] and last["other"] == base["other"]
        if not harness.wait_until(back, harness.scaled(15), 0.2):
            clients = admin_show(self.socket_path, "CLIENTS")
            left = []
            for line in clients.splitlines()[2:]:
                cols = line.split("\t")
                if cols[0].isdigit() and len(cols) > 1 and cols[1] != ADMIN_USER:
                    left.append(int(cols[0]))
            cases = [self.by_conn[i] for i in left if i in self.by_conn]
            self.fail("the worker's descriptors did not return to the baseline: %r, was %r; "
                      "sessions still open: %s (cases %s)\n%s\n%s"
                      % (last, base, left, ["%d seed %d: %s %s %s/%s" % (c.id, c.seed, c.notes, c.mutations,
                                                                        c.mode, c.end) for c in cases],
                         clients, admin_show(self.socket_path, "SERVERS")), cases, kind="fds")
        self.after_fds = last

    def report(self, elapsed, base):
        return dict(seed=self.seed, seconds=round(elapsed, 1), clients=self.clients,
                    steady=self.steady, sessions=self.stats["sessions"],
                    packets=self.stats["packets"], bytes=self.stats["bytes"],
                    mutations=sum(self.mutation_stats.values()),
                    mutation_kinds=dict(sorted(self.mutation_stats.items())),
                    modes={k[5:]: v for k, v in self.stats.items() if k.startswith("mode_")},
                    ends={k[4:]: v for k, v in self.stats.items() if k.startswith("end_")},
                    outcomes=dict(self.outcomes), huge_packets=self.huge_used,
                    oracle_checks=self.stats["oracle_ok"], failure_kinds=dict(self.failure_kinds),
                    linger_max_s=round(self.linger_max, 1),
                    fds_before=base, fds_after=getattr(self, "after_fds", None),
                    failures=self.failures)


def format_report(r):
    lines = ["netfuzz: seed %d, %.1f s, %d hostile + %d well-behaved clients"
             % (r["seed"], r["seconds"], r["clients"], r["steady"]),
             "  hostile sessions %d, packets %d, bytes %d, mutations %d, 16 MiB+ packets %d"
             % (r["sessions"], r["packets"], r["bytes"], r["mutations"], r["huge_packets"]),
             "  mutation kinds %s" % r["mutation_kinds"],
             "  modes %s, ends %s" % (r["modes"], r["ends"]),
             "  outcomes %s, longest wait for a close %.1f s" % (r["outcomes"], r["linger_max_s"]),
             "  well-behaved checks passed %d; worker fds before %s after %s"
             % (r["oracle_checks"], r["fds_before"], r["fds_after"]),
             "  failures %d, by kind %s" % (sum(r["failure_kinds"].values()), r["failure_kinds"])]
    for f in r["failures"]:
        lines.append("  FAILURE at %.1f s: %s" % (f["at"], f["what"]))
        if f["saved"]:
            lines.append("    suspect cases (.json, .bin) in %s: %s" % (
                os.path.dirname(f["saved"][0]), " ".join(os.path.basename(s) for s in f["saved"])))
    return "\n".join(lines)


def replay(path, socket_path):
    """Send a saved case again (its writes and pauses, as recorded; the password token was for
    another scramble); return what the daemon answered (b'' ... until it closed or went quiet)."""
    with open(path) as f:
        rec = json.load(f)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(socket_path)
    got = b""
    try:
        got += sock.recv(65536)
        for hexdata, pause in rec["writes"]:
            sock.sendall(bytes.fromhex(hexdata))
            time.sleep(pause)
        sock.settimeout(harness.scaled(LINGER_BOUND_S))
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    finally:
        sock.close()
    return got


def start_daemon(clients, steady, **extra):
    """The sandbox, the fuzz tables and a Mypoold configured for fuzzing (started)."""
    prepare_schema(harness.sandbox())
    cfg = daemon_config(clients, steady)
    cfg.update(extra)
    return harness.Mypoold(users=daemon_users(), **cfg).start()
