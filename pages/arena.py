"""The private arena: your blind votes as ratings with 95% intervals, filtered by tag, person and date."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop, show_error_and_stop
from selector import arena
from selector.errors import SelectorError
from selector.history import open_history

ALL = "Everyone / every tag"

catalogue = catalogue_or_stop()
st.title("Arena leaderboard")
st.write(
    "Every vote you cast on the compare page (left better, right better, tie, both bad) is a game "
    "between two models. The ratings below come from a Bradley-Terry fit of those games on the Elo "
    "scale (mean 1000; 400 points = 10:1 odds), with 95% intervals from resampling the votes. Blind "
    "votes are the fair ones: turn on blind mode before you compare."
)
st.page_link("pages/compare.py", label="Vote on the compare page", icon=":material/compare_arrows:")

try:
    votes = arena.votes_from_history(open_history())
except SelectorError as exc:
    show_error_and_stop(exc)
if not votes:
    st.info("No votes yet: compare two models, pick which answer is better, and come back.", icon=":material/info:")
    st.stop()

tags = sorted({v.get("tag") for v in votes if v.get("tag")})
people = sorted({v.get("who") for v in votes if v.get("who")})
dates = [d.date() for d in (arena.vote_time(v.get("created_at")) for v in votes) if d is not None]
c1, c2, c3 = st.columns(3)
tag = c1.selectbox("Use-case tag", [ALL] + tags, key="arena_tag")
who = c2.selectbox("Person", [ALL] + people, key="arena_who")
first_day, last_day = (min(dates), max(dates)) if dates else (dt.date.today(), dt.date.today())
period = c3.date_input("Dates", (first_day, last_day), key="arena_dates")
since, until = (period[0], period[-1]) if isinstance(period, (tuple, list)) and period else (None, None)

chosen = arena.filter_votes(votes, tag=None if tag == ALL else tag, who=None if who == ALL else who,
                            since=since, until=until)
try:
    board = arena.rate(chosen)
except SelectorError as exc:
    show_error_and_stop(exc)
if not board.ratings:
    st.info("No votes match these filters.", icon=":material/filter_alt_off:")
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("Votes", f"{board.votes:,}")
m2.metric("Models rated", len(board.ratings))
m3.metric("Votes still needed", "—" if board.votes_still_needed is None else f"{board.votes_still_needed:,}",
          help="More votes needed before the 95% interval of the gap between the first two excludes zero, "
               "if the gap stays as it is (the standard error shrinks as 1/√votes).")
st.write(board.separation)

names = {m.id: m.name for m in catalogue.models}
st.table(pd.DataFrame([{
    "Rank": rank, "Model": names.get(r.model, r.model), "Rating": round(r.rating),
    "95% interval": f"{r.low:.0f} – {r.high:.0f}", "Votes": r.votes, "Wins": r.wins, "Losses": r.losses,
    "Ties": r.ties, "Both bad": r.both_bad,
    "Chance to beat the average model": f"{r.win_probability:.0%} ({r.win_probability_low:.0%}–{r.win_probability_high:.0%})",
} for rank, r in enumerate(board.ratings, start=1)]).set_index("Rank"))
st.plotly_chart(arena.leaderboard_figure(board, names), width="stretch", key="arena_chart")
st.caption(f"Method: {board.method}. Models with a catalogue id and at least {arena.MIN_VOTES_FOR_EVIDENCE} votes "
           "feed the recommendation as measured quality (their chance to beat the average model, with its interval).")
