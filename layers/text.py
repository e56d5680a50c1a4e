"""Text compared the way people search for it: any case, any accents."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd


def strip_accents(text: str) -> str:
    """Text in lower case without accents; punctuation kept, runs of white space made one space.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` case-folded, decomposed (NFKD) with its combining marks dropped, so "Môn" and "MON"
        both become "mon"; the other characters are kept, so a search for part of a name still finds it.

    Examples
    --------
    >>> strip_accents("Ynys  Môn")
    'ynys mon'
    >>> strip_accents("Café-Bar St. Chad's"), strip_accents("Straße")
    ("cafe-bar st. chad's", 'strasse')
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)))


def fold(text: str) -> str:
    """Text to compare names by: lower case, without accents, apostrophes or other punctuation.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` as :func:`strip_accents` makes it, with "&" as "and", apostrophes dropped and other
        punctuation made spaces.

    Examples
    --------
    >>> fold("St. John's & Ashton-under-Lyne"), fold("  Ynys Môn ")
    ('st johns and ashton under lyne', 'ynys mon')
    """
    plain = re.sub(r"['’‘`]", "", strip_accents(text).replace("&", " and "))
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def fold_all(texts):
    """:func:`fold` of many texts at once (a pandas Series), vectorised for plain ASCII text.

    Parameters
    ----------
    texts : pandas.Series of str

    Returns
    -------
    pandas.Series
        Each text as :func:`fold` makes it, in the same order and index.

    Examples
    --------
    >>> import pandas as pd
    >>> fold_all(pd.Series(["St. John's & Ashton-under-Lyne", "  Ynys Môn ", "Halton 001A"])).tolist()
    ['st johns and ashton under lyne', 'ynys mon', 'halton 001a']
    """
    ascii_only = texts.map(str.isascii)
    plain = texts[ascii_only].str.lower().str.replace("&", " and ", regex=False)
    plain = plain.str.replace(r"['`]", "", regex=True).str.replace(r"[\W_]+", " ", regex=True).str.strip()
    rest = texts[~ascii_only].map(fold)
    return (plain if rest.empty else pd.concat([plain, rest])).reindex(texts.index)


def lower_first(name: str) -> str:
    """A name as it reads inside a sentence: its first letter in lower case, unless it starts an initialism.

    Parameters
    ----------
    name : str
        A title such as a boundary set's name.

    Returns
    -------
    str
        ``name`` with only its first letter lowered ("Wards (May 2024)" -> "wards (May 2024)"), unchanged when
        its first two letters are capitals ("LSOAs", "APBs").

    Examples
    --------
    >>> lower_first("Wards (May 2024)"), lower_first("LSOAs (2021)"), lower_first("")
    ('wards (May 2024)', 'LSOAs (2021)', '')
    """
    return name if name[:2].isupper() else name[:1].lower() + name[1:]
