"""Roundtable summaries over real HTTP and PostgreSQL: GET /roundtables/{id}/summary in JSON,
Markdown, HTML and CSV, English and Chinese, and `roundtable summary`.

Every figure is checked against counts made here, in Python, from the API's own lists (needs,
offers, matches, participants) of a roundtable built for it; the unmet needs' reasons against
cases built to break one rule each; every format is parsed (csv, html.parser, xml.etree for the
SVG charts) and must carry the same figures; hostile titles are escaped everywhere; the CLI
writes the same documents as HTTP (but for the moment they were read)."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import subprocess

import pytest

import harness
from harness import run_cli
from matching_fixtures import *  # noqa: F401,F403
from matching_fixtures import agree, decide, matches_of, run_to_end

SUMMARY = f"{V1}/roundtables/{{id}}/summary"
NEEDS = f"{V1}/needs"
OFFERS = f"{V1}/offers"
FORMATS = ("json", "markdown", "html", "csv")
REGIONS = ("africa", "asia_pacific", "eastern_europe", "latin_america_caribbean",
           "western_europe_others")
LIVE = ("proposed", "agreed", "completed")
EVIL = '<script>alert("x")</script> | a,b "quoted" \'single\' & 中文标题 *bold* [link](x)\nline'
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def summary(world, rt_id, fmt="json", lang="en", as_="admin", expect=200):
    r = world.call("GET", SUMMARY, rt_id, as_=as_, params={"format": fmt, "lang": lang},
                   expect=expect)
    return r


# ---------------------------------------------------------------- the data set


@pytest.fixture(scope="module")
def data(world):
    """A roundtable with every kind of figure: needs of two states (one with a hostile title, one
    withdrawn, one fulfilled without a partner), offers of two providers (one region-limited, one
    country-limited, one closed, one withdrawn), a run, one agreed and one declined match."""
    rt = world.new_roundtable("open", title="Summary " + EVIL, as_="organizer",
                              location="Genève, 日内瓦")
    rid = rt["id"]
    T = ["incident.csirt_establishment", "incident.incident_response", "cybercrime.legislation",
         "skills.awareness", "cbm.poc_directory"]
    needs = []
    for i in range(10):
        body = dict(title=(EVIL if i == 0 else f"Need {i} {T[i % 5]}"),
                    themes=[T[i % 5]] + ([T[(i + 2) % 5]] if i % 3 == 0 else []),
                    languages=["en"] if i % 4 else ["en", "es"],
                    priority=["high", "medium", "low"][i % 3], max_partners=1 + i % 2)
        needs.append(world.new_need(as_=("state_a", "state_b")[i % 2], rt=rid, **body))
    needs.append(world.new_need(as_="state_b", rt=rid, title="Arabic only", themes=[T[0]],
                                languages=["ar"]))
    offers = []
    for i in range(7):
        body = dict(title=(EVIL if i == 0 else f"Offer {i} {T[i % 5]}"), themes=[T[i % 5]],
                    languages=["en", "es"], capacity=1 + i % 3, modality="hybrid",
                    regions=[["africa"], [], []][i % 3],
                    countries=[[], [], ["CHL"]][i % 3] if i != 3 else [])
        offers.append(world.new_offer(as_=("donor", "implementer")[i % 2], rt=rid, **body))
    closed = world.new_offer(as_="donor", rt=rid, title="Closed offer", themes=[T[1]])
    world.patch(OFFER, closed["id"], {"status": "closed"}, as_="donor")
    gone = world.new_offer(as_="donor", rt=rid, title="Withdrawn offer", themes=[T[1]])
    world.call("DELETE", OFFER, gone["id"], as_="donor", expect=200)
    withdrawn = world.new_need(as_="state_a", rt=rid, title="Withdrawn need", themes=[T[1]])
    world.call("DELETE", NEED, withdrawn["id"], as_="state_a", expect=200)
    fulfilled = world.new_need(as_="state_a", rt=rid, title="Done elsewhere", themes=[T[3]],
                               languages=["fr"])
    world.patch(NEED, fulfilled["id"], {"status": "fulfilled"}, as_="state_a")
    run_to_end(world, rid)
    proposed = matches_of(world, rid, status="proposed")
    assert len(proposed) >= 4, proposed
    by_side = {o["id"]: o for o in offers}
    who = {world.p["donor"]["id"]: "donor", world.p["implementer"]["id"]: "implementer",
           world.p["state_a"]["id"]: "state_a", world.p["state_b"]["id"]: "state_b"}
    need_of = {n["id"]: n for n in needs}
    m0, m1 = proposed[0], proposed[1]
    agree(world, m0["id"], state=who[need_of[m0["need_id"]]["participant_id"]],
          provider=who[by_side[m0["offer_id"]]["participant_id"]])
    decide(world, m1["id"], "decline", as_=who[by_side[m1["offer_id"]]["participant_id"]])
    return rid


def expected(world, rid):
    """The summary's figures, counted here from the API's lists."""
    needs = [n for n in world.list_all(NEEDS, {"roundtable_id": rid}) if n["status"] != "withdrawn"]
    offers = [o for o in world.list_all(OFFERS, {"roundtable_id": rid})
              if o["status"] != "withdrawn"]
    matches = matches_of(world, rid)
    people = {p["id"]: p for p in world.list_all(f"{V1}/participants")}
    country_region = dict(line.split("|") for line in
                          world.pg.psql("SELECT code, region FROM countries").splitlines())
    live = [m for m in matches if m["status"] in LIVE]
    matched = {m["need_id"] for m in live}
    agreed = {m["need_id"] for m in live if m["status"] != "proposed"}
    counted = {n["id"] for n in needs}
    status = {s: sum(1 for m in matches if m["status"] == s) for s in
              ("proposed", "agreed", "completed", "declined")}
    used = {}
    for m in live:
        used[m["offer_id"]] = used.get(m["offer_id"], 0) + 1
    open_offers = [o for o in offers if o["status"] == "open"]
    totals = {
        "states": len({n["participant_id"] for n in needs}),
        "providers": len({o["participant_id"] for o in offers}),
        "needs": len(needs), "offers": len(offers),
        "matches_proposed": status["proposed"],
        "matches_agreed": status["agreed"] + status["completed"],
        "matches_completed": status["completed"], "matches_declined": status["declined"],
        "needs_matched": len(matched & counted), "needs_agreed": len(agreed & counted),
        "capacity": sum(o["capacity"] for o in open_offers),
        "capacity_used": sum(used.get(o["id"], 0) for o in open_offers),
    }
    totals["coverage"] = totals["needs_matched"] / totals["needs"] if totals["needs"] else 0
    totals["agreed_coverage"] = totals["needs_agreed"] / totals["needs"] if totals["needs"] else 0

    def theme_rows():
        rows = {}
        for kind, items in (("needs", needs), ("offers", offers)):
            for x in items:
                for code in set(x["themes"]) | {t.split(".")[0] for t in x["themes"]}:
                    r = rows.setdefault(code, {"needs": 0, "offers": 0, "needs_matched": 0})
                    r[kind] += 1
                    if kind == "needs" and x["id"] in matched:
                        r["needs_matched"] += 1
        return rows

    def offers_in(region):
        return sum(1 for o in offers
                   if (not o["regions"] or region in o["regions"])
                   and (not o["countries"] or any(country_region[c] == region
                                                  for c in o["countries"])))

    regions = {}
    for r in REGIONS:
        rn = [n for n in needs if people[n["participant_id"]]["region"] == r]
        regions[r] = {"states": len({n["participant_id"] for n in rn}), "needs": len(rn),
                      "offers": offers_in(r),
                      "needs_matched": sum(1 for n in rn if n["id"] in matched)}
    unmet = sorted((n["id"] for n in needs if n["id"] not in matched), key=int)
    unused = sorted(((o["id"], o["capacity"], used.get(o["id"], 0)) for o in open_offers
                     if o["capacity"] > used.get(o["id"], 0)), key=lambda x: int(x[0]))
    top = sorted(live, key=lambda m: (-m["score"], int(m["id"])))[:10]
    return {"totals": totals, "themes": theme_rows(), "regions": regions, "unmet": unmet,
            "unused": unused, "top": top, "status": status, "needs": needs}


# ---------------------------------------------------------------- JSON


def test_json_figures_match_independent_counts(world, data):
    s = summary(world, data).body  # checked against the Summary schema by world.call
    want = expected(world, data)
    assert s["roundtable"]["id"] == data and s["roundtable"]["title"] == "Summary " + EVIL
    assert s["lang"] == "en"
    assert s["totals"] == want["totals"]
    assert s["totals"]["coverage"] == s["totals"]["needs_matched"] / s["totals"]["needs"]
    # themes: every group, then its themes with a need or an offer, in taxonomy order
    got = {t["theme"]: t for t in s["by_theme"]}
    for code, w in want["themes"].items():
        t = got.pop(code)
        assert {k: t[k] for k in w} == w, code
        cov = w["needs_matched"] / w["needs"] if w["needs"] else 0
        assert t["coverage"] == cov and t["parent"] == (code.split(".")[0] if "." in code else None)
    assert all(t["parent"] is None and t["needs"] == t["offers"] == 0 for t in got.values()), got
    parents = [t["theme"] for t in s["by_theme"] if t["parent"] is None]
    assert parents == ["strategy", "incident", "cybercrime", "skills", "standards", "norms",
                       "law", "cbm"]
    for i, t in enumerate(s["by_theme"]):
        if t["parent"]:  # a child follows its group or a sibling
            assert s["by_theme"][i - 1]["theme"] in (t["parent"],) or \
                s["by_theme"][i - 1]["parent"] == t["parent"]
    assert [r["region"] for r in s["by_region"]] == list(REGIONS)
    for r in s["by_region"]:
        assert {k: r[k] for k in want["regions"][r["region"]]} == want["regions"][r["region"]]
    assert s["partnerships"] == {"proposed": want["status"]["proposed"],
                                 "agreed": want["status"]["agreed"],
                                 "completed": want["status"]["completed"],
                                 "declined": want["status"]["declined"]}
    assert [u["need_id"] for u in s["unmet_needs"]] == want["unmet"]
    assert len(s["unmet_needs"]) == s["totals"]["needs"] - s["totals"]["needs_matched"]
    assert [(o["offer_id"], o["capacity"], o["used"]) for o in s["unused_offers"]] == want["unused"]
    assert all(o["left"] == o["capacity"] - o["used"] for o in s["unused_offers"])
    assert [m["match_id"] for m in s["top_matches"]] == [m["id"] for m in want["top"]]
    for got_m, m in zip(s["top_matches"], want["top"]):
        assert got_m["score"] == m["score"] and got_m["breakdown"] == m["breakdown"]
        assert (got_m["need_id"], got_m["offer_id"], got_m["status"]) == \
            (m["need_id"], m["offer_id"], m["status"])
        check_breakdown(got_m)
        assert got_m["explanation"]
    assert s["last_run"] and s["last_run"]["min_score"] == 0
    assert TIMESTAMP.fullmatch(s["generated_at"])


def test_unmet_reasons_come_from_the_engine(world, data):
    s = summary(world, data).body
    by_title = {u["title"]: u for u in s["unmet_needs"]}
    assert by_title["Arabic only"]["reason"] == "no_shared_language"
    assert by_title["Done elsewhere"]["reason"] == "need_not_open"
    assert "Withdrawn need" not in by_title
    for u in s["unmet_needs"]:
        assert u["reason_label"] and u["reason_label"] != u["reason"]


def test_reasons_case_by_case(world):
    """One offer (online, English, incident response, capacity 1) and needs that each break one
    rule, or compete for it."""
    rt = world.new_roundtable("open", as_="organizer")
    rid = rt["id"]
    th = "incident.incident_response"
    offer = world.new_offer(as_="donor", rt=rid, title="Online IR course", themes=[th],
                            languages=["en"], modality="online", capacity=1,
                            window={"start": "2025-01-01", "end": "2025-12-31"})
    mk = lambda who, title, **kw: world.new_need(as_=who, rt=rid, title=title, **dict(  # noqa
        dict(themes=[th], languages=["en"], modality="online"), **kw))
    winner = mk("state_a", "Winner", priority="high")
    loser = mk("state_b", "Loser", priority="low")
    mk("state_a", "Language", languages=["ar"])
    mk("state_b", "Theme", themes=["law.national_positions"])
    mk("state_a", "Modality", modality="in_person")
    mk("state_b", "Window", window={"start": "2020-01-01", "end": "2020-02-01"})
    own = world.new_need(as_="state_a", rt=rid, title="Donor only", themes=[th])
    reasons = lambda: {u["title"]: u["reason"]  # noqa: E731
                       for u in summary(world, rid).body["unmet_needs"]}
    # before any run: the fitting needs have room -> feasible
    before = reasons()
    assert before["Winner"] == before["Loser"] == "feasible"
    assert before["Donor only"] == "feasible"
    run_to_end(world, rid)
    got = reasons()
    assert "Winner" not in got
    assert got["Loser"] == "outcompeted" and got["Language"] == "no_shared_language"
    assert got["Theme"] == "no_theme" and got["Modality"] == "modality"
    assert got["Window"] == "window"
    # the winner's partnership agreed: the offer is full
    (m,) = matches_of(world, rid, need_id=winner["id"])
    agree(world, m["id"], state="state_a", provider="donor")
    assert reasons()["Loser"] == "capacity_used_up"
    # a new offer with room that fits: the next run can propose it
    world.new_offer(as_="implementer", rt=rid, title="Second course", themes=[th],
                    languages=["en"], modality="online")
    assert reasons()["Loser"] == "feasible"
    # a run with a minimum no pair reaches
    run_to_end(world, rid, {"min_score": 0.999})
    got = reasons()
    assert got["Loser"] == "below_min_score" and got["Donor only"] == "below_min_score"
    assert summary(world, rid).body["last_run"]["min_score"] == 0.999
    # a roundtable without offers
    rt2 = world.new_roundtable("open", as_="organizer")
    world.new_need(as_="state_a", rt=rt2["id"], title="Alone")
    assert summary(world, rt2["id"]).body["unmet_needs"][0]["reason"] == "no_open_offers"
    assert own["id"]


def test_reasons_offers_with_and_without_room(world):
    """The engine is asked about the offers with room first and about every offer only when none
    of those will do: a need whose only offer with room scores below the run's minimum while a
    taken offer reaches it was outcompeted; below_min_score when neither reaches it."""
    rt = world.new_roundtable("open", as_="organizer")
    rid = rt["id"]
    th = "incident.incident_response"
    strong = world.new_offer(as_="donor", rt=rid, title="Online incident response course",
                             themes=[th], languages=["en"], modality="online", capacity=1)
    # Chile only (the winner, in Kenya, cannot take it), and a weaker fit for the loser
    weak = world.new_offer(as_="implementer", rt=rid, title="Threat sharing visits",
                           themes=["incident.threat_information_sharing"], languages=["en", "es"],
                           modality="hybrid", countries=["CHL"], capacity=1)
    winner = world.new_need(as_="state_a", rt=rid, title="Winner", themes=[th], languages=["en"],
                            modality="online", priority="high")
    loser = world.new_need(as_="state_b", rt=rid, title="Loser", themes=[th],
                           languages=["en", "es"], modality="online", priority="low")
    scores = {i["offer_id"]: i["score"] for i in world.call(
        "GET", f"{V1}/needs/{{id}}/suggestions", loser["id"], as_="admin").body["items"]}
    assert scores[strong["id"]] > scores[weak["id"]], scores
    mid = round((scores[strong["id"]] + scores[weak["id"]]) / 2, 6)
    run_to_end(world, rid, {"min_score": mid})
    assert [m["need_id"] for m in matches_of(world, rid, offer_id=strong["id"])] == [winner["id"]]
    assert not matches_of(world, rid, offer_id=weak["id"])
    reasons = lambda: {u["title"]: u["reason"]  # noqa: E731
                       for u in summary(world, rid).body["unmet_needs"]}
    assert reasons() == {"Loser": "outcompeted"}
    # a minimum above anything the loser reaches: below_min_score
    run_to_end(world, rid, {"min_score": min(0.999, scores[strong["id"]] + 0.01)})
    assert reasons()["Loser"] == "below_min_score"


def test_reasons_score_with_the_states_agreed_partnerships(world):
    """The summary picks the engine's rows itself (with each state's agreed partnerships, which
    feed fairness): an unmet need's score must be the one the engine gives elsewhere
    (suggestions), to the last bit. With min_score exactly that score the need was outcompeted;
    a hair above it, below_min_score."""
    rt = world.new_roundtable("open", as_="organizer")
    rid = rt["id"]
    th = "incident.incident_response"
    kw = dict(themes=[th], languages=["en"], modality="online")
    first = world.new_offer(as_="donor", rt=rid, title="First course", capacity=1, **kw)
    earlier = world.new_need(as_="state_a", rt=rid, title="Earlier", **kw)
    run_to_end(world, rid)
    (m,) = matches_of(world, rid, need_id=earlier["id"])
    assert m["offer_id"] == first["id"]
    agree(world, m["id"], state="state_a", provider="donor")  # Kenya: one agreed partnership
    offer = world.new_offer(as_="implementer", rt=rid, title="Second course", capacity=1, **kw)
    winner = world.new_need(as_="state_b", rt=rid, title="Winner", priority="high", **kw)
    loser = world.new_need(as_="state_a", rt=rid, title="Loser", priority="low", **kw)
    (hit,) = [i for i in world.call("GET", f"{V1}/needs/{{id}}/suggestions", loser["id"],
                                    as_="admin").body["items"] if i["offer_id"] == offer["id"]]
    assert hit["breakdown"]["fairness"]["value"] < 1  # the agreed partnership counts
    reasons = lambda: {u["title"]: u["reason"]  # noqa: E731
                       for u in summary(world, rid).body["unmet_needs"]}
    for min_score, reason in ((hit["score"], "outcompeted"),
                              (hit["score"] + 1e-8, "below_min_score")):
        run_to_end(world, rid, {"min_score": min_score})
        assert [x["need_id"] for x in matches_of(world, rid, offer_id=offer["id"])] == \
            [winner["id"]]
        assert reasons() == {"Loser": reason}, min_score


def test_empty_roundtable(world):
    rt = world.new_roundtable("planned", as_="organizer")
    for fmt in FORMATS:
        summary(world, rt["id"], fmt)
    s = summary(world, rt["id"]).body
    assert s["totals"]["needs"] == 0 and s["totals"]["coverage"] == 0
    assert s["unmet_needs"] == [] and s["top_matches"] == [] and s["last_run"] is None
    assert len(s["by_theme"]) == 8 and len(s["by_region"]) == 5


def test_any_token_reads_it(world, data):
    for caller in CALLERS:
        summary(world, data, as_=caller)


# ---------------------------------------------------------------- the other formats


class Checker(HTMLParser):
    """Well-formedness: every element closed in order (void elements aside), no script."""
    VOID = {"meta", "br", "img", "hr", "input", "link", "rect", "path", "line", "circle"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text, self.problems = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k.startswith("on") or (k in ("src", "href") and v and "//" in v):
                self.problems.append(f"{tag} {k}={v}")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, d):
        self.text.append(d)


def parse_html(text):
    c = Checker()
    c.feed(text)
    c.close()
    assert not c.problems and not c.stack, (c.problems, c.stack)
    assert "script" not in c.tags and "link" not in c.tags and "img" not in c.tags
    return c, "".join(c.text)


def test_html_is_self_contained_well_formed_and_escaped(world, data):
    r = summary(world, data, "html")
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Disposition"] == f'inline; filename="roundtable-{data}-summary-en.html"'
    html = r.text
    assert html.startswith("<!DOCTYPE html>") and "@page" in html and "A4" in html
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    c, text = parse_html(html)
    assert EVIL.replace("\n", "\n") in text  # the title reads back exactly
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}title").text
    s = summary(world, data).body
    assert f'data-key="needs"><b>{s["totals"]["needs"]}</b>' in html
    for u in s["unmet_needs"]:
        assert u["reason_label"] in text


def test_markdown_tables_and_escaping(world, data):
    r = summary(world, data, "markdown")
    assert r.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    md = r.text
    s = summary(world, data).body
    assert md.startswith("# Roundtable summary: Summary ")
    assert "<script>" not in md and "\\<script\\>" in md and "\\|" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    for ln in rows:  # every unescaped pipe is a cell border: same count within each table
        cells = re.split(r"(?<!\\)\|", ln)
        assert len(cells) >= 3, ln
    assert f"| Needs | {s['totals']['needs']} |" in md
    assert f"| Needs matched | {s['totals']['needs_matched']} |" in md
    cov = f"{s['totals']['coverage'] * 100:.1f}%"
    assert f"| Coverage | {cov} |" in md
    for u in s["unmet_needs"]:
        assert f"| {u['need_id']} |" in md


def test_csv_parses_and_carries_the_same_figures(world, data):
    r = summary(world, data, "csv")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == \
        f'attachment; filename="roundtable-{data}-summary-en.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text, newline="")))
    s = summary(world, data).body
    by = {}
    for row in rows:
        by.setdefault(row["section"], []).append(row)
    meta = {x["key"]: x["value"] for x in by["roundtable"]}
    assert meta["title"] == s["roundtable"]["title"]  # quotes, commas, newline survive
    totals = {x["key"]: x["value"] for x in by["totals"]}
    for k, v in s["totals"].items():
        assert float(totals[k]) == v, k
    themes = {x["key"]: x for x in by["theme"]}
    assert list(themes) == [t["theme"] for t in s["by_theme"]]
    for t in s["by_theme"]:
        x = themes[t["theme"]]
        assert (int(x["needs"]), int(x["offers"]), int(x["needs_matched"]),
                float(x["coverage"])) == (t["needs"], t["offers"], t["needs_matched"], t["coverage"])
        assert x["parent"] == (t["parent"] or "")
    for g, x in zip(s["by_region"], by["region"]):
        assert (x["key"], int(x["needs"]), int(x["needs_matched"]), int(x["offers"])) == \
            (g["region"], g["needs"], g["needs_matched"], g["offers"])
    assert {x["key"]: int(x["value"]) for x in by["partnerships"]} == s["partnerships"]
    assert [(x["need_id"], x["reason"]) for x in by.get("unmet_need", [])] == \
        [(u["need_id"], u["reason"]) for u in s["unmet_needs"]]
    assert [x["need_title"] for x in by.get("unmet_need", [])] == \
        [u["title"] for u in s["unmet_needs"]]
    assert [(x["key"], float(x["score"])) for x in by["top_match"]] == \
        [(m["match_id"], m["score"]) for m in s["top_matches"]]
    assert [(x["offer_id"], int(x["capacity"]), int(x["used"])) for x in by["unused_offer"]] == \
        [(o["offer_id"], o["capacity"], o["used"]) for o in s["unused_offers"]]


def test_chinese_labels_everywhere(world, data):
    en = summary(world, data).body
    zh = summary(world, data, lang="zh").body
    assert zh["lang"] == "zh" and zh["totals"] == en["totals"]
    names = {t["theme"]: t["name"] for t in zh["by_theme"]}
    assert names["incident"] == "事件管理与关键基础设施保护"
    assert {r["region"]: r["name"] for r in zh["by_region"]}["africa"] == "非洲国家组"
    assert all(re.search(r"[\u4e00-\u9fff]", u["reason_label"]) for u in zh["unmet_needs"])
    assert zh["roundtable"]["title"] == en["roundtable"]["title"]  # data stays as written
    md = summary(world, data, "markdown", "zh").text
    for label in ("圆桌会议总结", "总体数据", "覆盖率", "按主题统计的需求和供给", "按区域组统计的需求",
                  "尚未满足的需求及原因", "最强伙伴关系", "非洲国家组", "事件管理与关键基础设施保护"):
        assert label in md, label
    assert "Coverage" not in md and "Needs matched" not in md
    html = summary(world, data, "html", "zh").text
    _, text = parse_html(html)
    assert 'lang="zh-Hans"' in html
    for label in ("各主题组的需求与供给", "各区域组的覆盖率", "按状态统计的伙伴关系", "数据说明"):
        assert label in text, label
    rows = list(csv.DictReader(io.StringIO(summary(world, data, "csv", "zh").text, newline="")))
    assert {x["label"] for x in rows if x["section"] == "totals" and x["key"] == "coverage"} == \
        {"覆盖率"}


# ---------------------------------------------------------------- refusals


def test_refusals(world, data):
    r = summary(world, data, "pdf", expect=400)
    assert fields_of(r.body) == ["format"]
    r = summary(world, data, "json", "fr", expect=400)
    assert fields_of(r.body) == ["lang"]
    r = summary(world, data, "xml", "de", expect=400)
    assert fields_of(r.body) == ["format", "lang"]
    world.call("GET", SUMMARY, data, params={"colour": "red"}, expect=400)
    world.call("GET", SUMMARY, data, params=[("format", "json"), ("format", "csv")], expect=400)
    world.call("GET", SUMMARY, "999999", expect=404)
    world.call("GET", SUMMARY, "abc", expect=404)
    world.call("GET", SUMMARY, data, token=None, expect=401)
    world.call("GET", SUMMARY, data, token="rt_" + "x" * 43, expect=401)
    world.call("POST", SUMMARY, data, body={}, expect=405, check=False)


# ---------------------------------------------------------------- the command line


def blank_times(text):
    return TIMESTAMP.sub("T", text)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", ("en", "zh"))
def test_cli_writes_the_same_document(world, data, fmt, lang):
    http = summary(world, data, fmt, lang).content
    r = subprocess.run([harness.BINARY, "summary", "--roundtable", data, "--format", fmt,
                        "--lang", lang, "--db", world.pg.conninfo], capture_output=True)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    out = r.stdout.decode("utf-8")  # byte for byte, CRLF of the CSV included
    assert blank_times(out) == blank_times(http.decode("utf-8"))
    assert TIMESTAMP.search(out)


def test_cli_refusals(world, data):
    db = ("--db", world.pg.conninfo)
    for args, code, words in (
            (("--roundtable", "999999"), 1, "no roundtable 999999"),
            (("--roundtable", data, "--format", "pdf"), 2, "--format"),
            (("--roundtable", data, "--lang", "fr"), 2, "--lang"),
            (("--roundtable", "x"), 2, "--roundtable"),
            ((), 2, "--roundtable"),
            (("--roundtable", data, "--bogus", "1"), 2, "unknown option")):
        r = run_cli("summary", *args, *db)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert r.stdout == "" and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, \
            (args, r.stderr)
    r = run_cli("summary", "--roundtable", data, "--db",
                "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
    # the reason is the last line (the database layer may have logged its attempts before)
    assert r.returncode == 1 and r.stdout == "", r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("roundtable summary: database"), r.stderr
    r = run_cli("summary", "--help")
    assert r.returncode == 0 and "--roundtable" in r.stdout and "--format" in r.stdout
    assert "summary" in run_cli("--help").stdout
    # the environment works like the flags
    r = run_cli("summary", "--db", world.pg.conninfo,
                env={"ROUNDTABLE_SUMMARY_ROUNDTABLE": data, "ROUNDTABLE_SUMMARY_FORMAT": "csv"})
    assert r.returncode == 0 and r.stdout.startswith("section,key,label"), r.stderr


def test_demo_roundtable_summary(world):
    """The demo data: one run, then figures against the lists, in every format and language."""
    r = run_cli("demo", "--db", world.pg.conninfo)
    assert r.returncode == 0, r.stderr
    (rt,) = [x for x in world.list_all(f"{V1}/roundtables")
             if x["title"].startswith("First Global Roundtable")]
    run_to_end(world, rt["id"])
    s = summary(world, rt["id"]).body
    want = expected(world, rt["id"])
    assert s["totals"] == want["totals"]
    assert [u["need_id"] for u in s["unmet_needs"]] == want["unmet"]
    assert s["totals"]["needs"] == 60 and s["totals"]["needs_matched"] > 0
    for fmt in FORMATS:
        for lang in ("en", "zh"):
            summary(world, rt["id"], fmt, lang)
