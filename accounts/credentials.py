"""How the app proves itself to Entra: a client secret, or a certificate (private_key_jwt).

With ``ENTRA_CLIENT_CERTIFICATE`` (a PEM file holding the private key and its certificate; the
README's "Use with your tenant" shows how to make one) msal signs a short-lived client assertion
with the key instead of sending a secret; Entra checks it against the certificate uploaded to the
app registration, found by its thumbprint.

- Without ``ENTRA_CLIENT_CERTIFICATE_THUMBPRINT`` msal computes the certificate's SHA-256
  thumbprint itself and signs PS256 with an ``x5t#S256`` header (msal >= 1.35; what Entra prefers).
- With it (SHA-1 hex, as the Entra admin center shows it) msal signs RS256 with an ``x5t`` header;
  the value must be the certificate's, so a file and a thumbprint that don't belong together
  stop the app at start-up instead of at the first sign-in.
- ``ENTRA_CLIENT_CERTIFICATE_PASSPHRASE`` opens an encrypted private key.

msal also sends the certificate itself (``x5c``), which Entra's subject-name/issuer
authentication uses and otherwise ignores.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings


@dataclass(frozen=True)
class ClientCertificate:
    private_key_pem: str  # PKCS#8, unencrypted: it lives in this process's memory only
    certificate_pem: str  # the key's certificate first, then any others the file holds
    sha1_thumbprint: str  # upper-case hex, as Entra shows it
    sha256_thumbprint: str

    def msal_credential(self, use_sha1: bool) -> dict:
        """msal's ``client_credential`` dict: SHA-1 ``thumbprint`` only when asked, else msal's SHA-256."""
        credential = {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}
        if use_sha1:
            credential["thumbprint"] = self.sha1_thumbprint
        return credential


def normalize_thumbprint(value: str) -> str:
    """Upper-case hex without the separators people paste (spaces, colons)."""
    return "".join(ch for ch in value if ch not in " :\t").upper()


def load_certificate(path: str, thumbprint: str = "", passphrase: str = "") -> ClientCertificate:
    """Read and check a PEM holding an RSA private key and its certificate; ``ValueError`` says what is wrong."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValueError(f"ENTRA_CLIENT_CERTIFICATE {path!r} can't be read: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase.encode() or None)
    except TypeError:  # a passphrase for a plain key, or none for an encrypted one
        if passphrase:
            raise ValueError("the private key in ENTRA_CLIENT_CERTIFICATE is not encrypted: unset ENTRA_CLIENT_CERTIFICATE_PASSPHRASE") from None
        raise ValueError("the private key in ENTRA_CLIENT_CERTIFICATE is encrypted: set ENTRA_CLIENT_CERTIFICATE_PASSPHRASE") from None
    except ValueError:
        raise ValueError("ENTRA_CLIENT_CERTIFICATE holds no private key that opens (PEM; is the passphrase right?)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("ENTRA_CLIENT_CERTIFICATE's key must be RSA: Entra's client assertions are RS256/PS256")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ValueError("ENTRA_CLIENT_CERTIFICATE holds no certificate (PEM): put the certificate after the key") from None
    public = key.public_key().public_numbers()
    own = [cert for cert in certificates if isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().public_numbers() == public]
    if not own:
        raise ValueError("no certificate in ENTRA_CLIENT_CERTIFICATE belongs to its private key")
    leaf = own[0]
    sha1 = leaf.fingerprint(hashes.SHA1()).hex().upper()
    if thumbprint and normalize_thumbprint(thumbprint) != sha1:
        raise ValueError(f"ENTRA_CLIENT_CERTIFICATE_THUMBPRINT is not the certificate's (its SHA-1 thumbprint is {sha1})")
    ordered = [leaf] + [cert for cert in certificates if cert is not leaf]
    return ClientCertificate(
        private_key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode(),
        certificate_pem="".join(cert.public_bytes(serialization.Encoding.PEM).decode() for cert in ordered),
        sha1_thumbprint=sha1,
        sha256_thumbprint=leaf.fingerprint(hashes.SHA256()).hex().upper(),
    )


@lru_cache(maxsize=4)
def _certificate_credential(path: str, thumbprint: str, passphrase: str) -> dict:
    return load_certificate(path, thumbprint, passphrase).msal_credential(use_sha1=bool(thumbprint))


def client_credential() -> str | dict:
    """What msal's ``ConfidentialClientApplication`` takes as ``client_credential`` for the configured app.

    The certificate is read once per process (restart to pick up a renewed one).
    """
    if settings.ENTRA_CLIENT_CERTIFICATE:
        return _certificate_credential(settings.ENTRA_CLIENT_CERTIFICATE, settings.ENTRA_CLIENT_CERTIFICATE_THUMBPRINT,
                                       settings.ENTRA_CLIENT_CERTIFICATE_PASSPHRASE)
    return settings.ENTRA_CLIENT_SECRET
