"""Accueil: the latest list in one sentence."""

import streamlit as st

from dashboard import strings
from dashboard.components import latest_list_or_stop

st.title(strings.HOME_TITLE)
st.write(strings.HOME_INTRO)
latest = latest_list_or_stop()
st.info(
    strings.HOME_LATEST.format(
        libelle=latest.libelle, evaluees=latest.nb_evaluees, fort=latest.nb_fort, modere=latest.nb_modere
    )
)
