"""The synthetic traffic generator: deterministic, valid, varied, shaped like real traffic."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.events.mentions_raw import Mention, mention_id
from mentionflow_tools.cli.generate import generate
from mentionflow_tools.fakex import AddMentions
from mentionflow_tools.generate import DEMO_BRANDS, TrafficGenerator, parse_brand
from mentionflow_tools.generate.authors import INFLUENCER_FOLLOWERS
from mentionflow_tools.generate.traffic import fast_mention_id
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def sample() -> list:
    return list(TrafficGenerator(seed=11).labeled(20_000))


def test_same_seed_same_mentions_other_seed_other_mentions():
    def dump(seed: int) -> list[str]:
        return [m.model_dump_json() for m in TrafficGenerator(seed=seed).mentions(2_000)]

    first = dump(4)
    assert dump(4) == first
    other = dump(5)
    assert other != first
    assert not {Mention.model_validate_json(m).external_id for m in other} & {
        Mention.model_validate_json(m).external_id for m in first}


def test_labeled_and_plain_streams_agree():
    labeled = [item.mention for item in TrafficGenerator(seed=8).labeled(1_500)]
    assert labeled == list(TrafficGenerator(seed=8).mentions(1_500))


def test_every_mention_is_a_valid_mention_of_its_brand(sample):
    handles = {b.brand_id: b.handle for b in DEMO_BRANDS}
    for item in sample:
        m = item.mention
        assert Mention.model_validate_json(m.model_dump_json()) == m
        assert m.id == mention_id("x", m.external_id, m.brand_id)
        assert m.source == "generator" and m.brand_known
        assert m.account_handle == handles[m.brand_id]
        assert "@" + m.account_handle.lower() in m.text.lower()
        assert 0 < len(m.text) <= 280
        assert m.created_at < m.received_at <= m.created_at + timedelta(seconds=4)
    times = [item.mention.created_at for item in sample]
    assert times == sorted(times)


def test_category_mix_and_languages(sample):
    categories = Counter(item.category for item in sample)
    share = {c: n / len(sample) for c, n in categories.items()}
    assert set(share) == {"question", "complaint", "praise", "other", "crisis"}
    assert 0.15 < share["question"] < 0.40
    assert 0.15 < share["complaint"] < 0.45
    assert 0.08 < share["praise"] < 0.25
    assert 0.001 < share["crisis"] < 0.15
    langs = Counter(item.mention.lang for item in sample)
    assert langs["en"] > 0.3 * len(sample) and langs["fr"] > 0.3 * len(sample)
    by_brand = {b.brand_id: Counter() for b in DEMO_BRANDS}
    for item in sample:
        by_brand[item.mention.brand_id][item.mention.lang] += 1
    assert by_brand["skylark"]["en"] > 4 * by_brand["skylark"]["fr"]
    assert by_brand["hexafone"]["fr"] > 3 * by_brand["hexafone"]["en"]
    assert 0.35 < by_brand["bouffego"]["fr"] / by_brand["bouffego"].total() < 0.65


def test_texts_vary(sample):
    texts = [item.mention.text for item in sample]
    assert len(set(texts)) > 0.6 * len(texts)


def test_reach_is_heavy_tailed(sample):
    followers = [item.mention.author.followers for item in sample]
    assert statistics.median(followers) < 1_000
    assert max(followers) > 500_000  # three orders of magnitude above the median
    influencers = sum(f >= INFLUENCER_FOLLOWERS for f in followers)
    assert 0.001 * len(followers) < influencers < 0.05 * len(followers)
    assert any(item.mention.author.verified for item in sample)


def test_crisis_bursts_share_a_tag_and_come_faster():
    items = list(TrafficGenerator(seed=2, burst_chance=0.01, burst_size=(300, 300),
                                  rate_per_s=10).labeled(3_000))
    in_burst = [i for i in items if i.incident]
    assert len(in_burst) > 150
    tag = in_burst[0].incident
    burst = [i for i in in_burst if i.incident == tag]
    assert {i.mention.brand_id for i in burst} == {burst[0].mention.brand_id}
    assert {i.category for i in burst} == {"crisis", "complaint"}
    assert sum(f"#{tag}".lower() in i.mention.text.lower() for i in burst) > len(burst) / 2
    first, last = burst[0].mention.created_at, burst[-1].mention.created_at
    during = [i for i in items if first <= i.mention.created_at <= last]
    calm_rate = 10
    assert len(during) / max((last - first).total_seconds(), 1e-9) > 3 * calm_rate


def test_two_brand_posts_become_one_mention_per_brand(sample):
    by_external: dict[str, list[Mention]] = {}
    for item in sample:
        by_external.setdefault(item.mention.external_id, []).append(item.mention)
    shared = [ms for ms in by_external.values() if len(ms) > 1]
    assert shared
    for mentions in shared:
        assert len({m.brand_id for m in mentions}) == len(mentions)
        assert len({m.id for m in mentions}) == len(mentions)
        assert len({m.text for m in mentions}) == 1


def test_follow_ups_continue_an_earlier_conversation(sample):
    by_external = {item.mention.external_id: item.mention for item in sample}
    follow_ups = [item.mention for item in sample if item.mention.in_reply_to]
    assert len(follow_ups) > 0.02 * len(sample)
    for mention in follow_ups:
        parent = by_external[mention.in_reply_to]
        assert parent.created_at < mention.created_at
        assert mention.conversation_id == parent.conversation_id
        assert mention.author.id == parent.author.id


def test_fake_x_body_is_accepted_by_the_fake():
    body = TrafficGenerator(seed=1).fake_x_batch(200)
    batch = AddMentions.model_validate(body)
    assert len(batch.tweets) == 200
    ids = [int(t.id) for t in batch.tweets if t.id]
    assert ids == sorted(ids) and len(set(ids)) == 200
    known = {u.id for u in batch.users}
    assert all(t.author_id in known for t in batch.tweets)
    assert all(set(t.mentioned_user_ids) <= known for t in batch.tweets)


@settings(max_examples=40, deadline=None)
@given(external_id=st.text(min_size=1, max_size=30), brand_id=st.text(min_size=1, max_size=30))
def test_fast_mention_id_is_mention_id(external_id: str, brand_id: str):
    assert fast_mention_id(external_id, brand_id) == mention_id("x", external_id, brand_id)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32),
       sectors=st.lists(st.sampled_from(["telecom", "airline", "food_delivery", "generic"]),
                        min_size=1, max_size=4),
       langs=st.sampled_from(["en", "fr", "en,fr"]))
def test_any_seed_and_brands_give_valid_mentions(seed: int, sectors: list[str], langs: str):
    brands = [parse_brand(f"b{i}=Brand{i}x:{sector}:{langs}") for i, sector in enumerate(sectors)]
    for m in TrafficGenerator(brands, seed=seed, author_pool=200).mentions(150):
        assert m.lang in set(langs.split(",")) | {"und"}
        assert f"@brand{m.brand_id[1:]}x" in m.text.lower()


def test_brand_specs():
    brand = parse_brand("acme=AcmeHelp:airline:en")
    assert (brand.brand_id, brand.handle, brand.sector, brand.languages) == (
        "acme", "AcmeHelp", "airline", (("en", 1.0),))
    assert parse_brand("zed=ZedCo").sector == "generic"
    for bad in ("nohandle", "a=Way_too_long_handle_here", "a=A:space", "a=A:generic:de"):
        with pytest.raises(ValueError):
            parse_brand(bad)


def test_generate_command_writes_json_lines(tmp_path: Path):
    import typer

    app = typer.Typer()
    app.command()(generate)
    runner = CliRunner()
    out_a, out_b, labels = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "l.jsonl"

    for out in (out_a, out_b):
        result = runner.invoke(app, ["--count", "500", "--seed", "7", "--out", str(out),
                                     "--labels-out", str(labels),
                                     "--brands", "acme=AcmeHelp:telecom:fr"])
        assert result.exit_code == 0, result.output

    lines = out_a.read_bytes().splitlines()
    assert len(lines) == 500 and out_a.read_bytes() == out_b.read_bytes()
    mentions = [Mention.model_validate_json(line) for line in lines]
    assert {m.brand_id for m in mentions} == {"acme"}
    assert len(labels.read_bytes().splitlines()) == 500
    bad = runner.invoke(app, ["--count", "5", "--brands", "not a spec"])
    assert bad.exit_code != 0


def test_demo_brands_match_the_shipped_demo_config() -> None:
    from mentionflow.brandconfig import load_config
    from mentionflow_tools.generate.brands import DEMO_BRANDS
    from mentionflow_tools.repo import DEMO_CONFIG

    config = load_config(DEMO_CONFIG)
    for profile in DEMO_BRANDS:
        brand = config.brands[profile.brand_id]
        accounts = {a.handle: a.x_user_id for a in brand.accounts}
        assert accounts.get(profile.handle) == profile.account_user_id
