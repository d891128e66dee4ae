"""Real mail servers for the tests: Debian's Dovecot 2.3 and Postfix 3.7, each run by hand with its own
configuration under a temporary folder, on free loopback ports, with a private certificate authority.

- Dovecot: IMAP with STARTTLS and with implicit TLS (and a plaintext port for `security: "none"` on loopback),
  users from passwd-files (one per user, changed at run time), LMTP delivery,
  and its auth service on a TCP port for Postfix's SASL.
- Postfix: submission with STARTTLS and with implicit TLS (SASL through Dovecot), a plaintext port for relay
  tests, delivery over LMTP into Dovecot, real RFC 3464 bounces for unknown users (Dovecot's LMTP refuses them,
  Postfix returns the message to its sender), and `default_transport = error`: nothing leaves the machine.

Deliberate refusals, so tests can see each stage's real answer (DESIGN T5):
- RCPT 550 5.1.1 for any local part starting with `nosuch-` (not in the virtual mailbox table);
- RCPT 450 4.2.1 for local parts starting with `later-` (an access map answer);
- RCPT 553 5.7.1 "Sender address rejected: not owned by user" when MAIL FROM is not the login
  (`smtpd_sender_login_maps` + `reject_sender_login_mismatch`, answered at RCPT as Postfix delays rejections);
- end of DATA 550 5.7.1 for a Subject containing `REJECT-CONTENT` (header_checks).

The test process trusts the private CA through `SSL_CERT_FILE` (a bundle of the CA plus the system's roots),
exactly as docs/EMAIL.md tells operators to do. Needs root (both daemons drop privileges to their own users);
`scripts/ensure_mailservers.sh` installs the packages.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "localhost"
SENDER_DOMAIN = "holdfast.test"
PROSPECT_DOMAIN = "example.test"
DOMAINS = (SENDER_DOMAIN, PROSPECT_DOMAIN)
_DOVECOT = "/usr/sbin/dovecot"
_POSTFIX = "/usr/sbin/postfix"
_MASTER = "/usr/lib/postfix/sbin/master"
_START_TIMEOUT_S = 30.0
# Dovecot's mailbox formats the rig can run (`start(mail_format=...)`): maildir (one file per message, a text
# uidlist of every file name beside the index; what the suite uses) or the indexed stores sdbox and mdbox, whose
# index is the only record of what a mailbox holds (the kind of store large providers run).
MAIL_FORMATS = {"maildir": "maildir:~/Maildir", "sdbox": "sdbox:~/sdbox", "mdbox": "mdbox:~/mdbox"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailServers:
    root: Path
    ca_bundle: Path
    ca_cert: Path
    ports: dict[str, int]
    mail_format: str = "maildir"
    started_s: float = 0.0
    _stamp: int = 0
    _users: dict[str, str] = field(default_factory=dict)
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return HOST

    # --- users -------------------------------------------------------------------------------------------

    def add_user(self, address: str, password: str) -> None:
        """Create the mailbox, or change its password. Each user has a passwd-file of its own: Dovecot opens a
        new one at once, but looks at a known file again at most once a second, so a password change waits for
        the next second before returning (then every later login sees it)."""
        if ":" in password or "\n" in password or "/" in address:
            raise ValueError("a passwd-file password cannot hold ':' or a line break, an address no '/'")
        local, _, domain = address.lower().partition("@")
        changed = address.lower() in self._users
        self._users[address.lower()] = password
        folder = self.root / "dovecot" / "users" / domain
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / local
        tmp = folder / f".{local}.tmp"
        tmp.write_text(f"{address.lower()}:{{PLAIN}}{password}::::::\n")
        # A later mtime than the version Dovecot may hold, even within one second.
        self._stamp = max(int(time.time()) - 3600, self._stamp + 1)
        os.utime(tmp, (self._stamp, self._stamp))
        tmp.replace(path)
        if changed:
            time.sleep(1.0 - time.time() % 1.0 + 0.01)

    def password(self, address: str) -> str:
        return self._users[address.lower()]

    # --- reading mailboxes back ----------------------------------------------------------------------------

    def messages(self, address: str, mailbox: str = "INBOX") -> list[bytes]:
        """Every message in the user's mailbox, oldest first, read over IMAPS like any client would."""
        with self.imap(address) as client:
            client.select(mailbox, readonly=True)
            _, data = client.uid("SEARCH", "ALL")
            uids = data[0].split() if data and data[0] else []
            out = []
            for uid in uids:
                _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                out.append(next(p[1] for p in parts if isinstance(p, tuple)))
            return out

    def wait_for_messages(self, address: str, count: int, within_s: float = 15.0) -> list[bytes]:
        deadline = time.monotonic() + within_s
        while True:
            found = self.messages(address)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    @contextlib.contextmanager
    def imap(self, address: str):  # type: ignore[no-untyped-def]
        client = imaplib.IMAP4_SSL(HOST, self.ports["imaps"], ssl_context=self.ssl_context(), timeout=15)
        try:
            client.login(address, self._users[address.lower()])
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def fill_inbox(self, address: str, messages: Iterable[bytes], *, seen: bool = False) -> int:
        """Put many messages into the user's INBOX at once (far faster than APPEND for tests of large mailboxes);
        returns how many. `seen`: as a person's mail client leaves them (in cur/, flagged \\Seen), else as just
        delivered and never opened (in new/). Maildir: the files are written where Dovecot finds them when the
        mailbox is next opened. sdbox/mdbox: they are written as a maildir beside the mailbox, then imported by
        `doveadm import` (Dovecot's own writer: those stores have no files Dovecot would find by itself)."""
        local, _, domain = address.lower().partition("@")
        home = self.root / "mail" / domain / local
        maildir = home / ("Maildir" if self.mail_format == "maildir" else "import")
        folders = (home.parent, home, maildir, maildir / "new", maildir / "cur", maildir / "tmp")
        for folder in folders:
            folder.mkdir(exist_ok=True)
            shutil.chown(folder, "mail", "mail")
        count = 0
        batch = uuid.uuid4().hex[:12]
        for count, raw in enumerate(messages, 1):
            name = f"{int(time.time())}.M{count}R{batch}.holdfast-test"
            path = maildir / "cur" / f"{name}:2,S" if seen else maildir / "new" / name
            path.write_bytes(raw)
            shutil.chown(path, "mail", "mail")
        if self.mail_format != "maildir":
            self.doveadm("import", "-u", address, f"maildir:{maildir}", "", "ALL")
            shutil.rmtree(maildir)
        return count

    def doveadm(self, *args: str) -> str:
        """Run `doveadm` against this Dovecot (its configuration); raises with its errors if it fails."""
        done = subprocess.run(
            ["/usr/bin/doveadm", "-c", str(self.root / "dovecot" / "dovecot.conf"), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args[:1])} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def append(self, address: str, raw: bytes, mailbox: str = "INBOX") -> None:
        with self.imap(address) as client:
            client.append(mailbox, None, None, raw)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def postfix_log(self) -> str:
        path = self.root / "postfix.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def queue_empty(self) -> bool:
        """True when Postfix holds no message (everything delivered or bounced)."""
        out = subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.root / "postfix"), "-j"], capture_output=True, text=True, check=False
        )
        return out.returncode == 0 and not out.stdout.strip()

    # --- life cycle --------------------------------------------------------------------------------------

    def _spawn(self, argv: list[str], errors: Path) -> None:
        with open(errors, "wb") as err:
            self._processes.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err))

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def start(mail_format: str = "maildir") -> MailServers:
    """Write both configurations, start Dovecot and Postfix in the foreground (children of this process),
    and return once every port answers. `mail_format`: Dovecot's mailbox format, one of MAIL_FORMATS."""
    if mail_format not in MAIL_FORMATS:
        raise ValueError(f"mail_format must be one of {', '.join(MAIL_FORMATS)}, got {mail_format!r}")
    for binary in (_DOVECOT, _POSTFIX):
        if not os.path.exists(binary):
            raise RuntimeError(f"{binary} is missing: run scripts/ensure_mailservers.sh")
    begun = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="hf-mail-"))
    # The daemons' unprivileged users must walk into the folder.
    os.chmod(root, 0o755)
    names = ("imap", "imaps", "imap_plain", "lmtp", "auth", "submission", "smtps", "smtp_plain")
    ports = {name: _free_port() for name in names}
    ca_cert, ca_bundle, cert, key = _make_certificates(root)
    servers = MailServers(root=root, ca_bundle=ca_bundle, ca_cert=ca_cert, ports=ports, mail_format=mail_format)
    try:
        _write_dovecot(root, ports, cert, key, MAIL_FORMATS[mail_format])
        servers.add_user(f"postmaster@{SENDER_DOMAIN}", "postmaster-password")
        _write_postfix(root, ports, cert, key)
        servers._spawn([_DOVECOT, "-F", "-c", str(root / "dovecot" / "dovecot.conf")], root / "dovecot.err")
        # `postfix check` creates the queue's folders with their owners; the master then runs in the
        # foreground as our child, so stopping it stops every Postfix process of this instance.
        subprocess.run([_POSTFIX, "-c", str(root / "postfix"), "check"], check=True, capture_output=True)
        servers._spawn([_MASTER, "-d", "-c", str(root / "postfix")], root / "postfix.err")
        _wait_for_ports(servers)
    except BaseException:
        servers.stop()
        raise
    servers.started_s = time.monotonic() - begun
    return servers


