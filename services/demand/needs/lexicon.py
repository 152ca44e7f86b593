"""The intake lexicon (data/lexicon.yaml): words → what they mean (module, tag, language, certificate,
equipment, a person noun, a negation), found in a text by longest match. Pure apart from `load`.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ..domain import sources
from ..domain.requirements import CODE, MODULES

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.yaml"
# A tag word ending so names people (飞手, 谈判专家, 训导员), not a feature of the task (聚集, 落水).
PERSON_ENDINGS = ("员", "手", "专家", "民警", "人员", "医生", "护士", "警", "队", "组", "蛙人", "骨干", "人才")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Hit:
    word: str
    start: int
    end: int
    meanings: tuple[tuple[str, str], ...]  # (kind, code): module, tag, lang, cert, equip, people, licensed, neg,
    #                                       other (people who are not officers: 嫌疑人, 被困人员)

    def kinds(self, kind: str) -> list[str]:
        return [code for k, code in self.meanings if k == kind]


@dataclass(frozen=True)
class Lexicon:
    version: str
    words: dict            # word → tuple of (kind, code)
    tag_modules: dict      # tag → its usual module
    tag_certificates: dict  # tag → the certificate it needs
    units: dict            # unit word → officers
    longest: int

    def scan(self, text: str) -> list[Hit]:
        """Lexicon words in `text` (normalised), longest first at each place, left to right, not overlapping."""
        out, i, n = [], 0, len(text)
        while i < n:
            for length in range(min(self.longest, n - i), 0, -1):
                meanings = self.words.get(text[i:i + length])
                if meanings:
                    out.append(Hit(text[i:i + length], i, i + length, meanings))
                    i += length
                    break
            else:
                i += 1
        return out


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation to their usual form, Latin lower-cased; same length as `text`."""
    out = []
    for c in text:
        n = unicodedata.normalize("NFKC", c)
        out.append(n.lower() if len(n) == 1 else c)
    return "".join(out)


def parse_lexicon(doc: object) -> Lexicon:
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
        raise LexiconError("lexicon: a mapping with a 'version' is needed")
    sources.check("lexicon", doc.get("source"), LexiconError)
    words: dict[str, list] = {}

    def add(word, kind, code, where):
        if not isinstance(word, str) or not word.strip():
            raise LexiconError(f"lexicon {where}: words must be non-empty strings, not {word!r}")
        words.setdefault(normalise(word.strip()), []).append((kind, code))

    for module, entry in _section(doc, "modules").items():
        if module not in MODULES:
            raise LexiconError(f"lexicon modules: {module!r} is not one of {list(MODULES)}")
        for w in _words(entry, f"modules.{module}"):
            add(w, "module", module, f"modules.{module}")
    for w in _words(doc.get("people"), "people"):
        add(w, "people", "", "people")
    tag_modules = {}
    for tag, entry in _section(doc, "tags").items():
        _code(tag, f"tags.{tag}")
        if entry.get("module") not in MODULES:
            raise LexiconError(f"lexicon tags.{tag}: 'module' must be one of {list(MODULES)}")
        tag_modules[tag] = entry["module"]
        for w in _words(entry, f"tags.{tag}"):
            add(w, "tag", tag, f"tags.{tag}")
            if w.endswith(PERSON_ENDINGS):
                add(w, "people", "", f"tags.{tag}")
    langs = doc.get("languages") or {}
    sources.check("lexicon languages", langs.get("source"), LexiconError)
    for code, ws in langs.items():
        if code != "source":
            _code(f"foreign_language:{code}", f"languages.{code}")
            for w in ws:
                add(w, "lang", code, f"languages.{code}")
                if w.endswith("翻译"):
                    add(w, "people", "", f"languages.{code}")
    for kind, section in (("cert", "certifications"), ("equip", "equipment")):
        for code, entry in _section(doc, section).items():
            _code(code, f"{section}.{code}")
            for w in _words(entry, f"{section}.{code}"):
                add(w, kind, code, f"{section}.{code}")
    for w in _words(doc.get("licensed_words"), "licensed_words"):
        add(w, "licensed", "", "licensed_words")
    for w in _words(doc.get("negations"), "negations"):
        add(w, "neg", "", "negations")
    if doc.get("not_officers") is not None:
        for w in _words(doc.get("not_officers"), "not_officers"):
            add(w, "other", "", "not_officers")
    certs = dict(doc.get("tag_certificates") or {})
    sources.check("lexicon tag_certificates", certs.pop("source", None), LexiconError)
    units = dict(doc.get("units") or {})
    sources.check("lexicon units", units.pop("source", None), LexiconError)
    if not all(isinstance(v, int) and v > 0 for v in units.values()):
        raise LexiconError("lexicon units: each unit's size must be a whole number of officers")
    # a certificate word that holds a tag word (谈判资质) also names the tag
    tag_words = [(w, code) for w, ms in words.items() for kind, code in ms if kind == "tag" and len(w) >= 2]
    for w, ms in list(words.items()):
        if any(kind == "cert" for kind, _ in ms):
            ms += [("tag", code) for tw, code in tag_words if tw in w and tw != w]
    merged = {w: tuple(dict.fromkeys(m)) for w, m in words.items()}
    return Lexicon(version=doc["version"], words=merged, tag_modules=tag_modules, tag_certificates=certs,
                   units=units, longest=max(len(w) for w in merged))


def _section(doc: dict, name: str) -> dict:
    section = doc.get(name)
    if not isinstance(section, dict) or not section:
        raise LexiconError(f"lexicon: '{name}' must be a mapping")
    return section


def _words(entry: object, where: str) -> list[str]:
    if not isinstance(entry, dict):
        raise LexiconError(f"lexicon {where}: must be a mapping with 'source' and 'words'")
    sources.check(f"lexicon {where}", entry.get("source"), LexiconError)
    ws = entry.get("words")
    if not isinstance(ws, list) or not ws:
        raise LexiconError(f"lexicon {where}: 'words' must be a non-empty list")
    return [str(w) for w in ws]


def _code(code: str, where: str) -> None:
    if not CODE.match(code):
        raise LexiconError(f"lexicon {where}: {code!r} is not a lowercase code")


def load(path: Path | str = LEXICON_FILE) -> Lexicon:
    return parse_lexicon(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@cache
def default() -> Lexicon:
    return load()
