"""The one normal form titles are compared in."""

from __future__ import annotations

import pytest

from bot.text import normalize_title


@pytest.mark.parametrize(
    ("scholar", "arxiv"),
    [
        ("Spin &amp; charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\\'evy-flight view",
         "Spin & charge order in\n  La$_{2-x}$Sr$_x$CuO$_4$:  a L\\'evy-flight view"),
        ("Lévy Flights in Señor Müller's Graphs",
         "Levy flights in senor muller's graphs"),
        ("Garc\\'{\\i}a's Theorem", "García’s theorem"),
    ],
)  # fmt: skip
def test_spellings_of_one_title_share_the_normal_form(scholar: str, arxiv: str) -> None:
    assert normalize_title(scholar) == normalize_title(arxiv)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ハグの研究", "バグの研究"),  # a voicing mark makes another word
        ("Анализ Й-графов", "Анализ И-графов"),  # Й is not И
        ("GPT-3 Scaling", "GPT-4 Scaling"),
        ("?!?", "🎉🎉"),
    ],
)
def test_different_letters_stay_different(one: str, other: str) -> None:
    assert normalize_title(one) != normalize_title(other)


def test_japanese_title_keeps_its_letters() -> None:
    assert normalize_title("大規模言語モデルの評価") == "大規模言語モデルの評価"
