"""The local development signing key: tokens that only `vet-clinic-api dev` trusts.

The key lives in the embedded servers' folder, is generated on first use, and is configured as
the *only* key the dev process accepts (through the same verifier as production, with its own
issuer), so a development token is worthless against any real deployment.
"""

from __future__ import annotations

import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_ISSUER = "http://localhost/vet-clinic-dev"
TOKEN_LIFETIME_SECONDS = 12 * 3600


def load_or_create_key(folder: Path) -> rsa.RSAPrivateKey:
    """The dev private key in ``folder`` (created, mode 0600, if missing)."""
    path = folder / "dev-signing-key.pem"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def mint_dev_token(key: rsa.RSAPrivateKey, clerk_user_id: str, email: str) -> str:
    """A session token shaped like Clerk's, signed with the dev key."""
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "sub": clerk_user_id,
        "sid": f"dev_{clerk_user_id}",
        "email": email,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_SECONDS,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "vet-dev"})
