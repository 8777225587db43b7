"""The request's path as data, and the review-sampling arithmetic, checked against an
independent implementation (scipy's beta quantile) and Hanley's rule of three."""

from __future__ import annotations

import pytest

from imgshare.book import requestpath


def test_the_path_has_the_steps_in_order() -> None:
    keys = [s.key for s in requestpath.STEPS]
    assert keys == [
        "intake",
        "consent",
        "scope",
        "risk",
        "deidentify",
        "qc",
        "approval",
        "agreement",
        "release",
    ]
    for s in requestpath.STEPS:
        assert s.decides and s.checks and s.records, s.key


def test_quality_control_is_independent_of_the_operator() -> None:
    assert requestpath.step("qc").decides != requestpath.step("deidentify").decides
    assert "not the operator" in requestpath.step("qc").decides


def test_the_agreement_carries_the_image_clauses() -> None:
    text = " ".join(requestpath.step("agreement").checks).lower()
    for clause in ("identify participants", "sites", "face", "re-linking"):
        assert clause in text


def test_checklist_rows_and_unknown_step() -> None:
    rows = requestpath.checklist("qc")
    assert {r["kind"] for r in rows} == {"check", "record"}
    with pytest.raises(KeyError):
        requestpath.step("nonsense")


@pytest.mark.parametrize("n", [1, 10, 59, 300])
def test_upper_bound_is_the_exact_binomial_limit(n: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    # Clopper-Pearson one-sided upper limit for 0 events in n trials
    assert requestpath.upper_bound(n) == pytest.approx(stats.beta.ppf(0.95, 1, n), rel=1e-9)


@pytest.mark.parametrize("rate", [0.1, 0.05, 0.02, 0.01])
def test_review_size_is_the_smallest_sufficient(rate: float) -> None:
    n = requestpath.review_size(rate)
    assert requestpath.upper_bound(n) <= rate < requestpath.upper_bound(n - 1)
    assert abs(n - 3 / rate) / (3 / rate) < 0.05  # Hanley and Lippman-Hand's 3/n


def test_bad_arguments_fail_loudly() -> None:
    for call in (
        lambda: requestpath.upper_bound(0),
        lambda: requestpath.upper_bound(5, 1.0),
        lambda: requestpath.review_size(0.0),
        lambda: requestpath.review_sample([1], str, 0, 1),
    ):
        with pytest.raises(ValueError):
            call()


def test_review_sample_is_stratified_and_reproducible() -> None:
    items = [f"{site}-{i}" for site in "ABC" for i in range(30)] + ["D-0", "D-1"]
    stratum = lambda item: item.split("-")[0]  # noqa: E731
    first = requestpath.review_sample(items, stratum, 5, seed=11)
    assert set(first) == {"A", "B", "C", "D"}
    for site, chosen in first.items():
        members = [i for i in items if stratum(i) == site]
        assert len(chosen) == min(5, len(members)) == len(set(chosen))
        assert set(chosen) <= set(members)
    assert requestpath.review_sample(list(reversed(items)), stratum, 5, seed=11) == first
    assert requestpath.review_sample(items, stratum, 5, seed=12) != first


def test_figure_shows_every_step() -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = requestpath.figure()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts).replace("\n", " ")
    for s in requestpath.STEPS:
        assert s.name.split()[0] in texts


def test_review_sample_takes_objects_that_do_not_sort() -> None:
    class Item:  # like a samples.Sample: no ordering of its own
        def __init__(self, name: str) -> None:
            self.name = name

        def __repr__(self) -> str:
            return self.name

    items = [Item(f"x{i}") for i in range(10)]
    chosen = requestpath.review_sample(items, lambda i: "one", 3, seed=1)
    assert len(chosen["one"]) == 3
