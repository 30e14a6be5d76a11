"""Shared widgets and page plumbing: widgets that keep their value, Markdown-safe text, download
buttons, and stopping a page that cannot work on the current data (saying why)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Literal, NoReturn, TypeVar

import pandas as pd
import streamlit as st

from analytics.data import (
    Dataset,
    reattach,
    to_csv_bytes,
    to_excel_bytes,
)
from analytics.data.privacy import PSEUDONYM_PREFIX
from analytics.i18n import N_, _

#: The session key of the pseudonyms' originals: ``(table fingerprint, {pseudonym: original})``,
#: set by ``pages._state`` when a table is read. Never saved, logged or shared.
ORIGINALS = "ml.originals"

#: Widgets keep their value for the whole session, across page switches (Streamlit >= 1.59).
PERSIST: Literal["session"] = "session"


T = TypeVar("T")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+|~$:!-])")


def md(text: object) -> str:
    """Text from a user's file (names, values, file names) made literal inside Markdown.

    Streamlit renders captions, alerts and markdown as Markdown: a column called ``**x**`` or
    ``[offer](http://…)`` must show as typed, not as bold text or a link.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def shown_as(labels: Mapping[Any, str] | Iterable[str]) -> Callable[[Any], str]:
    """A ``format_func`` showing options by labels translated now, in this page run.

    Streamlit may call a format function outside the run (AppTest does, in its own thread), where
    the visitor's language is not set; a table of labels made during the run reads the same
    anywhere. ``labels`` maps options to their English labels, or lists options that are their
    own English labels.
    """
    pairs = labels.items() if isinstance(labels, Mapping) else ((o, o) for o in labels)
    table = {option: _(str(label)) for option, label in pairs}
    return lambda option: table.get(option, str(option))


def kept(
    widget: Callable[..., T], label: str, *args: Any, key: str, default: Any, **kwargs: Any
) -> T:
    """Draw a widget whose value survives page switches, starting at ``default``.

    Example: ``freq = kept(st.selectbox, "Trend by", ["D", "W"], key="w.freq", default="W")``.
    A kept value that is no longer among the options (another dataset's column) is dropped.
    """
    if (
        key in st.session_state
        and args
        and isinstance(args[0], Sequence)
        and not isinstance(args[0], str)
    ):
        options, kept_value = list(args[0]), st.session_state[key]
        if isinstance(kept_value, list):
            if any(v not in options for v in kept_value):
                st.session_state[key] = [v for v in kept_value if v in options]
        elif kept_value not in options:
            del st.session_state[key]
    st.session_state.setdefault(key, default)
    return widget(label, *args, key=key, persist_state=PERSIST, **kwargs)


def slid_and_typed(
    slider: Callable[..., Any],
    label: str,
    *,
    key: str,
    default: float,
    snap: Callable[[float], float],
    box: dict[str, Any],
    box_label: str = N_("Exact"),
    scale: float = 1.0,
    help: str | None = None,
) -> float:
    """A slider with a number box beside it, both on one value: slide for a quick look, type
    for an exact one. ``slider`` is the slider with its range bound (``partial(st.slider,
    min_value=0.0, …)``); ``snap`` puts a typed value on the slider's nearest step; the box
    shows the value times ``scale`` (a share as a percentage). Both keep their value for the
    session; the typed value is the one returned.
    """
    typed = f"{key}.typed"
    if typed not in st.session_state:
        st.session_state[typed] = float(st.session_state.get(key, default)) * scale
    st.session_state.setdefault(key, snap(st.session_state[typed] / scale))

    def _slid() -> None:
        st.session_state[typed] = float(st.session_state[key]) * scale

    def _typed() -> None:
        st.session_state[key] = snap(float(st.session_state[typed]) / scale)

    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        slider(label, key=key, on_change=_slid, help=help, persist_state=PERSIST)
    with right:
        st.number_input(_(box_label), key=typed, on_change=_typed, persist_state=PERSIST, **box)
    return float(st.session_state[typed]) / scale


class PageDone(Exception):
    """Raised by a page that has said why it cannot go on (unlike st.stop, the app's sidebar
    is still drawn after it)."""


def require_kind(dataset: Dataset, kinds: Sequence[str], what: str) -> None:
    """Stop the page, saying plainly why, when it cannot work on this kind of data."""
    if dataset.kind not in kinds:
        point_to_data_page(
            _(
                "{what} needs {kinds} data, and the current dataset ({source}) is **{kind}**. "
                "Load a sales export on the Data page, or pick the transactions sample."
            ).format(
                what=what,
                kinds=_(" or ").join(_(k) for k in kinds),
                source=md(dataset.source),
                kind=_(dataset.kind),
            )
        )


def point_to_data_page(message: str) -> NoReturn:
    """Say what the page needs that the Data page can give, with a link there; stop the page."""
    st.info(message, icon=":material/info:")
    st.page_link("pages/data.py", label=_("Go to the Data page"), icon=":material/upload_file:")
    raise PageDone


def download_buttons(
    frame: pd.DataFrame,
    label: str,
    stem: str,
    *,
    sheet_name: str = "data",
    slots: Sequence[Any] | None = None,
) -> None:
    """CSV and Excel buttons for a table, side by side; the files are made only when clicked.

    When the table holds pseudonyms made in this session, a box offers to put the original IDs
    back into this one export (for a CRM), with a warning; it is off by default.
    """
    frame = _with_originals(frame, stem)
    csv_slot, excel_slot = slots if slots is not None else st.columns(2)
    csv_slot.download_button(
        _("{label} (CSV)").format(label=label),
        data=partial(to_csv_bytes, frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    excel_slot.download_button(
        _("{label} (Excel)").format(label=label),
        data=partial(to_excel_bytes, frame, sheet_name=sheet_name),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
    )


def _with_originals(frame: pd.DataFrame, stem: str) -> pd.DataFrame:
    saved = st.session_state.get(ORIGINALS)
    state = st.session_state.get("ml.data")  # pages._state's key: the pairs are of its table
    if not saved or state is None or state.table.fingerprint != saved[0]:
        return frame
    if not _has_pseudonyms(frame):
        return frame
    back = st.checkbox(
        _("Put the original IDs back into this file"),
        key=f"originals.{stem}",
        value=False,
        help=_(
            "Only in this session, for this download: adds the e-mails, phone numbers or "
            "other IDs the pseudonyms stand for, to load the list into your CRM."
        ),
    )
    if not back:
        return frame
    st.warning(
        _(
            "This download will hold personal data (the original IDs). Keep it only where your "
            "privacy rules allow, and delete it when done."
        ),
        icon=":material/privacy_tip:",
    )
    return reattach(frame, saved[1])


def _has_pseudonyms(frame: pd.DataFrame) -> bool:
    columns = [frame.index.to_series(), *(frame[c] for c in frame.columns)]
    for values in columns:
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            probe = values.dropna().astype(str).head(20)
            if not probe.empty and probe.str.startswith(PSEUDONYM_PREFIX).all():
                return True
    return False


@functools.cache
def app_icon(size: int = 64) -> bytes:
    """The browser tab's icon, drawn here as a PNG: three rising bars. A ``:material/...:`` page
    icon makes Streamlit fetch an SVG from fonts.gstatic.com, which fails offline; an image is
    served by the app itself."""
    import io

    import numpy as np
    from PIL import Image

    icon = np.zeros((size, size, 4), dtype=np.uint8)  # transparent
    bar, gap = size // 4, size // 8
    for number, height in enumerate((0.45, 0.7, 0.95)):
        left = gap // 2 + number * (bar + gap)
        icon[size - int(height * size) :, left : left + bar] = (31, 78, 121, 255)  # #1f4e79
    png = io.BytesIO()
    Image.fromarray(icon, "RGBA").save(png, format="PNG")
    return png.getvalue()
