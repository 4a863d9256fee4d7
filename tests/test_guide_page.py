"""AppTest of the Guide page: the seed's concepts with their figures, each linked to the page that acts on it."""

from __future__ import annotations

from pathlib import Path

from conftest import open_app_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_guide() -> AppTest:
    return open_app_page("pages/guide.py")


def page_links(at: AppTest) -> list[str]:
    return [link.proto.page for link in at.page_link]


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [h.value for h in at.header] + [h.value for h in at.subheader]
    return "\n".join(parts)


def test_the_guide_has_the_three_ideas_in_order():
    at = open_guide()
    assert at.title[0].value == "Guide"
    headers = [h.value for h in at.header]
    assert headers == ["1. How a chat model is made", "2. Frontier API or open weights", "3. Five questions, no single winner"]


def test_the_training_stack_table_carries_the_seed_figures():
    at = open_guide()
    table = at.dataframe[0].value
    assert list(table["Stage"]) == ["Pretraining", "Supervised fine-tuning (SFT)", "Preference tuning (RLHF, DPO)"]
    assert "10k-100k" in table.iloc[1]["Learns from"]
    assert "50k-200k" in table.iloc[2]["Learns from"]
    assert "base" in page_text(at) and "keeps writing" in page_text(at)


def test_the_five_dimensions_carry_the_seed_figures():
    text = page_text(open_guide())
    for name in ["Capability", "Cost", "Latency", "Context window", "Modalities"]:
        assert f"**{name}:" in text
    for figure in ["$2-3 an hour", "0.5-2 s", "50-200 ms", "100 ms", "4k-32k", "200k", "128k", "$0.001-0.01 per 1k"]:
        assert figure in text, figure


def test_every_idea_links_to_the_page_that_acts_on_it():
    links = page_links(open_guide())
    for page in ["compare", "recommend", "explore", "costs", "benchmark"]:
        assert any(page in link for link in links), (page, links)


def test_the_catalogue_counts_are_the_catalogues(tmp_path, monkeypatch):
    from catalogue_samples import entry, write_catalogue

    models = [entry("open-a", open_weights=True, license="apache-2.0"), entry("open-b", open_weights=True,
              license="apache-2.0"), entry("closed-c")]
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(write_catalogue(tmp_path / "models.yaml", {"models": models})))
    text = page_text(open_guide())
    assert "3 current models: 2 with open weights you can download, 1 reachable only" in text


def test_home_shows_the_description_as_text_so_no_image_is_fetched():
    from conftest import open_app_page

    from selector.answers import Answers

    answers = Answers(description="Bot ![x](http://127.0.0.1:9/pixel.png) <img src=x>")
    at = open_app_page("pages/home.py", 30, session={"answers": answers})
    [shown] = [s.value for s in at.success]
    # escaped for markdown: the image and the tag show as typed, nothing is fetched
    assert "Bot !\\[x\\](http" in shown and "\\<img" in shown
