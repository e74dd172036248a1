"""Pure scoring: run the checks on a record's facts, weigh them into a score between 0 and 1, name its band.

A check that does not apply (raw data have no inputs) leaves the weight out of the total. A DOI's checks of
dataset level score the mean of its datasets' results, as stored when they were scored.
"""

from dataclasses import dataclass

from catalogue.fair.checks import CHECKS, Check, Facts, Level, Result

CHECKS_BY_KEY: dict[str, Check] = {check.key: check for check in CHECKS}
# (band, lowest score in it), best first.
BANDS: list[tuple[str, float]] = [("excellent", 0.9), ("good", 0.75), ("moderate", 0.5), ("poor", 0.0)]


@dataclass(frozen=True)
class Assessment:
    score: float
    results: dict[str, Result]

    @property
    def band(self) -> str:
        return band_of(self.score)

    def gains(self) -> dict[str, float]:
        """What the score rises by when each check not fully met passes (the worklist sums these)."""
        total = applicable_weight(self.results)
        return {
            key: CHECKS_BY_KEY[key].weight * (1 - result.earned) / total
            for key, result in self.results.items()
            if result.earned is not None and result.earned < 1 and total
        }


def band_of(score: float) -> str:
    return next(name for name, lowest in BANDS if score >= lowest)


def band_range(band: str) -> tuple[float, float]:
    """[low, high) of a band's scores; the best band's high is above 1."""
    names = [name for name, _ in BANDS]
    index = names.index(band)
    high = BANDS[index - 1][1] if index else 1.01
    return BANDS[index][1], high


def applicable_weight(results: dict[str, Result]) -> int:
    return sum(CHECKS_BY_KEY[key].weight for key, result in results.items() if result.earned is not None)


def evaluate(facts: Facts) -> dict[str, Result]:
    results = {}
    for check in CHECKS:
        if check.level == Level.DATASET and facts.dataset_means is not None:
            results[check.key] = _mean_result(facts.dataset_means.get(check.key))
        else:
            results[check.key] = check.evaluate(facts)
    return results


def _mean_result(mean: float | None) -> Result:
    if mean is None:
        return Result(None)
    mean = round(mean, 4)
    return Result(mean, "" if mean >= 1 else f"met by {mean:.0%} of its datasets on average")


def assess(facts: Facts) -> Assessment:
    results = evaluate(facts)
    total = applicable_weight(results)
    earned = sum(CHECKS_BY_KEY[key].weight * r.earned for key, r in results.items() if r.earned is not None)
    return Assessment(score=round(earned / total, 4) if total else 0.0, results=results)
