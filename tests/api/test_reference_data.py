"""Reference data (sql/002_reference_data.sql): regions, themes, countries and languages,
loaded by the real `roundtable migrate` into a throwaway PostgreSQL cluster."""
import re
import subprocess

import pytest

import harness

REGIONS = ["africa", "asia_pacific", "eastern_europe", "latin_america_caribbean", "western_europe_others"]

# The taxonomy of ../shared/API.md, "Vocabulary": 8 parents, 25 children.
TAXONOMY = {
    "strategy": ["national_strategy", "governance", "policy_legislation"],
    "incident": ["csirt_establishment", "incident_response", "critical_infrastructure",
                 "threat_information_sharing"],
    "cybercrime": ["legislation", "investigation", "digital_forensics", "international_cooperation"],
    "skills": ["awareness", "workforce", "education", "gender_inclusion"],
    "standards": ["technical_standards", "supply_chain", "secure_development"],
    "norms": ["implementation", "national_reporting"],
    "law": ["national_positions", "application_training"],
    "cbm": ["poc_directory", "crisis_communication", "transparency"],
}

# Member States per regional group, for electoral purposes: Türkiye and the USA counted in
# WEOG (28 + USA), Kiribati in Asia-Pacific (53 + Kiribati). Observers are counted apart.
MEMBERS_PER_REGION = {
    "africa": 54,
    "asia_pacific": 54,
    "eastern_europe": 23,
    "latin_america_caribbean": 33,
    "western_europe_others": 29,
}

CJK = re.compile(r"[\u4e00-\u9fff]")


def rows(pg, sql):
    """Result rows as lists of fields (psql -A -t, '|' separated)."""
    out = pg.psql(sql)
    return [line.split("|") for line in out.splitlines()] if out else []


def scalar(pg, sql):
    return pg.psql(sql)


@pytest.fixture(scope="module")
def db(pg):
    harness.run_cli("migrate", "--db", pg.conninfo, check=True)
    return pg


def test_migrate_is_safe_to_run_again(db):
    harness.run_cli("migrate", "--db", db.conninfo, check=True)
    assert scalar(db, "select count(*) from countries") == "195"
    assert scalar(db, "select count(*) from themes") == "33"


def test_five_regions_with_names(db):
    got = rows(db, "select code, name_en, name_zh from regions order by sort")
    assert [r[0] for r in got] == REGIONS
    names = {r[0]: (r[1], r[2]) for r in got}
    assert names["africa"] == ("African Group", "非洲国家组")
    assert names["asia_pacific"] == ("Asia-Pacific Group", "亚太国家组")
    assert names["eastern_europe"] == ("Eastern European Group", "东欧国家组")
    assert names["latin_america_caribbean"] == ("Latin American and Caribbean Group", "拉丁美洲和加勒比国家组")
    assert names["western_europe_others"] == ("Western European and Others Group", "西欧和其他国家组")


def test_parent_themes(db):
    got = [r[0] for r in rows(db, "select code from themes where parent is null order by sort")]
    assert got == list(TAXONOMY)


def test_child_themes_are_exactly_the_taxonomy(db):
    got = rows(db, "select code, parent from themes where parent is not null order by sort")
    expected = [(f"{p}.{c}", p) for p, children in TAXONOMY.items() for c in children]
    assert len(expected) == 25
    assert [tuple(r) for r in got] == expected


def test_theme_names_present_and_chinese(db):
    got = rows(db, "select code, name_en, name_zh from themes")
    assert len(got) == 33
    for code, en, zh in got:
        assert en.strip() and zh.strip(), code
        assert CJK.search(zh), (code, zh)
        assert not CJK.search(en), (code, en)
    assert len({r[1] for r in got}) == len(got), "duplicate English theme name"
    assert len({r[2] for r in got}) == len(got), "duplicate Chinese theme name"
    named = {r[0]: (r[1], r[2]) for r in got}
    assert named["strategy"] == ("Policy, strategy and governance", "政策、战略与治理")
    assert named["strategy.national_strategy"] == ("National cybersecurity strategy", "国家网络安全战略")
    assert named["incident.csirt_establishment"][0] == "CSIRT establishment"
    assert named["cbm.poc_directory"] == ("Point of Contact directory", "联络点名录")


def test_theme_code_check_refuses_mismatched_parent(db):
    for bad in ("insert into themes values ('strategy.x', 'incident', 'x', '甲', 9001)",
                "insert into themes values ('orphan.x', null, 'x', '甲', 9002)",
                "insert into themes values ('strategyx', 'strategy', 'x', '甲', 9003)"):
        with pytest.raises(subprocess.CalledProcessError) as e:
            db.psql(bad)
        assert "violates check constraint" in e.value.stderr