def _wait_for_ports(servers: MailServers) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    waiting = set(servers.ports)
    while waiting:
        for process in servers._processes:
            if process.poll() is not None:
                errors = "".join(
                    (servers.root / name).read_text(errors="replace")
                    for name in ("dovecot.err", "postfix.err", "dovecot.log", "postfix.log")
                    if (servers.root / name).exists()
                )
                raise RuntimeError(f"a mail server exited ({process.args[0]}): {errors[-3000:]}")
        for name in sorted(waiting):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", servers.ports[name]), 0.2):
                waiting.discard(name)
        if time.monotonic() > deadline:
            raise RuntimeError(f"mail server ports never answered: {sorted(waiting)}")
        if waiting:
            time.sleep(0.05)


def _make_certificates(root: Path) -> tuple[Path, Path, Path, Path]:
    """A private CA and a server certificate for localhost and 127.0.0.1 (EC keys: fast to make)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Holdfast test mail CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(HOST),
                    x509.DNSName(f"mail.{SENDER_DOMAIN}"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls = root / "tls"
    tls.mkdir()
    os.chmod(tls, 0o755)
    ca_path, bundle_path = tls / "ca.pem", tls / "bundle.pem"
    cert_path, key_path = tls / "server.pem", tls / "server.key"
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    ca_path.write_bytes(ca_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(key_path, 0o600)
    system = ssl.get_default_verify_paths().cafile
    roots = Path(system).read_bytes() if system and os.path.exists(system) else b""
    bundle_path.write_bytes(roots + b"\n" + ca_pem)
    return ca_path, bundle_path, cert_path, key_path


def _write_dovecot(root: Path, ports: dict[str, int], cert: Path, key: Path, mail_location: str) -> None:
    conf = root / "dovecot"
    conf.mkdir()
    os.chmod(conf, 0o755)
    mail = root / "mail"
    mail.mkdir()
    shutil.chown(mail, "mail", "mail")
    (conf / "dovecot.conf").write_text(f"""\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {root}/dovecot-run
