from catalogue.search.terms import STOP_WORDS, query_terms, term_frequencies, terms


def test_pipeline_lowercases_stems_and_drops_stop_words_and_one_letter_terms():
    assert terms("The Magnetic properties of WATER, a study") == ["magnet", "properti", "water", "studi"]


def test_numbers_become_words_before_stemming():
    assert terms("run 20") == ["run", "twenti"]


def test_punctuation_splits_words_and_apostrophes_are_dropped():
    assert terms("small-angle x-ray; scientist's") == ["small", "angl", "ray", "scientist"]


def test_query_terms_are_distinct_and_empty_for_stop_words_only():
    assert query_terms("water water magnetic") == ["water", "magnet"]
    assert query_terms("the of and") == []


def test_term_frequency_is_count_over_distinct_terms():
    assert term_frequencies("water water ice") == {"water": 1.0, "ice": 0.5}


def test_stop_word_list_is_nltks_english_list():
    assert len(STOP_WORDS) == 179
