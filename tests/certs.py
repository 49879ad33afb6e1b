"""Throwaway RSA keys and self-signed certificates for the certificate-credential tests."""

import base64
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyAndCertificate:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def sha1(self) -> str:
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()

    @property
    def sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()

    def write(self, path: Path, *, with_key: bool = True) -> Path:
        """The PEM an operator would hand the app (key then certificate), or the public part alone."""
        path.write_bytes((self.key_pem if with_key else b"") + self.certificate_pem)
        return path

    def assertion(self, client_id: str, audience: str, *, signer: rsa.RSAPrivateKey | None = None,
                  header: dict | None = None, algorithm: str = "RS256", **claims) -> str:
        """A client assertion as msal makes it (RS256, SHA-1 ``x5t``); keyword claims override or (None) drop."""
        now = time.time()
        payload = {"aud": audience, "iss": client_id, "sub": client_id, "iat": now, "exp": now + 600,
                   "jti": str(uuid.uuid4())}
        payload = {name: value for name, value in {**payload, **claims}.items() if value is not None}
        thumbprint = base64.urlsafe_b64encode(self.certificate.fingerprint(hashes.SHA1())).decode()
        return jwt.encode(payload, signer or self.key, algorithm=algorithm,
                          headers={"x5t": thumbprint} if header is None else header)


def make_certificate(name: str = "Membership Desk test", *, valid_from: datetime | None = None,
                     days: int = 1) -> KeyAndCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = valid_from or datetime.now(UTC) - timedelta(minutes=5)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + timedelta(days=days))
                   .sign(key, hashes.SHA256()))
    return KeyAndCertificate(key, certificate)
