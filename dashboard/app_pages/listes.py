"""Liste de détection: the alerts of a region for a published list."""

import streamlit as st

from dashboard import strings
from dashboard.components import format_alerts, latest_list_or_stop
from dashboard.queries import serving

latest = latest_list_or_stop()
lists = serving.published_lists()
st.title(strings.LIST_TITLE)

with st.form("filtres_liste"):
    labels = {info.liste_id: info.libelle for info in lists}
    liste_id = st.selectbox(strings.LIST_SELECT, list(labels), format_func=labels.get)
    regions = serving.regions()
    region_labels = dict(zip(regions["code_region"], regions["libelle"], strict=True))
    code_region = st.selectbox(strings.REGION_SELECT, list(region_labels), format_func=region_labels.get)
    st.form_submit_button("Appliquer")

alerts = serving.alerts_of_region(liste_id, code_region)
if alerts.empty:
    st.info(strings.NO_ALERT_IN_TERRITORY.format(liste=labels[liste_id]))
else:
    counts = alerts["niveau_alerte"].value_counts()
    st.write(
        strings.SUMMARY.format(
            total=len(alerts), fort=int(counts.get("fort", 0)), modere=int(counts.get("modere", 0))
        )
    )
    st.dataframe(format_alerts(alerts), hide_index=True, width="stretch")
