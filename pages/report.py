"""Report page: one self-contained HTML file of the analysis, to send to stakeholders."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.report import SECTION_ANALYSIS, SECTIONS
from pages._cached import build_report_cached, cached_fitting_sections
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import analyses, current_dataset, data_state
from pages._widgets import kept, md, shown_as

_BUILT = "ml.report"  # the arguments of the last report built in this session

ensure_inside_app()
st.title(_("Report"))
st.caption(
    _(
        "One HTML file with what you have computed, to send to people who will not open the "
        "app: it opens offline in any browser, with interactive charts."
    )
)
dataset = current_dataset()

fits = cached_fitting_sections(dataset, tuple(sorted(analyses())), data_state().table)
left, middle, right = st.columns([3, 2, 1])
with left:
    title = kept(
        st.text_input,
        _("Title"),
        key="w.report.title",
        default=_("Marketing analysis: {source}").format(source=dataset.source),
        max_chars=200,
    )
with middle:
    author = kept(st.text_input, _("Author"), key="w.report.author", default="", max_chars=120)
with right:
    day = kept(st.date_input, _("Date"), key="w.report.date", default=dt.date.today())
sections = kept(
    st.multiselect,
    _("Sections"),
    list(SECTIONS),
    key="w.report.sections",
    default=list(fits),
    format_func=shown_as(SECTIONS),
)
done = analyses()
lines = []
for key in sections:
    if key not in fits:
        lines.append(
            _("**{section}**: does not apply to this data; it will say so.").format(
                section=_(SECTIONS[key])
            )
        )
    elif key in SECTION_ANALYSIS:
        lines.append(
            (
                _("**{section}**: your settings on its page.")
                if SECTION_ANALYSIS[key] in done
                else _("**{section}**: the page's default settings (you have not opened it yet).")
            ).format(section=_(SECTIONS[key]))
        )
st.caption("  \n".join(lines))


def _arguments(
    title: str, author: str, day: dt.date, sections: list[str]
) -> tuple[str, str, dt.date, tuple[str, ...]]:
    return (title, author, day, tuple(s for s in SECTIONS if s in sections))


def _build() -> None:
    """Ask for the report with the settings as they are when the button is clicked."""
    state = st.session_state
    st.session_state[_BUILT] = _arguments(
        state["w.report.title"],
        state["w.report.author"],
        state["w.report.date"],
        state["w.report.sections"],
    )


arguments = _arguments(title, author, day, sections)
# A callback, not the button's return value: it survives the rerun start_page() may ask for.
st.button(
    _("Build the report"),
    type="primary",
    icon=":material/summarize:",
    disabled=not sections,
    on_click=_build,
)


def _show_report(arguments: tuple[str, str, dt.date, tuple[str, ...]]) -> None:
    """Build the report (or take it from the cache), offer it for download, list its sections."""
    title = arguments[0]
    try:
        with st.status(_("Building the report …"), expanded=False) as status:
            report = build_report_cached(*arguments, progress=lambda m: status.update(label=m))
            status.update(
                label=_("Report built in {seconds} s: {size} MB").format(
                    seconds=f"{report.seconds:.1f}", size=f"{report.size / 1e6:.1f}"
                ),
                state="complete",
            )
    except AnalyticsError as exc:
        show_error(exc)
        return
    st.download_button(
        _("Download the report (HTML)"),
        data=report.html.encode("utf-8"),
        file_name=f"{''.join(c if c.isalnum() else '_' for c in title)[:60] or 'report'}.html",
        mime="text/html",
        on_click="ignore",
        type="primary",
        icon=":material/download:",
    )
    st.caption(
        _(
            "{size} MB, of which {library} MB is the charting library, embedded so that the "
            "file needs no network."
        ).format(size=f"{report.size / 1e6:.1f}", library=f"{report.library_size / 1e6:.1f}")
    )
    for section in report.sections:
        if section.problem:
            st.markdown(
                ":material/block: "
                + _("**{section}** — not in the report: {problem}").format(
                    section=md(section.title), problem=md(section.problem)
                )
            )
        else:
            st.markdown(f":material/check: **{md(section.title)}**")


built = st.session_state.get(_BUILT)
if built is not None and built != arguments:
    st.info(_("The settings changed since the report was built: build it again."))
elif built is not None:
    _show_report(arguments)
