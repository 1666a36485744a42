"""Key pairs and certificates for the sandbox (stdlib + cryptography only).

Used by the AEM emulator (the key pair the "Adobe Experience Cloud" configuration generates), by
the Console emulator (binding fingerprints) and by IMS (its own token signing key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def generate_key_pem() -> str:
    """A fresh RSA 2048 private key as PEM (PKCS#1, ``BEGIN RSA PRIVATE KEY``, unencrypted)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def self_signed_cert(key_pem: str, common_name: str, days: int = 365) -> str:
    """A self-signed X.509 v3 certificate (SHA-256) for ``key_pem``, subject ``CN=<common_name>``.

    Mirrors what Adobe's certificate tooling generates (adobe-ims-console-api.md §4).
    Returns the certificate as PEM text.
    """
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int(str(int(time.time() * 1000)), 16))
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def load_cert(pem: str | bytes) -> x509.Certificate:
    """Parse a PEM certificate; raises ``ValueError`` when it is not one."""
    data = pem.encode() if isinstance(pem, str) else pem
    return x509.load_pem_x509_certificate(data)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-1 of the certificate's DER encoding, lowercase hex without colons (Console bindings)."""
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def not_after_ms(cert: x509.Certificate) -> int:
    """The certificate's ``notAfter`` as milliseconds since the epoch (Console ``notAfter``)."""
    return int(cert.not_valid_after_utc.timestamp() * 1000)


def public_key_pem(key_pem: str) -> str:
    """The SubjectPublicKeyInfo PEM of a private key."""
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
