"""The parties list: find a party by id, or list those with something in force or coming due.

Read from the records database alone (the file each party's workflow writes), a page at a
time, every filter and the count in SQL: a list of thousands of parties asks no workflow
anything. A party's own page asks its workflow for the status (services.contacts).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy
from sqlalchemy import ColumnElement, and_, exists, func
from sqlmodel import col, select

from policy.vocabulary import RestrictionGrounds, RestrictionStatus, Stage, TaskKind, TaskStatus, WarningStatus
from records.base import StoreBase
from records.tables import PartyRow, RestrictionRow, TaskRow, WarningRow

# A live warning "lapses soon" within this: four weeks is time to decide whether a repeat
# calls for a restriction (R6) before the warning stage ends (R5).
WARNING_LAPSING_SOON = timedelta(days=28)


@dataclass(frozen=True)
class PartyFilter:
    """Which parties to list; every field given narrows the list.

    Attributes:
        id_starts: Only parties whose id starts with this (a whole id finds that one party).
        stage: Only parties at this stage.
        restricted: Only parties with a restriction in force (R6-R12), a zero-tolerance stop included.
        zero_tolerance: Only parties whose direct contact is stopped (R15).
        review_due: Only parties with an open review before a restriction ends (R11).
        warning_lapsing: Only parties with a live warning that lapses within WARNING_LAPSING_SOON of `now`.
        now: The instant "soon" is counted from.
    """

    now: datetime
    id_starts: str | None = None
    stage: Stage | None = None
    restricted: bool = False
    zero_tolerance: bool = False
    review_due: bool = False
    warning_lapsing: bool = False


@dataclass(frozen=True)
class PartyLine:
    """A party as the list shows it."""

    party_id: str
    kind: str
    stage: Stage
    restrictions_in_force: int
    restricted_until: datetime | None
    warning_until: datetime | None
    open_tasks: int


class PartyPage(NamedTuple):
    parties: list[PartyLine]
    total: int


class PartyList(StoreBase):
    """Parties by id, a page at a time, with what is in force."""

    def party_page(self, where: PartyFilter, *, limit: int, offset: int = 0) -> PartyPage:
        """One page of the parties `where` matches, by id, and how many it matches in all."""
        conditions = self._party_conditions(where)
        in_force = and_(
            col(RestrictionRow.party_id) == col(PartyRow.party_id),
            col(RestrictionRow.status) == RestrictionStatus.IN_FORCE.value,
        )
        live = and_(
            col(WarningRow.party_id) == col(PartyRow.party_id), col(WarningRow.status) == WarningStatus.LIVE.value
        )
        # SQLAlchemy's own select: sqlmodel's types no more than four columns.
        query = (
            sqlalchemy.select(
                col(PartyRow.party_id),
                col(PartyRow.kind),
                col(PartyRow.stage),
                select(func.count()).where(in_force).scalar_subquery(),
                select(func.max(RestrictionRow.ends_at)).where(in_force).scalar_subquery(),
                select(func.max(WarningRow.expires_at)).where(live).scalar_subquery(),
                select(func.count())
                .where(col(TaskRow.party_id) == col(PartyRow.party_id), col(TaskRow.status) == TaskStatus.OPEN.value)
                .scalar_subquery(),
            )
            .where(*conditions)
            .order_by(col(PartyRow.party_id))
            .limit(limit)
            .offset(offset)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
            total = connection.execute(
                sqlalchemy.select(func.count()).select_from(PartyRow).where(*conditions)
            ).scalar_one()
        return PartyPage([self._line(*row) for row in rows], int(total))

    @staticmethod
    def _line(
        party_id: str,
        kind: str,
        stage: str,
        in_force: int,
        until: datetime | None,
        warning_until: datetime | None,
        open_tasks: int,
    ) -> PartyLine:
        return PartyLine(party_id, kind, Stage(stage), int(in_force), until, warning_until, int(open_tasks))

    def _party_conditions(self, where: PartyFilter) -> list[ColumnElement[bool]]:
        conditions: list[Any] = []
        if where.id_starts:
            # A LIKE pattern of the id itself: its own % and _ match only themselves.
            escaped = where.id_starts.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(col(PartyRow.party_id).like(f"{escaped}%", escape="\\"))
        if where.stage is not None:
            conditions.append(col(PartyRow.stage) == Stage(where.stage).value)
        if where.restricted:
            conditions.append(self._restriction_in_force())
        if where.zero_tolerance:
            conditions.append(
                self._restriction_in_force(col(RestrictionRow.grounds) == RestrictionGrounds.ZERO_TOLERANCE.value)
            )
        if where.review_due:
            conditions.append(
                exists().where(
                    col(TaskRow.party_id) == col(PartyRow.party_id),
                    col(TaskRow.status) == TaskStatus.OPEN.value,
                    col(TaskRow.kind) == TaskKind.RESTRICTION_REVIEW.value,
                )
            )
        if where.warning_lapsing:
            conditions.append(
                exists().where(
                    col(WarningRow.party_id) == col(PartyRow.party_id),
                    col(WarningRow.status) == WarningStatus.LIVE.value,
                    col(WarningRow.expires_at) > where.now,
                    col(WarningRow.expires_at) <= where.now + WARNING_LAPSING_SOON,
                )
            )
        return conditions

    @staticmethod
    def _restriction_in_force(*also: Any) -> Any:
        return exists().where(
            col(RestrictionRow.party_id) == col(PartyRow.party_id),
            col(RestrictionRow.status) == RestrictionStatus.IN_FORCE.value,
            *also,
        )
