"""Streamlit helpers shared by the pages: cached reads keyed by data version, display formatting, the big screen's
drawing kit (ui.cockpit), login (ui.auth) and shared widgets (ui.widgets)."""
