"""One real event, one incident: matching and merging reports."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.incidents import (
    follow_up_from_report,
    incident_from_report,
    match_follow_up,
    match_incident,
    merge_follow_up,
    merge_report,
    title_similarity,
)
from monitor.types import Classification, Evidence, Incident, Item

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def item(title: str, url: str = "https://a.example/1", published: datetime | None = NOW, alertable: bool = True) -> Item:
    return Item(id=1, source="feed", guid=url, url=url, canonical_url=url, title=title, summary="",
                published=published, fetched_at=NOW, content_hash="h", alertable=alertable)


def cls(labels=("shutdown",), companies=("MTN Nigeria",), countries=("NG",), inferred=(), evidence=()) -> Classification:
    return Classification(id="1", labels=tuple(labels), companies=tuple(companies), countries=tuple(countries),
                          inferred_companies=tuple(inferred), evidence=tuple(evidence),
                          scores={"shutdown": 0.9})


def report(title, host="a.example", url=None, **kw) -> Incident:
    url = url or f"https://{host}/{zlib.crc32(title.encode())}"
    return incident_from_report(item(title, url), cls(**kw), host, NOW)


def stored(candidate: Incident, id: int = 7, **changes) -> Incident:
    return replace(candidate, id=id, **changes)


def test_candidate_carries_the_classification():
    ev = Evidence("shutdown", "the internet was cut")
    c = incident_from_report(item("Nigeria cuts internet"), cls(evidence=(ev,), inferred=("Airtel Africa",)),
                             "a.example", NOW)
    assert (c.id, c.labels, c.companies, c.inferred_companies, c.countries) == (
        0, ("shutdown",), ("MTN Nigeria",), ("Airtel Africa",), ("NG",))
    assert (c.sources, c.source_count, c.item_count, c.urls, c.evidence) == (
        ("a.example",), 1, 1, ("https://a.example/1",), (ev,))


def test_candidate_dates_from_publication_but_never_the_future():
    earlier = NOW - timedelta(days=2)
    assert incident_from_report(item("x", published=earlier), cls(), "h", NOW).first_seen == earlier
    assert incident_from_report(item("x", published=NOW + timedelta(days=1)), cls(), "h", NOW).first_seen == NOW
    assert incident_from_report(item("x", published=None), cls(), "h", NOW).first_seen == NOW


def test_backfill_report_makes_a_non_alertable_candidate():
    assert not incident_from_report(item("x", alertable=False), cls(), "h", NOW).alertable


def test_near_duplicate_headline_joins_the_open_incident():
    open_one = stored(report("Nigeria shuts down internet in Lagos amid protests"))
    other = stored(report("Kenya blocks Telegram during exams", labels=("censorship",), countries=("KE",),
                          companies=("Safaricom",)), id=8)
    candidate = report("Internet shut down in Lagos, Nigeria amid protests", host="b.example")
    assert match_incident(candidate, [other, open_one], NOW) == open_one


def test_same_label_and_country_shutdown_within_days_is_one_event():
    open_one = stored(report("Amhara goes dark", countries=("ET",), companies=("Ethio Telecom",)))
    candidate = report("Ethiopia pulls the plug on mobile data", host="b.example", countries=("ET",), companies=())
    assert match_incident(candidate, [open_one], NOW) == open_one


def test_no_match_without_a_shared_label():
    open_one = stored(report("Nigeria shuts down internet in Lagos"))
    candidate = report("Nigeria shuts down internet in Lagos", labels=("surveillance",))
    assert match_incident(candidate, [open_one], NOW) is None


def test_no_match_without_a_shared_company_or_country():
    open_one = stored(report("Operator ordered to block X", labels=("censorship",)))
    candidate = report("Operator ordered to block X", labels=("censorship",), companies=("Vodacom",),
                       countries=("ZA",))
    assert match_incident(candidate, [open_one], NOW) is None


def test_unrelated_headline_of_same_subject_is_a_new_incident():
    open_one = stored(report("Nigeria orders MTN to block Twitter", labels=("censorship",)))
    candidate = report("MTN Nigeria hands subscriber data to police", labels=("censorship",), host="b.example")
    assert match_incident(candidate, [open_one], NOW) is None


def test_old_incidents_are_closed():
    title = "Nigeria shuts down internet in Lagos amid protests"
    old = stored(report(title), last_seen=NOW - timedelta(days=8))
    assert match_incident(report(title, host="b.example"), [old], NOW) is None


def test_a_dismissed_incident_absorbs_later_reports_and_stays_dismissed():
    title = "Nigeria shuts down internet in Lagos amid protests"
    dismissed = stored(report(title), id=9, status="dismissed")
    later = report(title, host="b.example")
    match = match_incident(later, [dismissed], NOW)
    assert match is dismissed
    assert merge_report(match, later, NOW).status == "dismissed"


def test_the_closest_incident_wins():
    loose = stored(report("Nigeria internet disrupted"), id=1)
    close = stored(report("Nigeria shuts down internet in Lagos amid protests"), id=2)
    candidate = report("Nigeria shuts down internet in Lagos amid protests", host="b.example")
    assert match_incident(candidate, [loose, close], NOW).id == 2


def test_merge_unions_and_counts_distinct_outlets():
    first = stored(report("Nigeria shuts down internet", host="a.example", evidence=(Evidence("shutdown", "cut"),)))
    later = NOW + timedelta(hours=3)
    second = incident_from_report(
        item("MTN Nigeria and Airtel shut down internet in Lagos", "https://b.example/2", published=later),
        cls(companies=("Airtel Africa",), countries=("NG", "BJ"), labels=("shutdown", "election_interference"),
            evidence=(Evidence("shutdown", "cut"), Evidence("election_interference", "before the vote"))),
        "b.example", later)
    merged = merge_report(first, second, later)
    assert merged.id == 7
    assert merged.labels == ("shutdown", "election_interference")
    assert merged.companies == ("Airtel Africa", "MTN Nigeria")
    assert merged.countries == ("BJ", "NG")
    assert (merged.source_count, merged.item_count) == (2, 2)
    assert len(merged.evidence) == 2
    assert merged.urls == tuple(sorted(first.urls + second.urls))
    assert (merged.first_seen, merged.last_seen) == (NOW, later)
    assert merged.title == "MTN Nigeria and Airtel shut down internet in Lagos"  # names a company: more specific


def test_merge_keeps_inferred_companies_apart_from_named_ones():
    first = stored(report("Lagos offline", companies=(), inferred=("MTN Nigeria",)))
    second = report("MTN Nigeria cuts Lagos", host="b.example", companies=("MTN Nigeria",), inferred=("Glo",))
    merged = merge_report(first, second, NOW)
    assert (merged.companies, merged.inferred_companies) == (("MTN Nigeria",), ("Glo",))


def test_an_alertable_report_wakes_a_backfilled_incident():
    first = stored(report("Lagos offline"), alertable=False)
    assert merge_report(first, report("Lagos offline"), NOW).alertable


def test_title_similarity_ignores_case_stopwords_and_plurals():
    assert title_similarity("The Shutdowns in Lagos", "shutdown lagos") == 1.0
    assert title_similarity("", "anything") == 0.0


hosts = st.sampled_from(["a.example", "b.example", "c.example", "d.example"])
reports = st.builds(
    lambda host, company, country, label: report(f"Event {label}", host=host, companies=(company,),
                                                 countries=(country,), labels=(label,)),
    hosts, st.sampled_from(["MTN Nigeria", "Airtel Africa", "Glo"]), st.sampled_from(["NG", "GH"]),
    st.sampled_from(["shutdown", "censorship"]),
)


@settings(max_examples=60, deadline=None)
@given(base=reports, extra=reports, times=st.integers(1, 4))
def test_merging_one_host_again_never_adds_a_source(base, extra, times):
    merged = merge_report(stored(base), extra, NOW)
    again = merged
    for _ in range(times):
        again = merge_report(again, extra, NOW)
    assert again.source_count == merged.source_count == len(set(base.sources) | set(extra.sources))
    assert again.item_count == merged.item_count + times
    assert (again.labels, again.companies, again.countries) == (merged.labels, merged.companies, merged.countries)


@settings(max_examples=60, deadline=None)
@given(base=reports, others=st.lists(reports, min_size=1, max_size=5), data=st.data())
def test_order_of_reports_does_not_change_the_union(base, others, data):
    shuffled = data.draw(st.permutations(others))

    def fold(rs):
        incident = stored(base)
        for r in rs:
            incident = merge_report(incident, r, NOW)
        return incident

    a, b = fold(others), fold(shuffled)
    same = ("labels", "companies", "inferred_companies", "countries", "sources", "source_count", "item_count",
            "urls", "evidence", "first_seen", "last_seen")
    assert {f: getattr(a, f) for f in same} == {f: getattr(b, f) for f in same}


def _vector(*weights: float) -> tuple[float, ...]:
    # A unit vector from a few components: cosine between two such vectors is their dot product.
    norm = sum(w * w for w in weights) ** 0.5
    return tuple(w / norm for w in weights) + (0.0,) * (8 - len(weights))


def test_a_report_in_another_language_with_the_same_meaning_joins_its_event():
    first = stored(report("Ethiopia cuts internet in Amhara", countries=("ET",), companies=()),
                   vector=_vector(1.0, 0.42), lang="en")
    later = replace(report("L'Éthiopie coupe internet en Amhara", host="b.example", countries=("ET",), companies=()),
                    vector=_vector(1.0, 0.5), lang="fr", first_seen=NOW, last_seen=NOW)
    assert match_incident(later, [first], NOW + timedelta(hours=20)) == first


def test_a_same_country_look_alike_weeks_later_stays_a_new_event():
    # cosine 0.88: as close as real look-alike pairs come (their median is 0.86, same-event pairs' 0.91)
    first = stored(report("Ethiopia cuts internet in Amhara", countries=("ET",), companies=()),
                   vector=_vector(1.0, 0.0), lang="en")
    weeks_later = NOW + timedelta(days=25)
    later = replace(report("Ethiopia cuts internet in Tigray", host="b.example", countries=("ET",), companies=()),
                    vector=_vector(1.0, 0.55), lang="en", first_seen=weeks_later, last_seen=weeks_later)
    assert match_incident(later, [first], weeks_later) is None


def test_reports_of_different_countries_never_join_on_meaning_alone():
    first = stored(report("Internet cut in Gabon", countries=("GA",), companies=()), vector=_vector(1.0), lang="en")
    later = replace(report("Internet cut in Togo", host="b.example", countries=("TG",), companies=()),
                    vector=_vector(1.0, 0.05), lang="en")
    assert match_incident(later, [first], NOW) is None


def test_same_headline_shape_in_two_countries_stays_two_events():
    # bench_alerts' trials: "Internet shutdown in Nigeria" then "... in Kenya", one operator group named in both.
    first = stored(report("Internet shutdown reported in Nigeria", companies=("MTN Group",), countries=("NG",)))
    kenya = report("Internet shutdown reported in Kenya", host="b.example", companies=("MTN Group",), countries=("KE",))
    assert match_incident(kenya, [first], NOW) is None
    with_vectors = replace(kenya, vector=_vector(1.0, 0.05), lang="en")
    assert match_incident(with_vectors, [replace(first, vector=_vector(1.0), lang="en")], NOW) is None



def _follow_up(title, vector, countries=("ET",), scores=None, labels=()):
    c = replace(cls(labels=labels, countries=countries, companies=()), vector=vector, lang="en",
                scores=scores or {"shutdown": 0.4, "censorship": 0.2})
    return follow_up_from_report(item(title, f"https://b.example/{zlib.crc32(title.encode())}"), c, "b.example", NOW)


def test_a_follow_up_needs_a_vector_and_no_labels_of_its_own():
    assert _follow_up("Internet restored in Amhara", vector=()) is None
    assert _follow_up("Internet restored in Amhara", vector=_vector(1.0), labels=("shutdown",)) is None
    candidate = _follow_up("Internet restored in Amhara", vector=_vector(1.0))
    assert candidate is not None and candidate.labels == ("shutdown",)  # its likeliest label, for matching only


def test_a_follow_up_joins_its_event_without_changing_what_it_says():
    first = stored(report("Ethiopia cuts internet in Amhara", countries=("ET",), companies=("Ethio Telecom",)),
                   vector=_vector(1.0, 0.1), lang="en")
    later = _follow_up("Amhara still offline as talks stall", vector=_vector(1.0, 0.12), countries=("ET", "US"))
    match = match_follow_up(later, [first], NOW + timedelta(days=2))
    assert match == first
    merged = merge_follow_up(first, later, NOW + timedelta(days=2))
    assert merged.labels == first.labels and merged.title == first.title and merged.countries == ("ET",)
    assert merged.companies == first.companies and merged.item_count == first.item_count + 1
    assert merged.sources == ("a.example", "b.example") and len(merged.urls) == 2


def test_a_follow_up_never_joins_another_country_or_a_mere_look_alike():
    first = stored(report("Ethiopia cuts internet in Amhara", countries=("ET",), companies=()),
                   vector=_vector(1.0, 0.1), lang="en")
    elsewhere = _follow_up("Internet restored in Sudan", vector=_vector(1.0, 0.12), countries=("SD",))
    assert match_follow_up(elsewhere, [first], NOW) is None
    unlikely = _follow_up("Ethiopia expands 4G coverage", vector=_vector(1.0, 0.12), scores={"shutdown": 0.1})
    assert unlikely is None
    look_alike = _follow_up("Ethiopia restores internet in Tigray", vector=_vector(1.0, 0.75))  # cosine 0.80
    assert match_follow_up(look_alike, [replace(first, vector=_vector(1.0))], NOW) is None
