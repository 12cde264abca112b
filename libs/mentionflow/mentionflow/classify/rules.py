"""Rules over folded text (lower case, no accents): crisis classes, question, complaint, praise.

Each rule has a stable name that ends up in `Classification.reasons` ("crisis:legal",
"question:mark", ...), so a community manager can see why a mention got its label. Patterns
are English + French and match on `tokenize.fold(text)`, hence no accents below.
"""

from __future__ import annotations

import re

CRISIS_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "crisis:safety",
            r"(food poisoning|poisoned|intoxication|caught fire|catch fire|on fire|explod"
            r"|burst into flames|burn(ed|t) (my|me|him|her)|injur|hospitali[sz]|ambulance"
            r"|emergency room|a&e|urgences|allergic reaction|anaphyla|choking|electrocut"
            r"|smoke|fumee|sparked|etincelle|electric shock|assault|agress|emergency landing"
            r"|atterrissage d'urgence|mould|malaise|traumatis|a pris feu|prend feu|pris feu|brulure|brule"
            r"|blesse|hopital|malade apres|sick after|vomit|glass in|verre dans|insect in"
            r"|cafard|rat in|rats? dans|mold in|moisi|recall|rappel de produit|unsafe"
            r"|dangerous|dangereu|carbon monoxide|gas leak|fuite de gaz)",
        ),
        (
            "crisis:legal",
            r"(lawyer|lawsuit|sue (you|them|u)|suing|legal action|take you to court"
            r"|small claims|attorney|class action|solicitor|trading standards|ombudsman"
            r"|avocat|porter plainte|porte plainte|deposer plainte|plainte contre|tribunal"
            r"|mise en demeure|action en justice|action collective|ufc que choisir|dgccrf"
            r"|signal ?conso|cnil|gdpr|rgpd|class-action)",
        ),
        (
            "crisis:security",
            r"(data breach|breach|hacked|been hacked|leaked|leak of|exposed (my|our|customer)"
            r"|fuite de donnees|donnees (personnelles )?(ont )?fuite|piratage|pirate|phishing"
            r"|hameconnage|stolen data|donnees volees|unauthori[sz]ed|fraudulent|frauduleu"
            r"|someone (else )?(accessed|logged into)|identity theft|usurpation)",
        ),
        (
            "crisis:discrimination",
            r"(racis|sexis|homophob|transphob|discrimin|islamophob|antisemit|misogyn"
            r"|harass|harcel|slur|insulte raciste|refused (entry|service) because"
            r"|because (i'm|i am) (black|gay|muslim|disabled|trans))",
        ),
        (
            "crisis:threat",
            r"(i('ll| will| am going to|'m gonna| gonna) (kill|hurt|shoot|find)|kill (you|them)"
            r"|bomb|shoot (up|you)|make (him|her|them|you) pay"
            r"|le defoncer|la defoncer|te defoncer|vous defoncer"
            r"|burn (it|the store|your) down|death threat|menace de mort"
            r"|je vais (vous |te |les )?(tuer|bruler|buter|defoncer)|attentat|terroris)",
        ),
    )
)

# An outage is a crisis only when it hits many users; a lone "app down for me" is a complaint.
OUTAGE_RE = re.compile(
    r"(outage|is down|are down|went down|down again|not working|isn't working|no signal"
    r"|no service|no internet|down for|service down|can't log ?in|cannot log ?in|panne|coupure|hors service"
    r"|ne marche plus|ne fonctionne plus|plus de reseau|plus d'internet|inaccessible)"
)
WIDESPREAD_RE = re.compile(
    r"(everyone|everybody|nationwide|whole (city|country|region|area|town)|all over"
    r"|entire|thousands|millions|across the|for hours|all day|widespread|massive"
    r"|tout le monde|partout|toute la (france|ville|region)|dans tout|generale|nationale"
    r"|massive|des milliers|depuis (ce matin|hier|des heures)|toute la journee)"
)

# An auxiliary opens a question only when a subject follows it ("will you...", "is it..."):
# "Will do, thanks!", "Have a nice day" and "Did it myself" are answers, not questions.
QUESTION_START_RE = re.compile(
    r"^(?:@\w+\s+)*(?:(how|what(?! an? )|when|where|why|who|which|any ?one|anybody|any idea"
    r"|comment|pourquoi|quand|quel|quelle|quels|quelles|combien|est-ce|est ce|pouvez|peut-on"
    r"|peut on|pourriez|savez|ou est|ou sont|ou en est|c'est possible|y a-t-il|y a t il|vous avez)"
    r"|(?:can|could|would|will|is|are|do|does|did|should|has|have)\s+(?:i|you|u|we|they|he|she|it"
    r"|this|that|these|those|there|the|my|your|ur|our|any|anyone|anybody|someone|somebody))\b"
)
QUESTION_ANY_RE = re.compile(
    r"(anyone know|does anyone|can you (help|tell|check|confirm)|can i |how (do|can|long)"
    r"|is there (a|any)|est-ce que|est ce que|savez-vous|pouvez-vous|pourriez-vous"
    r"|comment (on|je|faire)|c'est normal|any update|des nouvelles|une idee)"
)

