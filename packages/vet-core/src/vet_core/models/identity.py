"""Who uses the platform: users (authenticated through Clerk) and server-to-server API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import UserRole, UserStatus

#: E.164: a plus, a non-zero country digit, at most 15 digits in all.
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
PHONE_CHECK = f"phone ~ '{E164_PATTERN}'"


class User(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A person using the platform: pet owner, clinic staff or platform administrator.

    ``preferences`` holds timezone, language, notification channels and quiet hours; it is
    GIN-indexed because jobs select users by channel preference.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(PHONE_CHECK, name="phone_e164"),
        CheckConstraint("email = btrim(email) AND email <> ''", name="email_not_blank"),
        # Case-insensitive uniqueness among live accounts; a deleted account frees its address.
        Index(
            "uq_users_email_lower",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_users_preferences", "preferences", postgresql_using="gin"),
        Index(
            "ix_users_first_name_trgm",
            "first_name",
            postgresql_using="gin",
            postgresql_ops={"first_name": "gin_trgm_ops"},
        ),
        Index(
            "ix_users_last_name_trgm",
            "last_name",
            postgresql_using="gin",
            postgresql_ops={"last_name": "gin_trgm_ops"},
        ),
        Index("ix_users_role", "role", postgresql_where=text("deleted_at IS NULL")),
    )

    clerk_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[UserRole] = mapped_column(
        enum_column_type(UserRole, "role"), default=UserRole.PET_OWNER
    )
    status: Mapped[UserStatus] = mapped_column(
        enum_column_type(UserStatus, "status"), default=UserStatus.ACTIVE
    )
    preferences: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ApiKey(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A scoped key with which a clinic's systems call the platform.

    Only a hash of the secret is stored; ``prefix`` (the public start of the key) finds the row.
    A key is usable while ``revoked_at`` is null and ``expires_at`` has not passed.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("char_length(prefix) >= 6", name="prefix_length"),
        CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name="expiry_after_creation"
        ),
        Index(
            "ix_api_keys_clinic_id_active",
            "clinic_id",
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    permissions: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default=text("'{}'::character varying[]")
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = ["E164_PATTERN", "PHONE_CHECK", "ApiKey", "User"]
