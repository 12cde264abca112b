"""Language detection for short, messy mentions, written here (no model, no download).

Why our own: the services only need to tell English from French (plus "not one of ours") on
text of five to forty words full of handles, links, emoji and slang. Function-word scoring is
robust on exactly that text, costs one set look-up per token (it reuses the classifier's
tokens), and needs no model file. Packages with a shipped model (e.g. fastText lid.176
wrappers) either fetch the model at run time or weigh 100+ MB; neither fits.

Contract: `detect_language(tokens, raw_text)` -> (code, confidence). Codes are "en", "fr",
"es", "de" or "und" when no language has any evidence. Deterministic, never raises.
"""

from __future__ import annotations

# Folded (accent-free) function words and frequent chat words. Words shared by several
# languages ("a", "on", "me", "son") are left out on purpose: they carry no evidence.
_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was were to of in for with this that it's my your you i i'm im don't "
        "doesn't can't cant not have has had be been will would could should why how what "
        "when where who just still no yes please thanks thank get got but they we our from "
        "at by been any anyone it an or so if do does did there their here too very really "
        "about after again all am because being before off out over up down now then than "
        "hey hi help wtf lol omg guys since hours days order account app service "
        "love hate great worst best".split()
    ),
    "fr": frozenset(
        "le la les un une des du de et est sont etait pour avec dans ce cette c'est mon ma "
        "mes ton ta vos votre nos notre je j' tu il elle nous vous ils elles pas ne n' plus "
        "que qui quoi pourquoi comment quand ou sur par au aux mais donc car ca cela y a "
        "ai avez avons ont fait faire depuis toujours jamais rien merci svp stp bonjour "
        "salut encore tres trop bien aussi deja alors sans chez meme tout tous toute "
        "l' d' qu' s' m' t' suis etes sera ete commande compte appli service".split()
    ),
    "es": frozenset(
        "el los las y es son para con por que mi tu su pero muy gracias hola como cuando "
        "donde esta estoy del al una uno porque tiene hay".split()
    ),
    "de": frozenset(
        "der die das und ist sind nicht ich du wir ihr mit fur auf ein eine einen dem den "
        "danke bitte warum wie wann aber noch schon sehr auch mein dein".split()
    ),
}
_ACCENT_FR = tuple("éèêàçùâîôûëïœ")
SUPPORTED = ("en", "fr")


# One look-up per token: word -> the languages it is evidence for.
_INDEX: dict[str, tuple[str, ...]] = {}
for _lang, _words in _WORDS.items():
    for _word in _words:
        _INDEX[_word] = (*_INDEX.get(_word, ()), _lang)


def detect_language(tokens: list[str], raw_text: str) -> tuple[str, float]:
    scores = dict.fromkeys(_WORDS, 0.0)
    index = _INDEX
    for tok in tokens:
        langs = index.get(tok)
        if langs:
            for lang in langs:
                scores[lang] += 1.0
    # French accents are strong evidence even when every word is a content word.
    # (an ASCII text has none: most mentions skip the thirteen counting passes)
    accents = 0 if raw_text.isascii() else sum(map(raw_text.lower().count, _ACCENT_FR))
    if accents:
        scores["fr"] += min(accents, 4) * 0.75
    best = max(scores, key=scores.__getitem__)
    total = sum(scores.values())
    if total == 0.0:
        return "und", 0.0
    return best, round(scores[best] / total, 3)
