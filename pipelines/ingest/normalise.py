"""Normalisation: accepted rows tied to project identities (existing or new), per DOMAIN §3 'project identity'."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.access import Actor
from pipelines.ingest.validate import Problem, Record, Validated, name_key
from pipelines.store import queries


@dataclass
class NewProject:
    key: tuple  # ("code", code) or ("name", unit, name_key): rows of one new project share it
    code: str | None  # given in the file by an admin, else assigned at load
    unit_code: str
    name_key: str
    id: int | None = None  # assigned at load


@dataclass
class Normalised:
    """Rows ready to load: each accepted project row points at an existing id or a NewProject."""

    validated: Validated
    targets: list[int | NewProject] = field(default_factory=list)  # parallel to validated.records
    new_projects: list[NewProject] = field(default_factory=list)


def _reject(validated: Validated, record: Record, reason: str) -> None:
    column = record.headers.get("project_code", "项目编号")
    validated.problems.append(Problem(record.sheet, record.row, column, f"第{record.row}行 {column} {reason}"))
    validated.rejected.append(record)


def normalise(con: duckdb.DuckDBPyConnection, validated: Validated, actor: Actor) -> Normalised:
    """Match every accepted project row to its project: by 项目编号 when given, else by unit + normalised name."""
    result = Normalised(validated)
    if validated.kind != "projects":
        return result
    by_code: dict[str, tuple[int, str]] = {}
    by_name: dict[tuple[str, str], int] = {}
    for pid, code, unit, key in queries.rows(con, "project_identities"):
        by_code[code] = (pid, unit)
        by_name.setdefault((unit, key), pid)
    new: dict[tuple, NewProject] = {}
    kept: list[Record] = []
    for record in validated.records:
        v = record.values
        unit, code = v["unit"], v.get("project_code")
        key = name_key(v["project_name"])
        target: int | NewProject
        if code:
            if code in by_code:
                pid, owner = by_code[code]
                if actor.role == "unit" and owner != unit:
                    _reject(validated, record, f"'{code}' 是其他单元（{owner}）的项目，请核对编号；"
                                               "项目转移单元请联系招商办")
                    continue
                target = pid
            elif actor.role == "unit":
                _reject(validated, record, f"'{code}' 不存在，请核对；新项目请将项目编号留空，由系统分配")
                continue
            else:
                target = new.setdefault(("code", code), NewProject(("code", code), code, unit, key))
        elif (unit, key) in by_name:
            target = by_name[(unit, key)]
        else:
            target = new.setdefault(("name", unit, key), NewProject(("name", unit, key), None, unit, key))
        kept.append(record)
        result.targets.append(target)
    validated.records = kept
    result.new_projects = list(new.values())
    return result
