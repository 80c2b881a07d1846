"""The server's audit signing key: Ed25519, one per store, kept as a PEM file.

A checkpoint is this key's signature over the chain head (see
:func:`mlsteward.domain.audit.checkpoint_message`). Whoever holds only the public key can
check an exported log offline; whoever can write the database but not read this file cannot
make a rewritten chain match what was signed. Keep the key file away from the database's
backups and its writers: it is what makes tampering evident.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from mlsteward.domain.audit import AuditCheckpoint, checkpoint_message
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.home import home_dir
from mlsteward.storage.store_key import store_key

#: The folder under the mlsteward home holding one key per store.
KEYS_FOLDER = "audit-keys"


class AuditSigner:
    """Signs checkpoints with an Ed25519 private key.

    Made from a key (:meth:`__init__`), from a file loaded or created now
    (:meth:`load_or_create`), or from a file loaded or created on first use (:meth:`at`: a
    context that never signs creates no file).
    """

    def __init__(self, private_key: Ed25519PrivateKey | None = None, *, path: Path | None = None):
        if private_key is None and path is None:
            raise ValueError("an AuditSigner needs a key or a key file")
        self._key = private_key
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def load_or_create(cls, path: str | Path) -> AuditSigner:
        """The key at ``path``; a new one, written there (0600, atomically), when missing."""
        return cls(_load_or_create(Path(path)), path=Path(path))

    @classmethod
    def at(cls, path: str | Path) -> AuditSigner:
        """The key at ``path``, read (or created) the first time it is needed."""
        return cls(path=Path(path))

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            with self._lock:
                if self._key is None and self.path is not None:  # one of the two is set
                    self._key = _load_or_create(self.path)
        if self._key is None:
            raise ValueError("an AuditSigner needs a key or a key file")
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        """SHA-256 (hex) of the raw public key: names the key in every checkpoint."""
        return key_id_of(self.public_key)

    def public_key_pem(self) -> str:
        """The public key (SubjectPublicKeyInfo PEM), for offline verification."""
        return public_key_pem_of(self.public_key)

    def sign(self, seq: int, head_hash: str, time_ms: int) -> AuditCheckpoint:
        """A checkpoint vouching that record ``seq`` of the chain has hash ``head_hash``."""
        signature = self.private_key.sign(checkpoint_message(seq, head_hash))
        return AuditCheckpoint(
            seq=seq,
            head_hash=head_hash,
            time_ms=time_ms,
            key_id=self.key_id,
            signature=signature.hex(),
        )


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem_of(public_key: Ed25519PublicKey) -> str:
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def public_key_from_pem(pem: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its PEM (InvalidArgumentError for anything else)."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidArgumentError("The public key is not a PEM-encoded public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidArgumentError("The public key is not an Ed25519 key")
    return key


def signature_valid(checkpoint: AuditCheckpoint, public_key: Ed25519PublicKey) -> bool:
    """Whether ``checkpoint``'s signature is ``public_key``'s over its seq and head hash."""
    try:
        signature = bytes.fromhex(checkpoint.signature)
        public_key.verify(signature, checkpoint_message(checkpoint.seq, checkpoint.head_hash))
    except (ValueError, InvalidSignature, UnicodeEncodeError):
        return False
    return True


def default_key_path(store_uri: str) -> Path:
    """Where the signing key of the store at ``store_uri`` lives by default:
    ``<mlsteward home>/audit-keys/<store>.pem``, one file per store (every spelling of the
    store's URL names the same file)."""
    key = store_key(store_uri)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", key.split("://", 1)[-1]).strip("-.")[-60:]
    scheme = key.split(":", 1)[0]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return home_dir() / KEYS_FOLDER / f"{scheme}-{readable}-{digest}.pem"


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        _create(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise InvalidArgumentError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidArgumentError(f"{path} does not hold an Ed25519 private key")
    return key


def _create(path: Path) -> None:
    """Write a new key to ``path``: readable by the owner only, never half-written, and
    never over a key another process wrote first (the first one stays)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        _place(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _place(temporary: Path, path: Path) -> None:
    """Move the finished key file into place unless a key is already there."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        return  # another process made it first: keep theirs
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temporary, path)
