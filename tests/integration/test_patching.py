"""The embedded AWS's patches (``delaydesk_local.patching.Patch``): installed once however nested,
restored as they were, an inherited attribute inherited again."""

from __future__ import annotations

from delaydesk_local.patching import Patch


class Base:
    def greet(self) -> str:
        return "base"


class Child(Base):
    def own(self) -> str:
        return "own"


def test_an_inherited_attribute_is_inherited_again_and_nesting_installs_once() -> None:
    exits: list[str] = []
    patch = Patch(Child, "greet", lambda self: "patched " + patch.original(self), on_exit=lambda: exits.append("x"))
    with patch.installed():
        assert Child().greet() == "patched base"
        with patch.installed():  # nested: the inner block neither installs nor restores
            assert Child().greet() == "patched base"
        assert Child().greet() == "patched base" and exits == []
    assert "greet" not in vars(Child) and Child().greet() == "base"
    assert exits == ["x"]  # once, when the outermost block restored it


def test_an_own_attribute_is_put_back_even_when_the_block_fails() -> None:
    patch = Patch(Child, "own", lambda self: "patched")
    original = vars(Child)["own"]
    try:
        with patch.installed():
            assert Child().own() == "patched"
            raise RuntimeError("the block failed")
    except RuntimeError:
        pass
    assert vars(Child)["own"] is original and Child().own() == "own"
