"""Text compared the way people search for it: any case, any accents."""
from __future__ import annotations

import re
import unicodedata


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
