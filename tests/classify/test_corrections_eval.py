"""The corrections simulation (`classify-eval --corrections`): its bookkeeping and its fallback."""

from __future__ import annotations

from pathlib import Path

from mentionflow_tools.training.corrections_eval import Row, Source, load_source, report, simulate
from mentionflow_tools.training.metrics import macro_f1


def test_without_the_shared_data_it_says_so_and_uses_the_projects_sets(tmp_path: Path) -> None:
    source, note = load_source(tmp_path)
    assert source.name == "own sets" and source.decision == "category" and source.rows
    assert note is not None and "absent" in note
    printed = report(brand=None, corrections=5, root=tmp_path)
    assert printed.startswith(note) and "byte-identical before/after: yes" in printed


def test_corrections_of_one_brand_lift_it_and_leave_the_others_alone() -> None:
    # Mentions the shared model calls "other" that this brand's managers file as complaints.
    pattern = ["@acme your van parked on our street {}", "@acme {} your van on our street again"]
    rows = [Row("acme", p.format(w), "en", "complaint") for p in pattern for w in
            ("today", "yesterday", "again", "this morning", "at last", "finally", "once more", "now", "also", "too",
             "monday", "tuesday", "friday", "sunday", "tonight", "early", "late", "twice")]
    rows += [Row("globex", f"@globex saw your van on our street {w}", "en", "other") for w in ("today", "again", "now")]
    outcome = simulate(Source("synthetic", "category", rows), brand="acme", corrections=10)
    assert outcome.corrections >= 1 and outcome.others_compared == 3 and outcome.others_identical
    assert outcome.after > outcome.before


def test_sentiment_corrections_learn_against_the_shared_models_own_scores() -> None:
    # A brand whose followers' "the update moved the settings menu" is a grievance the shared
    # model reads as neutral: a few corrections (each fold runs the shared model on the
    # corrected text, the view the adapter applies on) teach the rest of the pattern.
    words = ("today", "yesterday", "again", "this morning", "at last", "finally", "once more", "now", "also", "too",
             "monday", "tuesday", "friday", "sunday", "tonight", "early", "late", "twice")
    pattern = ["@acme the new update moved the settings menu {}", "@acme {} the update moved the settings menu again"]
    rows = [Row("acme", p.format(w), "en", "negative") for p in pattern for w in words]
    rows += [Row("globex", f"@globex the update moved the menu {w}", "en", "neutral")
             for w in ("today", "again", "now")]
    outcome = simulate(Source("synthetic", "sentiment", rows), brand="acme", corrections=10)
    assert 1 <= outcome.corrections < 10 and outcome.others_identical
    assert outcome.before < outcome.after == 1.0


def test_macro_f1() -> None:
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == (2 / 3 + 2 / 3) / 2
