"""Vision Council Data Communication Standard (DCS, "VCA") text, in plain Python.

A record is LABEL=value or, for per-eye records, LABEL=right;left; records end
with CR LF. The standard's character set is printable ASCII, and ";" separates
the fields of a record, so values are made to fit here: Cyrillic is
transliterated, names with ";" or a line break are refused, free text gets ","
for ";" and a space for line breaks (the standard has no escape).
"""

import unicodedata

# Russian Cyrillic to Latin as in ICAO Doc 9303 (the transliteration of Russian
# passports since 2013, Order of the FMS of Russia No. 320).
CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
LINE_BREAKS = ("\r\n", "\r", "\n", "\t", "\v", "\f", "\x85", "\u2028", "\u2029")


class VcaError(ValueError):
    """A value the standard cannot carry: args are (label, reason), reason one of
    "separator" (a ";" or a line break in a name) or "charset"."""


def transliterate(text):
    """Latin letters for Cyrillic (capitals kept), accents dropped."""
    letters = []
    for char in text:
        latin = CYRILLIC_TO_LATIN.get(char.lower())
        if latin is None:
            letters.append(char)
        elif char.isupper():
            letters.append(latin.capitalize() if len(latin) > 1 else latin.upper())
        else:
            letters.append(latin)
    decomposed = unicodedata.normalize("NFKD", "".join(letters))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _printable_ascii(label, text):
    if any(not " " <= char <= "~" for char in text):
        raise VcaError(label, "charset")
    return text


def name_value(label, text):
    """A name (job, customer, lens): transliterated; a separator in it is refused."""
    text = text or ""
    if ";" in text or any(brk in text for brk in LINE_BREAKS):
        raise VcaError(label, "separator")
    return _printable_ascii(label, transliterate(text).strip())


def free_text_value(label, text):
    """Free text (a note): transliterated, ";" written as "," and line breaks as spaces."""
    text = text or ""
    for brk in LINE_BREAKS:
        text = text.replace(brk, " ")
    text = " ".join(transliterate(text).replace(";", ",").split())
    return _printable_ascii(label, text)


def vca_text(records):
    """The file as bytes from (label, values) pairs; values is one value or a
    (right, left) pair, each already text."""
    lines = []
    for label, values in records:
        text = ";".join(values) if isinstance(values, (list, tuple)) else values
        lines.append(f"{label}={text}")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
