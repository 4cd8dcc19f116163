"""Streamlit entry point: page setup and navigation (French labels)."""

import streamlit as st

from dashboard import strings

st.set_page_config(page_title=strings.APP_TITLE, layout="wide")
navigation = st.navigation(
    [
        st.Page("app_pages/accueil.py", title=strings.NAV_ACCUEIL, default=True),
        st.Page("app_pages/listes.py", title=strings.NAV_LISTES, url_path="listes"),
    ]
)
navigation.run()
