"""Integrity tables: the claim database, every screening with its score and reasons, the moderation
queue and its votes, which broadcasts carried a relayed message (what makes "exactly" possible for a
correction), and the verification code of each official broadcast."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, UTCDateTime, owned_by, stamped_now

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Claim(SerialKey, Base):
    """A claim moderators know the truth of (usually a false one), with the correction to send."""

    __tablename__ = "integrity_claims"
    # Every screening asks "did the claims change?" (max id and count of live claims): without this covering
    # index that is a full scan of wide rows, ~190 ms at 100,000 claims on SQLite; with it ~8 ms.
    __table_args__ = (Index("ix_integrity_claims_retired_id", "retired", "id"),)

    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    # The text normalised and in the pivot language: what MinHash and the re-ranker compare.
    pivot_text: Mapped[str] = mapped_column(Text)
    # sha256 of language + normalised text: importing the same export twice adds nothing.
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)
    verdict: Mapped[str] = mapped_column(String(16), default="false")  # false | misleading | true
    correction: Mapped[str | None] = mapped_column(Text)
    correction_pivot: Mapped[str | None] = mapped_column(Text)  # normalised, pivot language: a forwarded
    # correction must not match its own claim
    source_url: Mapped[str | None] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(String(200))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # The MinHash signature of pivot_text (uint64 hash values), so an index is built without rehashing.
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    # The sentence vectors (float32 bytes) of the text and of the correction, and the model that made them
    # (translation/embeddings.py): a process with another model re-embeds instead of comparing apples and pears.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    correction_embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = stamped_now()


class ScreenedMessage(Base):
    """One message screened before it was relayed: the score, the reasons and what was done."""

    __tablename__ = "integrity_screenings"
    __table_args__ = (Index("ix_integrity_screenings_hash_at", "text_hash", "at"),
                      Index("ix_integrity_screenings_sender_at", "sender", "at"))

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    at: Mapped[datetime] = stamped_now(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    pivot_text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(8))  # relay | warn | hold
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("integrity_claims.id"))


class RelayedCopy(Base):
    """A broadcast that carried a screened message to people (set by whoever relayed it)."""

    __tablename__ = "integrity_relayed_copies"

    screening_id: Mapped[int] = owned_by("integrity_screenings.id", primary_key=True)
    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)


class Flag(SerialKey, Base):
    """An entry of the moderation queue: a held message, or one already relayed that now looks false."""

    __tablename__ = "integrity_flags"

    screening_id: Mapped[int] = owned_by("integrity_screenings.id", unique=True)
    state: Mapped[str] = mapped_column(String(16))  # held (nothing relayed) | relayed (already went out)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # open | released | released_warning | confirmed_false
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("integrity_claims.id"))  # added by confirm_false
    corrections: Mapped[list] = mapped_column(JSON, default=list)  # broadcast ids of corrections sent
    release_pending: Mapped[bool] = mapped_column(Boolean, default=False)  # no release handler was there
    created_at: Mapped[datetime] = stamped_now()


class FlagVote(SerialKey, Base):
    """One moderator's vote on a flag; a moderator may change their vote until the flag is decided."""

    __tablename__ = "integrity_flag_votes"
    __table_args__ = (UniqueConstraint("flag_id", "moderator", name="uq_integrity_flag_votes_flag_moderator"),)

    flag_id: Mapped[int] = owned_by("integrity_flags.id", index=True)
    moderator: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(20))  # release | release_warning | confirm_false
    reason: Mapped[str | None] = mapped_column(Text)
    correction: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = stamped_now()


class VerificationCode(Base):
    """The code printed under an official broadcast, and which key made it (keys rotate)."""

    __tablename__ = "integrity_verification_codes"

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", primary_key=True)
    code: Mapped[str] = mapped_column(String(8), index=True)  # K7P2QX (shown as K7P-2QX)
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = stamped_now()
