"""What each screen shows, without Streamlit: the big screen, a unit's board, a project, the ranking."""
