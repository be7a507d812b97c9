"""Streamlit helpers shared by the pages: cached reads keyed by data version, and display formatting."""
