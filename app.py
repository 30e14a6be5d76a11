"""MarketLens: page configuration and navigation. Pages live in pages/, logic in analytics/."""

import streamlit as st

from analytics.i18n import _, set_language
from pages._display import display_settings, interface_language, language_switch
from pages._errors import run_page
from pages._jobs import job_pool, page_run_began
from pages._runtime import settle_heap
from pages._widgets import app_icon
from pages._workspace import restore_workspace, sidebar_status, sync_workspace

page_run_began()  # a job's live line that this run replaces needs no rerun from the server
restore_workspace()  # first: a workspace brings its language with it
set_language(interface_language())  # every string of this run, in the visitor's language
st.set_page_config(page_title="MarketLens", page_icon=app_icon(), layout="wide")
page = st.navigation(
    [
        st.Page(
            "pages/overview.py", title=_("Overview"), icon=":material/dashboard:", default=True
        ),
        st.Page("pages/segments.py", title=_("Segments"), icon=":material/groups:"),
        st.Page("pages/basket.py", title=_("Market basket"), icon=":material/shopping_basket:"),
        st.Page("pages/forecast.py", title=_("Forecast"), icon=":material/trending_up:"),
        st.Page("pages/propensity.py", title=_("Propensity"), icon=":material/target:"),
        st.Page("pages/customers.py", title=_("Customers over time"), icon=":material/timeline:"),
        st.Page("pages/campaigns.py", title=_("Campaigns"), icon=":material/campaign:"),
        st.Page("pages/channels.py", title=_("Channels"), icon=":material/hub:"),
        st.Page("pages/monitor.py", title=_("Monitor"), icon=":material/monitor_heart:"),
        st.Page("pages/data.py", title=_("Data"), icon=":material/upload_file:"),
        st.Page("pages/workspaces.py", title=_("Workspaces"), icon=":material/folder_open:"),
        st.Page("pages/report.py", title=_("Report"), icon=":material/summarize:"),
    ]
)
job_pool()  # the worker processes start with the server's first visit, not its first fit
settle_heap()  # then the server's modules are loaded and left out of garbage collection
run_page(page)
language_switch()
sidebar_status()
display_settings()
sync_workspace()
