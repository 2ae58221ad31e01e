"""Test certificates, made at test time with the openssl command.

    ca = make_ca(d)                             # (ca_cert, ca_key)
    cert, key = make_cert(d, ca)                # for 127.0.0.1, localhost, ::1
    cert, key = make_cert(d, ca, hosts=("other.example",), name="wronghost")
    cert, key = make_cert(d, ca, name="old", expired=True)
    cert, key = make_self_signed(d)
    inter = make_intermediate(d, ca)            # root CA -> intermediate
    cert, key = make_cert(d, inter)             # -> leaf
    server_cert_file = chain(d, cert, inter)    # leaf, then intermediate

A test class that needs several declares them in a table, made in order:

    made = make_all(d, {"ca": ca(), "good": signed("ca"),
                        "old": signed("ca", name="old", expired=True),
                        "self_signed": self_signed()})
    made["good"]                                # (cert, key)

(servercase.TLSServerCase makes its class's table once per class.)

Keys are EC P-256 (fast).  Every file goes into the directory the caller
gives; nothing else on the machine is touched.  Certificates are signed with
`openssl ca`, which (unlike `openssl x509` in OpenSSL 3.0) takes explicit
start and end dates, so an expired certificate can be made.
"""

import datetime
import ipaddress
import os
import secrets
import subprocess

__all__ = ["make_ca", "make_cert", "make_intermediate", "chain",
           "make_self_signed", "openssl", "ca", "signed", "self_signed", "make_all"]

_CURVE = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")


def openssl(*args, cwd=None):
    """Run openssl ARGS; raise with its stderr when it fails."""
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed (%d): %s"
                           % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def _san(hosts):
    out = []
    for h in hosts:
        try:
            ipaddress.ip_address(h)
            out.append("IP:" + h)
        except ValueError:
            out.append("DNS:" + h)
    return ",".join(out)


def _asn1_time(dt):
    return dt.strftime("%Y%m%d%H%M%SZ")


def make_ca(dir, name="hbrun test CA"):
    """A CA certificate and key in DIR: (ca_cert_path, ca_key_path)."""
    os.makedirs(dir, exist_ok=True)
    base = _safe(name)
    cert = os.path.join(dir, base + ".ca.pem")
    key = os.path.join(dir, base + ".ca.key")
    openssl("req", "-x509", "-new", *_CURVE, "-nodes", "-sha256",
            "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(key, 0o600)
    return cert, key


def make_cert(dir, ca, hosts=("127.0.0.1", "localhost", "::1"), name="server",
              expired=False):
    """A server certificate for HOSTS signed by CA (a make_ca() or
    make_intermediate() result).

    EXPIRED gives one whose validity ended (a year ago).  Returns
    (cert_path, key_path)."""
    ext = """\
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {san}
""".format(san=_san(hosts))
    return _signed(dir, ca, name, hosts[0] if hosts else name, ext, expired)


def make_intermediate(dir, ca, name="hbrun test intermediate CA"):
    """A CA certificate signed by CA, that signs server certificates only
    (path length 0): (cert_path, key_path).  A server sends it after its
    own certificate: see chain()."""
    ext = """\
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
    return _signed(dir, ca, name, name, ext, False)


def chain(dir, cert, *intermediates, name="chain"):
    """A file holding CERT then the INTERMEDIATES' certificates, as a server
    sends them: the certificate file to give a TLS server."""
    path = os.path.join(dir, _safe(name) + ".pem")
    with open(path, "w") as out:
        for p in (cert,) + tuple(c for c, _ in intermediates):
            with open(p) as f:
                out.write(f.read())
    return path


def _signed(dir, ca, name, cn, ext, expired):
    """A new key and a certificate for it with subject CN and the x509v3
    extensions EXT (config lines), signed by CA."""
    ca_cert, ca_key = ca
    os.makedirs(dir, exist_ok=True)
    base = _safe(name)
    key = os.path.join(dir, base + ".key")
    csr = os.path.join(dir, base + ".csr")
    cert = os.path.join(dir, base + ".pem")
    openssl("req", "-new", *_CURVE, "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=" + cn)
    os.chmod(key, 0o600)

    # A private `openssl ca` database for this one signature.
    db = os.path.join(dir, base + ".cadb")
    os.makedirs(os.path.join(db, "new"), exist_ok=True)
    with open(os.path.join(db, "index.txt"), "w"):
        pass
    with open(os.path.join(db, "index.txt.attr"), "w") as f:
        f.write("unique_subject = no\n")
    with open(os.path.join(db, "serial"), "w") as f:
        f.write(secrets.token_hex(8).upper() + "\n")
    cnf = os.path.join(db, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("""\
[ ca ]
default_ca = test_ca

[ test_ca ]
database = {db}/index.txt
new_certs_dir = {db}/new
serial = {db}/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no

[ policy_any ]
commonName = supplied

[ exts ]
{ext}""".format(db=db, ext=ext))

    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        start = now - datetime.timedelta(days=400)
        end = now - datetime.timedelta(days=365)
    else:
        start = now - datetime.timedelta(days=1)
        end = now + datetime.timedelta(days=30)
    openssl("ca", "-batch", "-notext", "-config", cnf, "-extensions", "exts",
            "-cert", ca_cert, "-keyfile", ca_key, "-in", csr, "-out", cert,
            "-startdate", _asn1_time(start), "-enddate", _asn1_time(end))
    return cert, key


def make_self_signed(dir, hosts=("127.0.0.1", "localhost", "::1"), name="selfsigned"):
    """A self-signed server certificate for HOSTS: (cert_path, key_path)."""
    os.makedirs(dir, exist_ok=True)
    base = _safe(name)
    cert = os.path.join(dir, base + ".pem")
    key = os.path.join(dir, base + ".key")
    openssl("req", "-x509", "-new", *_CURVE, "-nodes", "-sha256",
            "-keyout", key, "-out", cert, "-days", "30",
            "-subj", "/CN=" + (hosts[0] if hosts else name),
            "-addext", "subjectAltName=" + _san(hosts),
            "-addext", "basicConstraints=critical,CA:FALSE",
            "-addext", "extendedKeyUsage=serverAuth")
    os.chmod(key, 0o600)
    return cert, key


# The rows of a make_all() table: what to make, the name of the CA that
# signs it (made earlier in the table), and the maker's options.

def ca(**kw):
    """A CA: make_ca's options (name)."""
    return (make_ca, None, kw)


def signed(issuer, **kw):
    """A server certificate signed by the table's CA named ISSUER:
    make_cert's options (hosts, name, expired)."""
    return (make_cert, issuer, kw)


def self_signed(**kw):
    """A self-signed server certificate: make_self_signed's options."""
    return (make_self_signed, None, kw)


def make_all(dir, table):
    """Every certificate of TABLE ({name: ca() | signed() | self_signed()})
    made in DIR, in the table's order: {name: (cert_path, key_path)}."""
    made = {}
    for name, (make, issuer, kw) in table.items():
        if issuer is None:
            made[name] = make(dir, **kw)
        else:
            made[name] = make(dir, made[issuer], **kw)
    return made


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