def test_country_totals(db):
    assert scalar(db, "select count(*) from countries") == "195"
    assert scalar(db, "select count(*) from countries where un_status = 'member'") == "193"
    got = rows(db, "select code from countries where un_status = 'observer' order by code")
    assert [r[0] for r in got] == ["PSE", "VAT"]


def test_members_per_region(db):
    got = dict(rows(db, "select region, count(*) from countries where un_status = 'member' group by region"))
    assert {k: int(v) for k, v in got.items()} == MEMBERS_PER_REGION
    assert sum(MEMBERS_PER_REGION.values()) == 193


@pytest.mark.parametrize("code,region,status,en,zh", [
    ("KEN", "africa", "member", "Kenya", "肯尼亚"),
    ("CIV", "africa", "member", "Côte d'Ivoire", "科特迪瓦"),
    ("CHN", "asia_pacific", "member", "China", "中国"),
    ("KIR", "asia_pacific", "member", "Kiribati", "基里巴斯"),
    ("CYP", "asia_pacific", "member", "Cyprus", "塞浦路斯"),
    ("KOR", "asia_pacific", "member", "Republic of Korea", "大韩民国"),
    ("PRK", "asia_pacific", "member", "Democratic People's Republic of Korea", "朝鲜民主主义人民共和国"),
    ("IRN", "asia_pacific", "member", "Iran (Islamic Republic of)", "伊朗伊斯兰共和国"),
    ("VNM", "asia_pacific", "member", "Viet Nam", "越南"),
    ("POL", "eastern_europe", "member", "Poland", "波兰"),
    ("RUS", "eastern_europe", "member", "Russian Federation", "俄罗斯联邦"),
    ("BRA", "latin_america_caribbean", "member", "Brazil", "巴西"),
    ("BOL", "latin_america_caribbean", "member", "Bolivia (Plurinational State of)", "多民族玻利维亚国"),
    ("FRA", "western_europe_others", "member", "France", "法国"),
    ("GBR", "western_europe_others", "member", "United Kingdom of Great Britain and Northern Ireland",
     "大不列颠及北爱尔兰联合王国"),
    ("USA", "western_europe_others", "member", "United States of America", "美利坚合众国"),
    ("TUR", "western_europe_others", "member", "Türkiye", "土耳其"),
    ("ISR", "western_europe_others", "member", "Israel", "以色列"),
    ("PSE", "asia_pacific", "observer", "State of Palestine", "巴勒斯坦国"),
    ("VAT", "western_europe_others", "observer", "Holy See", "教廷"),
])
def test_country_spot_checks(db, code, region, status, en, zh):
    got = rows(db, f"select region, un_status, name_en, name_zh from countries where code = '{code}'")
    assert got == [[region, status, en, zh]]


def test_country_codes_and_names(db):
    got = rows(db, "select code, name_en, name_zh from countries")
    assert len(got) == 195
    for code, en, zh in got:
        assert re.fullmatch(r"[A-Z]{3}", code), code
        assert en.strip() and zh.strip(), code
        assert CJK.search(zh), (code, zh)
    assert len({r[1] for r in got}) == 195, "duplicate English country name"
    assert len({r[2] for r in got}) == 195, "duplicate Chinese country name"


def test_countries_refuse_bad_rows(db):
    for bad in ("insert into countries values ('ke1', 'X', '甲', 'africa', 'member')",
                "insert into countries values ('XXA', 'X', '甲', 'africa', 'candidate')"):
        with pytest.raises(subprocess.CalledProcessError) as e:
            db.psql(bad)
        assert "violates check constraint" in e.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as e:
        db.psql("insert into countries values ('XXB', 'X', '甲', 'oceania', 'member')")
    assert "violates foreign key constraint" in e.value.stderr


def test_country_region_lookup_is_indexed(db):
    got = scalar(db, "select count(*) from pg_indexes where tablename = 'countries' "
                     "and indexdef like '%(region)%'")
    assert got == "1"


def test_un_languages(db):
    got = rows(db, "select code from languages where un_official order by code")
    assert [r[0] for r in got] == ["ar", "en", "es", "fr", "ru", "zh"]
    named = dict((r[0], (r[1], r[2])) for r in rows(db, "select code, name_en, name_zh from languages"))
    assert named["zh"] == ("Chinese", "中文")
    assert named["ar"] == ("Arabic", "阿拉伯语")


def test_languages_list(db):
    got = rows(db, "select code, name_en, name_zh from languages")
    assert len(got) >= 80
    codes = {r[0] for r in got}
    for code in ("pt", "de", "sw", "hi", "id", "ms", "ja", "ko", "tr", "fa", "ur", "bn", "vi", "uk", "am",
                 "ha", "so", "he", "qu", "ht", "tl", "ps"):
        assert code in codes, code
    for code, en, zh in got:
        assert re.fullmatch(r"[a-z]{2}", code), code
        assert en.strip() and CJK.search(zh), code
