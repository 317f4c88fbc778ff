"""Settings from the environment and the [settings] table of the rule files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError, RulesError
from bot.rules.settings import DigestSettings, load_digest_settings


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=tmp_path / "absent.env")
    assert settings.data_dir == Path("data")
    assert settings.offline is False
    assert settings.arxiv_min_interval == 3.0
    assert settings.imap.tls == "implicit"


def test_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "SCHOLAR_DIGEST_DATA_DIR=/from/file\nSCHOLAR_DIGEST_OFFLINE=1\n"
    )
    settings = load_settings(
        {"SCHOLAR_DIGEST_DATA_DIR": "/from/env"}, env_file=env_file
    )
    assert settings.data_dir == Path("/from/env")
    assert settings.offline is True


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SCHOLAR_DIGEST_IMAP_PORT", "imap", "whole number"),
        ("SCHOLAR_DIGEST_IMAP_PORT", "70000", "out of range"),
        ("SCHOLAR_DIGEST_OFFLINE", "maybe", "expected 1 or 0"),
        ("SCHOLAR_DIGEST_SMTP_TLS", "sometimes", "implicit, starttls, off"),
        ("SCHOLAR_DIGEST_ARXIV_MIN_INTERVAL", "-1", "negative"),
        ("SCHOLAR_DIGEST_TO", "a@b.org, not-an-address", "not a plain email address"),
    ],
)
def test_bad_setting_names_the_variable(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, env_file=tmp_path / "absent.env")
    assert caught.value.setting == name
    assert fragment in str(caught.value)


def test_secrets_are_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SCHOLAR_DIGEST_IMAP_PASSWORD": "hunter2-imap",
            "SCHOLAR_DIGEST_LLM_API_KEY": "sk-secret-key",
        },
        env_file=tmp_path / "absent.env",
    )
    assert settings.imap.password == "hunter2-imap"
    assert "hunter2" not in repr(settings)
    assert "sk-secret" not in repr(settings)


def test_missing_rules_folder_means_defaults(tmp_path: Path) -> None:
    assert load_digest_settings(tmp_path / "none") == DigestSettings()


def test_later_rule_files_override_earlier_ones(tmp_path: Path) -> None:
    (tmp_path / "10-base.toml").write_text(
        '[settings]\ntitle = "Base"\nlanguage = "zh"\n'
    )
    (tmp_path / "20-mine.toml").write_text('[settings]\ntitle = "Mine"\n')
    settings = load_digest_settings(tmp_path)
    assert (settings.title, settings.language) == ("Mine", "zh")


def test_unknown_setting_names_file_line_and_a_near_miss(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('# my rules\n[settings]\ntitle = "x"\nlangauge = "en"\n')
    with pytest.raises(RulesError) as caught:
        load_digest_settings(tmp_path)
    assert caught.value.line == 4
    assert caught.value.path == str(path)
    assert "did you mean 'language'" in str(caught.value)


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('[settings]\ntitle = "open\n')
    with pytest.raises(RulesError) as caught:
        load_digest_settings(tmp_path)
    assert caught.value.line == 2


def test_wrong_type_and_unknown_language_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[settings]\nhtml_max_bytes = "big"\n')
    with pytest.raises(RulesError, match=r"whole number.*without quotes"):
        load_digest_settings(tmp_path)
    (tmp_path / "a.toml").write_text('[settings]\nlanguage = "english"\n')
    with pytest.raises(RulesError, match="unknown language"):
        load_digest_settings(tmp_path)


def test_unknown_table_and_stray_key_are_refused_with_their_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.toml").write_text("# x\n[setings]\ntitle = 'x'\n")
    with pytest.raises(RulesError) as caught:
        load_digest_settings(tmp_path)
    assert caught.value.line == 2
    assert "unknown table [setings] (did you mean [settings]?)" in str(caught.value)

    (tmp_path / "a.toml").write_text("title = 'x'\n[settings]\n")
    with pytest.raises(RulesError, match="outside any table") as caught:
        load_digest_settings(tmp_path)
    assert caught.value.line == 1


def test_text_without_quotes_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[settings]\ntitle = Scholar digest\n")
    with pytest.raises(RulesError, match="text needs quotes"):
        load_digest_settings(tmp_path)


def test_named_rules_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="no such rules folder"):
        load_digest_settings(tmp_path / "typo", required=True)


def test_a_settings_error_points_at_the_settings_line_not_a_rules(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "digest.toml").write_text(
        '[[rule]]\nname = "a"\ntitle = ["x"]\ndrop = true\n\n[settings]\ntitle = 5\n'
    )
    with pytest.raises(RulesError) as caught:
        load_digest_settings(rules)
    assert caught.value.line == 7
