"""The text pipeline of the PaNOSC scoring service (PSS), so that our scores sit on the federation's scale.

PaNOSC search spec §6.3 step 1: lower-case, punctuation to spaces, stop words out, numbers to words,
Porter stems, one-letter terms out. Used for indexed texts and for queries alike.
"""

import re
from collections import Counter
from functools import lru_cache

from nltk.stem import PorterStemmer
from num2words import num2words

# NLTK's English stop-word list (nltk.corpus.stopwords.words("english"), 179 words). The nltk package does not ship
# its corpora, and a download at run time is not an option on a facility's server.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
    himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom this
    that that'll these those am is are was were be been being have has had having do does did doing a an the and but
    if or because as until while of at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will just don don't should
    should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't
    haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't
    weren weren't won won't wouldn wouldn't""".split()  # noqa: SIM905
)
# PSS's list: Python's string.punctuation without the apostrophe (dropped separately), plus newlines.
_PUNCTUATION = re.compile(r"[!\"#$%&()*+\-,./:;<=>?@\[\\\]^_`{|}~\n\r\t]")
_APOSTROPHES = re.compile(r"['\u2019]")
MAX_TERM_LENGTH = 64  # the index column's width; longer tokens are hashes and paths, never searched whole

_stemmer = PorterStemmer()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stem(word)


@lru_cache(maxsize=20_000)
def _number_words(token: str) -> str:
    try:
        return num2words(int(token))
    except (ValueError, OverflowError, NotImplementedError):
        return token


def terms(text: str) -> list[str]:
    """The stemmed terms of a text, in order and with repeats (term frequencies count them)."""
    words = _PUNCTUATION.sub(" ", text.lower()).split()
    words = [_APOSTROPHES.sub("", word) for word in words if word not in STOP_WORDS]
    words = " ".join(_number_words(word) if word.isdigit() else word for word in words).split()
    stemmed = " ".join(_stem(word) for word in words if word not in STOP_WORDS)
    return [term[:MAX_TERM_LENGTH] for term in _PUNCTUATION.sub(" ", stemmed).split() if len(term) > 1]


def query_terms(text: str) -> list[str]:
    """The distinct terms of a free-text query, in first-seen order; empty when only stop words remain."""
    return list(dict.fromkeys(terms(text)))


def term_frequencies(text: str) -> dict[str, float]:
    """tf(t, d) = count of t in d / number of distinct terms in d (spec §6.3 step 2)."""
    counts = Counter(terms(text))
    distinct = len(counts)
    return {term: count / distinct for term, count in counts.items()}
