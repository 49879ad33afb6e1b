"""The app's credential for msal: the client secret, or a certificate read and checked from a PEM file."""

import pytest
from cryptography.hazmat.primitives import serialization

from accounts import credentials
from tests.certs import make_certificate

CERT = make_certificate()


@pytest.fixture
def pem(tmp_path):
    return str(CERT.write(tmp_path / "desk.pem"))


def test_without_a_thumbprint_msal_gets_the_key_and_certificate_and_computes_sha256(pem):
    credential = credentials.load_certificate(pem).msal_credential(use_sha1=False)
    assert set(credential) == {"private_key", "public_certificate"}
    assert credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert credential["public_certificate"] == CERT.certificate_pem.decode()


def test_with_a_thumbprint_msal_gets_it_as_sha1(pem):
    credential = credentials.load_certificate(pem, CERT.sha1.lower()).msal_credential(use_sha1=True)
    assert credential["thumbprint"] == CERT.sha1


def test_a_thumbprint_pasted_with_colons_and_spaces_is_accepted(pem):
    pasted = " ".join(":".join(CERT.sha1[i:i + 2] for i in range(j, j + 8, 2)) for j in range(0, 40, 8))
    assert credentials.load_certificate(pem, pasted).sha1_thumbprint == CERT.sha1


def test_a_thumbprint_of_another_certificate_is_refused_with_the_right_one(pem):
    with pytest.raises(ValueError, match=f"not the certificate's \\(its SHA-1 thumbprint is {CERT.sha1}\\)"):
        credentials.load_certificate(pem, make_certificate().sha1)


def test_the_certificate_may_come_before_the_key_and_sit_among_others(tmp_path):
    other = make_certificate("intermediate")
    path = tmp_path / "chain.pem"
    path.write_bytes(other.certificate_pem + CERT.certificate_pem + CERT.key_pem)
    loaded = credentials.load_certificate(str(path))
    assert loaded.certificate_pem.startswith(CERT.certificate_pem.decode())  # the key's own certificate first
    assert loaded.sha1_thumbprint == CERT.sha1


def test_an_encrypted_key_opens_with_its_passphrase(tmp_path):
    path = tmp_path / "locked.pem"
    locked = CERT.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(b"open sesame"))
    path.write_bytes(locked + CERT.certificate_pem)
    assert credentials.load_certificate(str(path), passphrase="open sesame").sha1_thumbprint == CERT.sha1
    with pytest.raises(ValueError, match="encrypted: set ENTRA_CLIENT_CERTIFICATE_PASSPHRASE"):
        credentials.load_certificate(str(path))
    with pytest.raises(ValueError, match="no private key that opens"):
        credentials.load_certificate(str(path), passphrase="wrong")


@pytest.mark.parametrize("content, message", [
    (CERT.certificate_pem, "holds no private key"),
    (CERT.key_pem, "holds no certificate"),
    (CERT.key_pem + make_certificate().certificate_pem, "no certificate in ENTRA_CLIENT_CERTIFICATE belongs to its private key"),
], ids=["certificate-only", "key-only", "someone-elses-certificate"])
def test_an_incomplete_pem_says_what_is_missing(tmp_path, content, message):
    path = tmp_path / "desk.pem"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        credentials.load_certificate(str(path))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="desk.pem' can't be read"):
        credentials.load_certificate(str(tmp_path / "desk.pem"))


def test_the_client_secret_is_the_credential_without_a_certificate(settings):
    settings.ENTRA_CLIENT_CERTIFICATE = ""
    settings.ENTRA_CLIENT_SECRET = "the-secret"
    assert credentials.client_credential() == "the-secret"


def test_a_configured_certificate_replaces_the_secret(settings, pem):
    settings.ENTRA_CLIENT_CERTIFICATE = pem
    settings.ENTRA_CLIENT_CERTIFICATE_THUMBPRINT = ""
    settings.ENTRA_CLIENT_SECRET = "the-secret"
    assert credentials.client_credential()["public_certificate"] == CERT.certificate_pem.decode()
