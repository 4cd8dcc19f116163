"""Small building blocks shared by the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import strings
from dashboard.queries import serving


def latest_list_or_stop() -> serving.ListInfo:
    """The latest published list; stops the page with a plain French message when there is none."""
    try:
        lists = serving.published_lists()
    except serving.ServingUnavailable:
        st.warning(strings.SERVING_UNAVAILABLE)
        st.stop()
    if not lists:
        st.info(strings.NO_LIST)
        st.stop()
    return lists[0]


def format_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """Display columns in French; the level shown with an icon and a word, never by colour alone."""
    shown = alerts.copy()
    shown.insert(0, "niveau", shown.pop("niveau_alerte").map(strings.LEVEL_LABELS))
    return shown.rename(columns=strings.COLUMNS)
