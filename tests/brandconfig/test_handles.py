"""X handle → brand ids: case-insensitive, '@' optional, unknown handles map to nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from mentionflow.brandconfig import brands_for_handle

from tests.routing.builders import demo_config


def test_known_handles_in_any_form() -> None:
    config = demo_config()
    for handle in ("Hexafone_SAV", "@hexafone_sav", "  @HEXAFONE_SAV "):
        assert brands_for_handle(config, handle) == ("hexafone",)
    assert brands_for_handle(config, "@SkylarkHelp") == ("skylark",)
    assert brands_for_handle(config, "bouffego_aide") == ("bouffego",)
    assert config.brands_for_x_user_id("1460000000000000101") == ("skylark",)


def test_unknown_handle_maps_to_no_brand() -> None:
    assert brands_for_handle(demo_config(), "@Hexafone_SAV2") == ()


@given(
    handle=st.sampled_from(["Hexafone", "Hexafone_SAV", "SkylarkAir", "SkylarkHelp", "BouffeGo", "BouffeGo_Aide"]),
    flips=st.lists(st.booleans(), min_size=15, max_size=15),
    at=st.booleans(),
)
def test_any_casing_of_an_account_finds_its_brand(handle: str, flips: list[bool], at: bool) -> None:
    config = demo_config()
    variant = "".join(c.upper() if f else c.lower() for c, f in zip(handle, flips, strict=False))
    expected = brands_for_handle(config, handle)
    assert len(expected) == 1
    assert brands_for_handle(config, ("@" if at else "") + variant) == expected
