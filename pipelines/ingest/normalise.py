"""Normalisation: accepted rows tied to project identities (existing or new), per DOMAIN §3 'project identity'."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.access import Actor
from pipelines.ingest.validate import Problem, Record, Validated, name_key, problem_text, row_place
from pipelines.store import queries


@dataclass(slots=True)  # one per new project: 50,000 in a first large file
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
    rejected_projects: set[int] = field(default_factory=set)  # known projects whose row the file rejected


def _label(record: Record) -> str | None:
    return record.values.get("project_name") or record.values.get("project_code")


def _problem(validated: Validated, record: Record, reason: str, severity: str = "error") -> None:
    """A problem of the row's 项目编号; an error also rejects the row."""
    column = record.headers.get("project_code", "项目编号")
    validated.problems.append(Problem(record.sheet, record.row, column,
                                      problem_text(record.row, _label(record), column, reason), severity))
    if severity == "error":
        validated.rejected.append(record)


def normalise(con: duckdb.DuckDBPyConnection, validated: Validated, actor: Actor) -> Normalised:
    """Match every accepted project row to its project: by 项目编号 when given, else by unit + normalised name. A
    second row of one project and report month (once by 项目编号 and once by name, or on two sheets) is rejected
    naming the first; an admin's row that moves a project to another unit is loaded with a warning."""
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
    first_row: dict[tuple, Record] = {}  # (project, report month) → the row that reported it first
    for record in validated.records:
        v = record.values
        unit, code = v["unit"], v.get("project_code")
        key = name_key(v["project_name"])
        target: int | NewProject
        moved_from = None
        if code:
            if code in by_code:
                pid, owner = by_code[code]
                if actor.role == "unit" and owner != unit:
                    _problem(validated, record, f"'{code}' 是其他单元（{owner}）的项目，请核对编号；"
                                                "项目转移单元请联系招商办")
                    continue
                moved_from = owner if owner != unit else None
                target = pid
            elif actor.role == "unit":
                _problem(validated, record, f"'{code}' 不存在，请核对；新项目请将项目编号留空，由系统分配")
                continue
            else:
                target = new.setdefault(("code", code), NewProject(("code", code), code, unit, key))
        elif (unit, key) in by_name:
            target = by_name[(unit, key)]
        else:
            target = new.setdefault(("name", unit, key), NewProject(("name", unit, key), None, unit, key))
        identity = (target.key if isinstance(target, NewProject) else target, v.get("period"))
        if identity in first_row:
            first = first_row[identity]
            where = row_place(first.sheet, first.row, record.sheet)
            _problem(validated, record, f"与{where}（{first.values.get('project_name')}）是同一项目同一报告期，只能填写一行")
            continue
        first_row[identity] = record
        if moved_from is not None:
            _problem(validated, record, f"'{code}' 是单元 {moved_from} 的项目，本行的填报单位是 {unit}：载入后该项目将转到 "
                                        f"{unit}。如是笔误，请改正后重传", "warning")
        kept.append(record)
        result.targets.append(target)
    validated.records = kept
    result.new_projects = list(new.values())
    # The known projects of the rejected rows (matched as accepted rows are), so the preview can say "fix and
    # resend" rather than "left out" (DOMAIN §3).
    for record in validated.rejected:
        v = record.values
        code, name = v.get("project_code"), v.get("project_name")
        pid = by_code.get(str(code), (None,))[0] if code else None
        if pid is None and name:
            pid = by_name.get((v.get("unit"), name_key(name)))
        if pid is not None:
            result.rejected_projects.add(pid)
    return result
