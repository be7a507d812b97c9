"""Who is acting: a user's name, role and (for unit users) unit, as every write and read receives it; what an actor
may not read (OutOfScope) and where each role lands after logging in.

Besides the roles of accounts there is `screen`: the browser of a wall screen opened with a 大屏链接
(pipelines.admin.screen_links), which reads the big screen of the county or of one unit and nothing else."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "leader", "unit")  # the roles of accounts (users.role)
SCREEN = "screen"  # the role of a big-screen link: no account, no login, the big screen only
# Where each role lands after logging in (url paths of pages in app.py's navigation).
LANDING = {"admin": "/cockpit", "leader": "/cockpit", "unit": "/unit", SCREEN: "/cockpit"}


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # admin / leader / unit, or screen (a big-screen link)
    unit_code: str | None = None  # set for role 'unit'; for 'screen' the unit whose screen it shows (None: county)

    def __post_init__(self) -> None:
        if self.role not in ROLES and self.role != SCREEN:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role != SCREEN and (self.role == "unit") != (self.unit_code is not None):
            raise ValueError("a unit user has exactly one unit; admins and leaders have none")

    @property
    def unit_scope(self) -> str | None:
        """The one unit whose projects, submissions and warnings this actor may read; None: every unit."""
        return self.unit_code if self.role in ("unit", SCREEN) else None

    @property
    def may_submit(self) -> bool:
        return self.role in ("admin", "unit")


SYSTEM = Actor("system", "admin")


class OutOfScope(PermissionError):
    """The actor may not read what was asked for (a unit user asking for another unit's ledger)."""


def landing_path(actor: Actor, asked: str | None = None) -> str:
    """The page a user is sent to after logging in: the page asked for (a link from a notification) when it is
    a safe address of this site, else the big screen for admins and leaders, the unit page for unit users. A page
    the role may not open falls back to its landing page there (app.py registers only the role's pages)."""
    return asked if asked and safe_next(asked) else LANDING[actor.role]


def safe_next(asked: str) -> bool:
    """Whether `asked` is a path of this site to return to after logging in: '/page' with an optional query, never
    another host ('//host', 'https://…', a backslash), an API route, or anything over 500 characters."""
    return (len(asked) <= 500 and asked.startswith("/") and not asked.startswith("//") and "\\" not in asked
            and not asked.startswith("/api/") and all(c.isprintable() and not c.isspace() for c in asked))


def require_admin(actor: Actor, refusal: str = "仅系统管理员可用") -> None:
    """Refuse (PermissionError, naming the actor and `refusal`) anyone who is not an admin."""
    if actor.role != "admin":
        raise PermissionError(f"{actor.name} 不是管理员，{refusal}")
