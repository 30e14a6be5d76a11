"""The session's data as a pure model: a table, proposed → with a kind → with roles → cleaned.

The Data page walks a table through these steps, and every analysis page works on the result.
Each step returns a new frozen :class:`DataState`; nothing here knows about Streamlit, so the
whole flow is unit-tested without an app (``tests/unit/test_session.py``). The page layer keeps
the current state in the session, caches the proposal shared by all visitors and draws it.

Example
-------
>>> state = DataState.propose(load_table("orders.csv"), "upload")  # doctest: +SKIP
>>> state = state.with_kind("transactions").with_steps(["drop_duplicates"])  # doctest: +SKIP
>>> state.confirm().cleaned.dataset  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from analytics.data.build import build_dataset
from analytics.data.cleaning import DEFAULT_STEPS, CleaningResult, clean, default_steps
from analytics.data.detect import RoleEvidence, detect_kind, detect_mapping, role_evidence
from analytics.data.mapped import map_text
from analytics.data.schema import ColumnMapping, Dataset, Kind, KindGuess
from analytics.data.table import LoadedTable
from analytics.errors import AnalyticsError

#: How the evidence behind a mapping is found: the page layer passes a cached version.
Evidence = Callable[[LoadedTable, Kind, ColumnMapping], tuple[RoleEvidence, ...]]


def table_evidence(
    table: LoadedTable, kind: Kind, mapping: ColumnMapping
) -> tuple[RoleEvidence, ...]:
    """The evidence behind each role of a mapping of this table (uncached)."""
    return role_evidence(table.frame, kind, mapping)


@dataclass(frozen=True)
class DataState:
    """The session's data: the table as read, how it is mapped and cleaned, and the results.

    Attributes
    ----------
    table : LoadedTable
    origin : str
        ``"sample"``, ``"upload"`` or ``"database"``.
    guess : KindGuess
        The kind proposed for the table, with its evidence.
    kind : str
    mapping : ColumnMapping
    steps : tuple of str
        The cleaning steps chosen.
    original : Dataset, optional
        The mapped dataset before cleaning; None while the roles are incomplete (``problem``
        says why).
    cleaned : CleaningResult, optional
    upload_id, workbook
        The upload it came from, and an uploaded workbook with several sheets (to pick others).
    problem : AnalyticsError, optional
    confirmed : bool
        False while a proposed kind or role rests on a guess the user has not confirmed: the
        analyses wait.
    """

    table: LoadedTable
    origin: str
    guess: KindGuess
    kind: Kind
    mapping: ColumnMapping
    steps: tuple[str, ...]
    original: Dataset | None
    cleaned: CleaningResult | None
    upload_id: str | None = None
    workbook: bytes | None = None
    problem: AnalyticsError | None = None
    confirmed: bool = True

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        table: LoadedTable,
        origin: str,
        *,
        evidence: Evidence = table_evidence,
        upload_id: str | None = None,
        workbook: bytes | None = None,
    ) -> DataState:
        """Kind, roles and default cleaning proposed for a table.

        Roles that cannot make a dataset yet give a state with ``problem`` set (the user picks the
        missing columns) instead of an error. A proposal counts as confirmed when it is the
        bundled sample, or when the kind and every role rest on clear evidence.
        """
        state = cls.build(table, origin, evidence=evidence, pending=True)
        return replace(state, upload_id=upload_id, workbook=workbook)

    @classmethod
    def build(
        cls,
        table: LoadedTable,
        origin: str,
        *,
        kind: Kind | None = None,
        mapping: ColumnMapping | None = None,
        steps: Sequence[str] | None = None,
        guess: KindGuess | None = None,
        evidence: Evidence = table_evidence,
        pending: bool = False,
    ) -> DataState:
        """Map and clean a table with the kind, mapping and steps given (proposed when not).

        A kind or mapping given is the user's (or a saved workspace's) choice, so it counts as
        confirmed. With ``pending``, incomplete roles set ``problem`` instead of raising.

        Raises
        ------
        AnalyticsError
            Without ``pending``, when the roles cannot make a dataset.
        """
        guess = guess or detect_kind(table.frame, header=table.header)
        chosen: Kind = kind or guess.kind
        proposed = mapping is None and kind is None
        mapping = mapping or detect_mapping(table.frame, chosen, header=table.header)
        confirmed = (
            not proposed
            or origin == "sample"
            or (guess.confident and all(e.confident for e in evidence(table, chosen, mapping)))
        )
        original: Dataset | None = None
        problem: AnalyticsError | None = None
        try:
            original = build_dataset(table.frame, chosen, mapping, source=table.source)
        except AnalyticsError as exc:
            if not pending:
                raise
            problem = exc
        if steps is not None:
            chosen_steps = tuple(steps)
        else:
            chosen_steps = DEFAULT_STEPS if original is None else default_steps(original)
        return cls(
            table=table,
            origin=origin,
            guess=guess,
            kind=chosen,
            mapping=mapping,
            steps=chosen_steps,
            original=original,
            cleaned=None if original is None else clean(original, chosen_steps),
            problem=problem,
            confirmed=confirmed,
        )

    # --- steps ------------------------------------------------------------------------------------

    def changed(
        self,
        *,
        kind: Kind | None = None,
        mapping: ColumnMapping | None = None,
        steps: Sequence[str] | None = None,
        evidence: Evidence = table_evidence,
    ) -> DataState:
        """The state with another kind, roles or cleaning steps; what follows is rebuilt.

        A new kind proposes its own roles. While the roles are incomplete every change is a new
        attempt at mapping the table (incomplete roles set ``problem``); once complete, a change of
        roles that cannot make a dataset raises.
        """
        new_kind = kind or self.kind
        kind_changed = new_kind != self.kind
        if kind_changed:
            mapping = detect_mapping(self.table.frame, new_kind, header=self.table.header)
        new_mapping = mapping or self.mapping
        new_steps = tuple(steps) if steps is not None else self.steps
        complete = self.original is not None
        if complete and (new_kind, new_mapping, new_steps) == (self.kind, self.mapping, self.steps):
            return self
        if self.original is not None and (new_kind, new_mapping) == (self.kind, self.mapping):
            return replace(self, steps=new_steps, cleaned=clean(self.original, new_steps))
        rebuilt = DataState.build(
            self.table,
            self.origin,
            kind=new_kind,
            mapping=new_mapping,
            steps=new_steps,
            guess=self.guess,
            evidence=evidence,
            pending=kind_changed or not complete,
        )
        return replace(rebuilt, upload_id=self.upload_id, workbook=self.workbook)

    def with_table(self, table: LoadedTable, *, evidence: Evidence = table_evidence) -> DataState:
        """The same kind, roles and cleaning on the same source read again (a live table's new
        rows, or the reading notes in another language); the user's confirmation stays."""
        again = DataState.build(
            table,
            self.origin,
            kind=self.kind,
            mapping=self.mapping,
            steps=self.steps,
            evidence=evidence,
            pending=True,
        )
        return replace(
            again, upload_id=self.upload_id, workbook=self.workbook, confirmed=self.confirmed
        )

    def with_kind(self, kind: Kind) -> DataState:
        """Another kind of data: its roles are proposed afresh."""
        return self.changed(kind=kind)

    def with_mapping(self, mapping: ColumnMapping) -> DataState:
        """The user's roles (confirmed: they chose them)."""
        return self.changed(mapping=mapping)

    def with_steps(self, steps: Sequence[str]) -> DataState:
        """Other cleaning steps on the same mapping."""
        return self.changed(steps=steps)

    # --- memory -----------------------------------------------------------------------------------

    def text_mapped(self, threshold: int | None = None) -> DataState:
        """The state with the text of its table and datasets memory-mapped, not held in memory.

        See :mod:`analytics.data.mapped`: large frames' Arrow-backed text columns are written once
        to files and mapped back, with the same dtypes, index and content. The mapped dataset
        shares the table's columns when the table was mapped first; the cleaned dataset's columns
        are new when cleaning removed rows, and are mapped too.
        """
        table = self.table.text_mapped(threshold)
        original = _text_mapped(self.original, threshold)
        cleaned = self.cleaned
        if cleaned is not None:
            same = self.original is not None and cleaned.dataset is self.original
            dataset = original if same else _text_mapped(cleaned.dataset, threshold)
            if dataset is not None and dataset is not cleaned.dataset:
                cleaned = replace(cleaned, dataset=dataset)
        if table is self.table and original is self.original and cleaned is self.cleaned:
            return self
        return replace(self, table=table, original=original, cleaned=cleaned)

    def confirm(self) -> DataState:
        """The user says the proposed kind and roles are right: the analyses may run."""
        return replace(self, confirmed=True)


def _text_mapped(dataset: Dataset | None, threshold: int | None) -> Dataset | None:
    if dataset is None:
        return None
    frame = map_text(dataset.frame, "d-" + dataset.fingerprint, threshold=threshold)
    return dataset if frame is dataset.frame else replace(dataset, frame=frame)