COMPLAINT_RE = re.compile(
    r"(still (waiting|not|no|haven't)|haven't (received|heard|got)|never (arrived|received|came"
    r"|got)|not (working|arrived|received|happy)|doesn't work|does not work|don't work|stopped"
    r" working|keeps? (crashing|failing|dropping|disconnecting)|broken|refund|charged twice"
    r"|double charged|overcharged|cancel+ed (my|our|the)|delayed|late again|worst|no one"
    r"|nobody|unacceptable|fix (this|it|your)|where is my|where's my|wrong (order|item|size)"
    r"|missing|on hold|waiting (for|since)|hours? (on|waiting)|ripped off|disgrace"
    r"|toujours pas|toujours rien|jamais recu|pas recu|ne fonctionne pas|fonctionne pas"
    r"|marche pas|ne marche|rembours|preleve (deux|2) fois|annule|en retard|retard"
    r"|inadmissible|inacceptable|ras le bol|marre|personne ne|aucune reponse|pas de reponse"
    r"|sans reponse|ou est ma|ou est mon|colis perdu|commande perdue|erreur de commande"
    r"|plus de \d+ (heures|jours)|depuis \d+ (heures|jours|semaines)|honteux|scandaleux|bug)"
)
PRAISE_RE = re.compile(
    r"(thank(s| you)|thx|love (you|it|this|the|my|your)|amazing|awesome|great (job|service"
    r"|support|team)|well done|kudos|shout ?out|best (service|app|team|customer)|impressed"
    r"|you guys rock|you rock|lifesaver|legend|brilliant|merci|bravo|top du top|au top"
    r"|genial|excellent|super (service|equipe|accueil|app|boulot)|j'adore|trop bien"
    r"|chapeau|felicitations|rien a dire|nickel|parfait)"
)


_SCANNED: tuple[tuple[str, re.Pattern[str]], ...] = (
    *CRISIS_RULES,
    ("outage", OUTAGE_RE),
    ("widespread", WIDESPREAD_RE),
    ("complaint", COMPLAINT_RE),
    ("praise", PRAISE_RE),
    ("question_phrase", QUESTION_ANY_RE),
)
_STRIP = ".,!?;:\"()[]@#*…"
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz'&-0123456789")


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of "(a|b|c)" (the shape every rule above has)."""
    body = pattern[1:-1] if pattern.startswith("(") and pattern.endswith(")") else pattern
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in body:
        if ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        current.append(ch)
    parts.append("".join(current))
    return parts


def _trigger(alternative: str) -> str:
    stem = []
    for ch in alternative:
        if ch not in _LITERAL:
            break
        stem.append(ch)
    if not stem:
        raise ValueError(f"rule alternative without a literal first word: {alternative!r}")
    return "".join(stem)


# Trigger index: a rule's regex only runs when a word of the text starts with the literal
# first word of one of its alternatives. Most mentions trigger one or two cheap rules instead
# of paying for every pattern (measured: the plain scan was the classifier's bottleneck).
_BY_PREFIX: dict[str, list[tuple[str, str]]] = {}
_BY_WORD: dict[str, set[str]] = {}
for _name, _pattern in _SCANNED:
    for _alt in _alternatives(_pattern.pattern):
        _stem = _trigger(_alt)
        if len(_stem) < 3:
            _BY_WORD.setdefault(_stem, set()).add(_name)
        else:
            _BY_PREFIX.setdefault(_stem[:3], []).append((_stem, _name))
_BOUNDED = {name: re.compile(r"(?<![a-z])" + p.pattern) for name, p in _SCANNED}


# Raw word -> the rules it triggers. The trigger test of a word depends on the word alone and
# mentions reuse a small vocabulary, so each distinct word is examined once (bounded: cleared
# when full, which only costs recomputation).
_WORD_TRIGGERS: dict[str, tuple[str, ...]] = {}
_WORD_TRIGGERS_LIMIT = 50_000  # ~8 MB at most


def _triggers(word: str) -> tuple[str, ...]:
    """Rule names whose trigger a whitespace-separated word of folded text starts with."""
    word = word.strip(_STRIP)
    names = set(_BY_WORD.get(word, ()))
    for stem, name in _BY_PREFIX.get(word[:3], ()):
        if word.startswith(stem):
            names.add(name)
    return tuple(names)


def scan(folded: str) -> dict[str, str]:
    """Rule name -> first matched text, for every rule that matches at a word start."""
    candidates: set[str] = set()
    cache = _WORD_TRIGGERS
    for word in folded.split():
        names = cache.get(word)
        if names is None:
            if len(cache) >= _WORD_TRIGGERS_LIMIT:
                cache.clear()
            names = cache[word] = _triggers(word)
        if names:
            candidates.update(names)
    if not candidates:
        return {}
    found: dict[str, str] = {}
    # Rule order, not set order: set iteration order changes with hash seeds between processes.
    for name, pattern in _BOUNDED.items():
        if name not in candidates:
            continue
        m = pattern.search(folded)
        if m:
            found[name] = m.group()
    return found


def crisis_hits(found: dict[str, str]) -> list[str]:
    hits = [name for name in found if name.startswith("crisis:")]
    if "outage" in found and "widespread" in found:
        hits.append("crisis:outage_widespread")
    return hits


def question_hits(found: dict[str, str], folded: str, text: str) -> list[str]:
    hits = []
    if "?" in text:
        hits.append("question:mark")
    if QUESTION_START_RE.match(folded):
        hits.append("question:opening")
    elif "question_phrase" in found:
        hits.append("question:phrase")
    return hits
