"""Who is acting: a user's name, role and (for unit users) unit, as every write and read receives it."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "leader", "unit")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # admin / leader / unit
    unit_code: str | None = None  # set for role 'unit' only

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if (self.role == "unit") != (self.unit_code is not None):
            raise ValueError("a unit user has exactly one unit; other roles have none")

    @property
    def unit_scope(self) -> str | None:
        """The one unit whose projects, submissions and warnings this actor may read; None: every unit."""
        return self.unit_code if self.role == "unit" else None

    @property
    def may_submit(self) -> bool:
        return self.role in ("admin", "unit")


SYSTEM = Actor("system", "admin")