state_dir = {root}/dovecot-state
instance_name = {root.name}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
# The plaintext port serves the loopback-only `security: "none"` case.
disable_plaintext_auth = no
auth_mechanisms = plain login
# Dovecot's real refusal delay is kept (2 s): the login deadlines are tested against it.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {conf}/users/%Ld/%Ln
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {conf}/users/%Ld/%Ln
  default_fields = uid=mail gid=mail home={mail}/%Ld/%Ln
}}
first_valid_uid = 8
first_valid_gid = 8
mail_location = {mail_location}
postmaster_address = postmaster@{SENDER_DOMAIN}
hostname = mail.{SENDER_DOMAIN}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports["imap"]}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports["imaps"]}
    ssl = yes
  }}
  inet_listener imap_plain {{
    address = 127.0.0.1
    port = {ports["imap_plain"]}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {ports["lmtp"]}
  }}
}}
service auth {{
  inet_listener auth_postfix {{
    address = 127.0.0.1
    port = {ports["auth"]}
  }}
}}
""")


def _write_postfix(root: Path, ports: dict[str, int], cert: Path, key: Path) -> None:
    conf = root / "postfix"
    conf.mkdir()
    os.chmod(conf, 0o755)
    for name in ("queue", "data"):
        (root / f"postfix-{name}").mkdir()
    shutil.chown(root / "postfix-data", "postfix")
    (conf / "virtual_mailboxes").write_text("!/^nosuch-/ OK\n")
    (conf / "sender_logins").write_text("/^(.+)$/ ${1}\n")
    (conf / "recipient_access").write_text("/^later-/ 450 4.2.1 Mailbox busy, try again later\n")
    (conf / "header_checks").write_text("/^Subject:.*REJECT-CONTENT/ REJECT 5.7.1 content rejected\n")
    (conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {root}/postfix-queue
data_directory = {root}/postfix-data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.{SENDER_DOMAIN}
mydomain = {SENDER_DOMAIN}
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file_prefixes = {root}
maillog_file = {root}/postfix.log
biff = no
smtputf8_enable = no
# Nothing leaves the machine.
default_transport = error:outside mail is switched off in tests
relay_transport = error:outside mail is switched off in tests
virtual_mailbox_domains = {" ".join(DOMAINS)}
virtual_mailbox_maps = regexp:{conf}/virtual_mailboxes
virtual_transport = lmtp:inet:127.0.0.1:{ports["lmtp"]}
lmtp_host_lookup = native
smtp_host_lookup = native
disable_dns_lookups = yes
header_checks = regexp:{conf}/header_checks
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{ports["auth"]}
smtpd_sender_login_maps = regexp:{conf}/sender_logins
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:{conf}/recipient_access
# Bounces come back at once instead of after days.
delay_warning_time = 0
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
queue_run_delay = 10s
minimal_backoff_time = 10s
""")
    submission = (
        "-o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes "
        "-o smtpd_sender_restrictions=reject_sender_login_mismatch "
        "-o smtpd_client_restrictions=permit_sasl_authenticated,reject"
    )
    (conf / "master.cf").write_text(f"""\
127.0.0.1:{ports["submission"]} inet n - n - - smtpd -o smtpd_tls_security_level=encrypt {submission}
127.0.0.1:{ports["smtps"]} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes {submission}
127.0.0.1:{ports["smtp_plain"]} inet n - n - - smtpd -o smtpd_tls_security_level=none
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""")
