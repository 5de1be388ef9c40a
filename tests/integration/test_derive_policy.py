"""`[derive]` in a policy file: team lexicons next to the policy extend the shipped ones, broken
ones are reported as policy problems with file and line, and the table round-trips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalation.adapters import lexicon_files
from escalation.adapters.lexicon_files import load_lexicon
from escalation.adapters.policy_file import PolicyFileError, check_policy, load_policy
from escalation.domain.model import Ticket
from escalation.domain.policy import DEFAULT_POLICY, Derive, policy_from_mapping, policy_to_mapping
from escalation.services import derive_facts

TEAM = """language = "en"
[facts.data_loss]
phrases = ["frobnicated the ledger"]
"""
BROKEN = """language = "en"
[facts.data_loss]
phrases = ["frobnicated the ledger", "(unbalanced words"]
"""
POLICY = """name = "team"
revision = "7"

[derive]
enabled = true
lexicons = {lexicons}
"""


# Small stand-ins for the shipped lexicons (being edited elsewhere, and slow to compile): these
# tests are about the policy and the files around it, not the word lists.
SHIPPED = (
    ("en.toml", {"language": "en", "facts": {"production_down": {"phrases": ["site is down"]}}}),
    ("zh.toml", {"language": "zh", "facts": {"data_loss": {"phrases": ["数据 丢失"]}}}),
)


@pytest.fixture(autouse=True)
def small_shipped_lexicons(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(lexicon_files, "_shipped", lambda: SHIPPED)
    lexicon_files._load.cache_clear()
    yield
    lexicon_files._load.cache_clear()


def write_policy(folder: Path, lexicons: str = '["team.toml"]') -> Path:
    path = folder / "policy.toml"
    path.write_text(POLICY.format(lexicons=lexicons), encoding="utf-8")
    return path


def test_relative_team_lexicon_loads_and_extends_the_shipped_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "team.toml").write_text(TEAM, encoding="utf-8")
    path = write_policy(tmp_path)
    monkeypatch.chdir(tmp_path.parent)  # resolved next to the policy file, not the cwd
    policy, problems = check_policy(path)
    assert problems == []
    assert policy is not None
    assert policy.derive.lexicons == (str((tmp_path / "team.toml").resolve()),)
    ticket = Ticket(id="T-1", description="Someone frobnicated the ledger overnight.")
    extraction = derive_facts(ticket, policy)
    assert extraction is not None
    found = extraction.derived["data_loss"]
    assert found.evidence[0].phrase == "frobnicated the ledger"
    assert found.evidence[0].source.endswith("team.toml: facts.data_loss.phrases[0]")
    # The shipped lexicons are still there: the team file adds to them.
    lexicon = load_lexicon(policy.derive.lexicons)
    assert lexicon.sources == ("en.toml", "zh.toml", policy.derive.lexicons[0])
    assert lexicon.phrase_count == 3
    both = Ticket(id="T-2", description="The site is down and we frobnicated the ledger")
    extraction = derive_facts(both, policy)
    assert extraction is not None
    assert set(extraction.derived) == {"production_down", "data_loss"}
    shipped_only = derive_facts(ticket, DEFAULT_POLICY)
    assert shipped_only is not None and "data_loss" not in shipped_only.derived


def test_edited_team_lexicon_is_read_again(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(TEAM, encoding="utf-8")
    policy = load_policy(write_policy(tmp_path))
    ticket = Ticket(id="T-1", description="they zorched the ledger")
    before = derive_facts(ticket, policy)
    assert before is not None and "data_loss" not in before.derived
    team.write_text(TEAM.replace("frobnicated", "zorched"), encoding="utf-8")
    stat = team.stat()
    os.utime(team, (stat.st_atime, stat.st_mtime + 5))
    extraction = derive_facts(ticket, policy)
    assert extraction is not None and "data_loss" in extraction.derived


def test_broken_team_lexicon_is_a_policy_problem_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text(TEAM, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    path = write_policy(tmp_path, '[\n  "team.toml",\n  "broken.toml",\n]')
    policy, problems = check_policy(path)
    assert policy is None
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == str(path)
    assert problem.key == "derive.lexicons[1]"
    assert problem.line == 6  # the `lexicons = …` line
    assert "broken.toml: facts.data_loss.phrases[1]: expected balanced parentheses" in (
        problem.message)
    assert str(problem).startswith(f"{path}:6: derive.lexicons[1]: ")
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    assert caught.value.problems == problems


def test_missing_or_invalid_team_lexicon_files(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("language = \n", encoding="utf-8")
    path = write_policy(tmp_path, '["nowhere.toml", "bad.toml"]')
    policy, problems = check_policy(path)
    assert policy is None
    assert [p.key for p in problems] == ["derive.lexicons[0]", "derive.lexicons[1]"]
    assert "an existing lexicon file" in problems[0].message
    assert "valid TOML" in problems[1].message


def test_unknown_key_in_derive(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[derive]\nenabled = true\nlexicon = ["x.toml"]\n', encoding="utf-8")
    policy, problems = check_policy(path)
    assert policy is None
    assert [(p.key, p.line) for p in problems] == [("derive.lexicon", 3)]


def test_disabled_derive_round_trips_and_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[derive]\nenabled = false\n", encoding="utf-8")
    policy = load_policy(path)
    assert policy.derive == Derive(enabled=False)
    mapping = policy_to_mapping(policy)
    assert mapping["derive"] == {"enabled": False, "lexicons": []}
    assert policy_from_mapping(mapping).derive == policy.derive
    assert derive_facts(Ticket(id="T", description="we lost all our data"), policy) is None


def test_default_derive_is_left_out_of_the_mapping_and_round_trips(tmp_path: Path) -> None:
    assert "derive" not in policy_to_mapping(DEFAULT_POLICY)
    assert policy_from_mapping(policy_to_mapping(DEFAULT_POLICY)).derive == Derive()
    (tmp_path / "team.toml").write_text(TEAM, encoding="utf-8")
    policy = load_policy(write_policy(tmp_path))
    again = policy_from_mapping(policy_to_mapping(policy))
    assert again.derive == policy.derive
