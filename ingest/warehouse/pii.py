"""Personal data at the door of the warehouse.

ID numbers become ``worker_key`` (HMAC-SHA256 with the configured secret); bank cards
become ``bank_card_key`` (same construction) plus a masked form; names, phones and the
plaintext numbers go only to ``restricted.worker_identity``, encrypted with AES-256-GCM
under a key derived from the same secret. Nothing here is ever logged.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ingest.feeds import Dataset
from ingest.landing.checks import mask_id, worker_key


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


@functools.lru_cache(maxsize=8)
def _aead(secret: bytes) -> AESGCM:
    """The encryption key's cipher, derived once per secret (a roster snapshot encrypts
    ~2M values: deriving the key for each cost several seconds)."""
    return AESGCM(_derive(secret, b"sitepass/pii/aes-gcm"))


@dataclass(frozen=True, slots=True)
class PiiKeys:
    """Keys derived from ``SITEPASS_PII_SECRET``: one for hashing, one for encryption."""

    secret: bytes

    def encrypt(self, text: str | None) -> bytes | None:
        if text is None:
            return None
        nonce = os.urandom(12)
        return nonce + _aead(self.secret).encrypt(nonce, text.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        return _aead(self.secret).decrypt(blob[:12], blob[12:], None).decode()

    def worker_key(self, id_card_type: str | None, id_card_number: str | None) -> str | None:
        if not id_card_number:
            return None
        return worker_key(id_card_type or "01", id_card_number, self.secret)

    @property
    def key_id(self) -> str:
        """Names the secret without revealing it (what salts hashes of derived values)."""
        return hmac.new(self.secret, b"sitepass/key-id", hashlib.sha256).hexdigest()[:16]

    def bank_card_key(self, number: str | None) -> str | None:
        if not number:
            return None
        digits = number.replace(" ", "")
        return hmac.new(self.secret, f"bank:{digits}".encode(), hashlib.sha256).hexdigest()


def mask_card(number: str | None) -> str | None:
    return mask_id(number.replace(" ", "")) if number else None


@dataclass(slots=True)
class IdentitySink:
    """Plaintext identities seen in a batch, keyed by worker_key (encrypted on write)."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)  # bank_card_key -> card number

    def add_card(self, key: str | None, number: str | None) -> None:
        if key is not None and number:
            self.cards[key] = number

    def add(self, key: str | None, **values: Any) -> None:
        if key is None:
            return
        current = self.rows.setdefault(key, {})
        for k, v in values.items():
            if v is not None:
                current[k] = v


def _worker_identity(row: dict[str, Any], keys: PiiKeys, sink: IdentitySink) -> dict[str, Any]:
    """A roster line: the worker's ID, name, phone and card go to ``sink``."""
    wk = keys.worker_key(row.get("id_card_type"), row.get("id_card_number"))
    card = row.get("pay_roll_bank_card_number")
    sink.add(
        wk,
        id_card_type=row.get("id_card_type"),
        id_card_number=row.get("id_card_number"),
        worker_name=row.get("worker_name"),
        cell_phone=row.get("cell_phone"),
        bank_card_number=card,
    )
    return _keyed(row, keys, wk, card)


def _payment_identity(row: dict[str, Any], keys: PiiKeys, sink: IdentitySink) -> dict[str, Any]:
    """A payroll line: the payee's ID goes to ``sink``; the card becomes a key and a mask."""
    wk = keys.worker_key(row.get("id_card_type"), row.get("id_card_number"))
    sink.add(wk, id_card_type=row.get("id_card_type"), id_card_number=row.get("id_card_number"))
    return _keyed(row, keys, wk, row.get("pay_roll_bank_card_number"))


def _keyed(
    row: dict[str, Any], keys: PiiKeys, worker: str | None, card: str | None
) -> dict[str, Any]:
    """The row with the worker's key and the bank card's key and mask."""
    return {
        **row,
        "worker_key": worker,
        "bank_card_key": keys.bank_card_key(card),
        "bank_card_masked": mask_card(card),
    }


def _statement_counterparty(
    row: dict[str, Any], keys: PiiKeys, sink: IdentitySink
) -> dict[str, Any]:
    """A statement transaction: the counterparty's account (a worker's card on wage
    transactions) becomes a key and a mask, comparable with the payroll cards' keys."""
    account = row.get("counterparty_account")
    return {
        **row,
        "counterparty_account_key": keys.bank_card_key(account),
        "counterparty_account_masked": mask_card(account),
    }


def _team_leader(row: dict[str, Any], keys: PiiKeys, sink: IdentitySink) -> dict[str, Any]:
    """A team: the leader's ID number becomes ``leader_worker_key``."""
    leader = row.get("leader_id_card_number")
    wk = keys.worker_key("01", leader) if leader and len(leader) == 18 else None
    return {**row, "leader_worker_key": wk}


Scrubber = Callable[[dict[str, Any], PiiKeys, IdentitySink], dict[str, Any]]
#: The personal-data transforms a dataset of the feed registry names (``Dataset.scrub``).
SCRUBBERS: dict[str, Scrubber] = {
    "worker_identity": _worker_identity,
    "payment_identity": _payment_identity,
    "statement_counterparty": _statement_counterparty,
    "team_leader": _team_leader,
}


def scrub(
    dataset: Dataset, row: dict[str, Any], keys: PiiKeys, sink: IdentitySink
) -> dict[str, Any]:
    """Replace a parser row's personal fields by keys/masks; collect plaintext in ``sink``."""
    return row if dataset.scrub is None else SCRUBBERS[dataset.scrub](row, keys, sink)
