"""The columnar punch path gives exactly the row parsers' answer, object by object.

Every punch fixture (incl. the corrupt ones) and every punch object of a planted city
(both vendors, every bad-input kind, BOMs, resends, overlapping pages, door events) is
parsed both ways under contexts that exercise every check: unknown projects and devices,
roster periods with exits, channel directions, future and out-of-partition times.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from ingest import feeds
from ingest.landing import batch
from ingest.landing._common import dump, loads
from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.hikvision import parse_hikvision
from ingest.landing.hikvision_batch import parse_hikvision_batch
from ingest.landing.keys import try_parse_key
from ingest.landing.model import ParseResult
from ingest.landing.zkteco import parse_zkteco
from ingest.landing.zkteco_batch import parse_zkteco_batch
from ingest.seed.city import CitySpec, generate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
ROW: dict[str, Callable[[bytes, ParseContext], ParseResult]] = {
    "zkteco": parse_zkteco,
    "hikvision": parse_hikvision,
}
BATCH: dict[str, Callable[..., batch.BatchParse]] = {
    "zkteco": parse_zkteco_batch,
    "hikvision": parse_hikvision_batch,
}


@cache
def planted_city() -> dict[str, list[tuple[str, bytes]]]:
    """A small planted city (no photos), its punch objects per vendor."""
    out: dict[str, list[tuple[str, bytes]]] = {"zkteco": [], "hikvision": []}

    def put(key: str, data: bytes) -> None:
        k = try_parse_key(key)
        if k is not None and k.kind in out:
            out[k.kind].append((key, data))

    spec = CitySpec.preset("small", start=date(2026, 11, 1), days=6, seed=7)
    generate(put, dataclasses.replace(spec, photos=False, bad_records=4))
    return out


def fixture_objects(feed: str) -> list[tuple[str, bytes]]:
    root = FIX / "punches"
    out = []
    for path in sorted(root.rglob("*")):
        key = "punches/" + path.relative_to(root).as_posix()
        k = try_parse_key(key)
        if path.is_file() and k is not None and k.kind == feed:
            out.append((key, path.read_bytes()))
    return out


def contexts(
    objects: list[tuple[str, bytes]], seed: int
) -> tuple[list[ParseContext], batch.RosterPeriods]:
    """Contexts with every check switched on, some objects without a roster check."""
    rng = random.Random(seed)
    parsed = [try_parse_key(k) for k, _ in objects]
    projects = sorted({k.project_code for k in parsed if k and k.project_code})
    devices = sorted({k.device_sn for k in parsed if k and k.device_sn})
    known = frozenset(p for n, p in enumerate(projects) if n % 5 != 1)
    roles = {d: rng.choice(["in", "out", "both"]) for d in devices if rng.random() < 0.85}
    periods = []
    for p in projects:
        for n in range(1, 400):
            if rng.random() < 0.9:
                entry = date(2026, 10, 1) + timedelta(days=rng.randrange(-30, 40))
                exit_ = None if rng.random() < 0.7 else entry + timedelta(days=rng.randrange(60))
                periods.append((p, str(n), entry if rng.random() < 0.95 else None, exit_))
                periods.append((p, f"{n:06d}".lstrip("0"), entry, exit_))
    roster = batch.RosterPeriods.of(periods)
    ctxs = []
    for key, _ in objects:
        k = try_parse_key(key)
        assert k is not None and k.partition_date is not None
        ctxs.append(
            ParseContext.from_key(
                key,
                interval_end=datetime.combine(
                    k.partition_date + timedelta(days=rng.choice([0, 1, 1, 1])),
                    datetime.min.time(),
                    tzinfo=SHANGHAI,
                ),
                known_projects=known,
                roster_lookup=roster if rng.random() < 0.9 else None,
                device_roles=roles,
            )
        )
    return ctxs, roster


def assert_same(feed: str, objects: list[tuple[str, bytes]], seed: int = 1) -> batch.BatchParse:
    ctxs, roster = contexts(objects, seed)
    inputs = [batch.BatchInput(k, d, c) for (k, d), c in zip(objects, ctxs, strict=True)]
    got = BATCH[feed](inputs, roster.frame)
    assert len(got.results) == len(objects)
    for i, (inp, res) in enumerate(zip(inputs, got.results, strict=True)):
        want = ROW[feed](inp.data, inp.ctx)
        assert (res.rows_read, res.loaded, res.duplicates, res.ignored) == (
            want.rows_read,
            len(want.rows),
            want.duplicates,
            want.ignored,
        ), inp.key
        assert res.ignored_by == want.ignored_by, inp.key
        assert res.encoding == want.encoding, inp.key
        assert res.rejects == want.rejects, inp.key
        rows = got.frame.filter(pl.col("obj") == i).sort("record_no")
        assert rows.equals(batch.rows_to_frame(feed, i, want.rows)), inp.key
    return got


@pytest.mark.parametrize("feed", ["zkteco", "hikvision"])
def test_fixtures_parse_the_same_both_ways(feed: str) -> None:
    # GIVEN every punch fixture of the vendor, corrupt ones included
    objects = fixture_objects(feed)
    assert objects
    # WHEN parsed by the columnar path THEN each object equals the row parser's answer
    assert_same(feed, objects)


@pytest.mark.parametrize("feed", ["zkteco", "hikvision"])
def test_planted_city_parses_the_same_both_ways(feed: str) -> None:
    # GIVEN every punch object of a planted city (bad inputs of every kind)
    objects = planted_city()[feed]
    # WHEN parsed both ways under contexts that trigger every check
    got = assert_same(feed, objects, seed=3)
    # THEN they agree, and the checks really fired (the comparison is not vacuous)
    reasons = {r for res in got.results for rej in res.rejects for r in rej.reasons}
    assert {"unknown_project", "unknown_employee", "future_timestamp"} <= reasons
    flags = set(got.frame["flags"].to_list())
    assert any("unknown_device" in f for f in flags)
    sources = set(got.frame["direction_source"].drop_nulls().to_list())
    # (the city's ZKTeco statuses all imply a direction; Hikvision sends "undefined")
    assert sources == ({"status"} if feed == "zkteco" else {"status", "channel"})
    # AND the fast path took the healthy objects: only the corrupt ones went row by row
    assert got.row_parsed < len(objects) / 4


def _mutate_attlog(data: bytes, rng: random.Random) -> bytes:
    """Healthy-shaped variations of every field the checks read (the fast path takes
    them), plus now and then one line only the row parser can read."""
    out = []
    for line in data.decode("utf-8-sig").splitlines():
        f = line.split("\t")
        if len(f) < 6 or rng.random() < 0.5:
            out.append(line)
            continue
        pick = rng.randrange(11)
        if pick == 0:
            f[0] = rng.choice(["000" + f[0].lstrip("0"), "0000", "A" + f[0], "0"])
        elif pick == 1:
            f[3] = rng.choice(["-1", "0", "1", "3", "5", "9"])
        elif pick == 2:
            f[4] = rng.choice(["0", "1", "15", "99"])
        elif pick == 3:
            f = f[:5] + rng.choice([[], [""], ["7", "reserved"], ["", "x y"]])
        elif pick == 4:
            shifted = datetime.fromisoformat(f[1]) + timedelta(days=rng.choice([-3, -2, 1, 2]))
            f[1] = f"{shifted:%Y-%m-%d %H:%M:%S}"
        elif pick == 5:
            out.append(line)  # a resend
        elif pick == 6:
            out.append(rng.choice(["", "  ", "\t"]))  # blank lines count for line numbers
        elif pick == 7:
            f[1] = f[1][:10] + " 23:59:59"
        elif pick == 8 and rng.random() < 0.1:
            f[0] = " " + f[0]  # padded: this file goes row by row
        out.append("\t".join(f))
    eol = "\r\n" if rng.random() < 0.2 else "\n"
    return (eol.join(out) + eol).encode()


def _mutate_page(data: bytes, rng: random.Random) -> bytes:
    """The same for an AcsEvent page: every branch of the event rules."""
    doc = loads(data.decode("utf-8"))
    info = doc["AcsEvent"]["InfoList"]
    out = []
    for original in info:
        if rng.random() < 0.5:
            out.append(original)
            continue
        ev = dict(original)
        pick = rng.randrange(12)
        if pick == 0 and "employeeNoString" in ev:
            ev["employeeNo"] = int(ev.pop("employeeNoString").lstrip("0") or 0)
        elif pick == 1:
            ev["employeeNoString"] = rng.choice(["", "000" + str(ev.get("employeeNoString")), "0"])
        elif pick == 2:
            ev["minor"] = rng.choice([1027, 75, 38, 1, 104, 21])
        elif pick == 3:
            ev["major"] = rng.choice([2, 3, 5])
        elif pick == 4:
            del ev[rng.choice(["major", "minor", "serialNo", "time", "cardReaderNo"])]
        elif pick == 5:
            ev["serialNo"] = rng.choice([-1, ev.get("serialNo", 0)])
        elif pick == 6:
            ev["attendanceStatus"] = rng.choice(["", "checkIn", "breakOut", "weird", "undefined"])
        elif pick == 7 and "time" in ev:
            t = datetime.fromisoformat(ev["time"]) + timedelta(days=rng.choice([-3, -2, 1, 2]))
            ev["time"] = t.isoformat()
        elif pick == 8:
            out.append(dict(ev))  # a resend of the same serial
        elif pick == 9:
            ev["mask"] = rng.choice(["", "yes", None])
            ev["currentTemperature"] = Decimal("36.50")  # a field the parser does not read
        elif pick == 10 and rng.random() < 0.1:
            ev["time"] = ev.get("time", "x").replace("+08:00", "Z")  # row by row
        elif pick == 11 and rng.random() < 0.1:  # types the reader would coerce: row by row
            ev[rng.choice(["doorNo", "cardNo", "major"])] = rng.choice(["1", 1.5, True, 10**20])
        out.append(ev)
    doc["AcsEvent"]["InfoList"] = out
    return dump(doc).encode()


@pytest.mark.parametrize("feed", ["zkteco", "hikvision"])
def test_varied_records_parse_the_same_both_ways(feed: str) -> None:
    # GIVEN the city's objects with every field varied within the healthy shape (PIN
    # forms, statuses, modes, work codes, shifted days, resends, blank lines, CRLF; events
    # without employee, other majors/minors, missing fields, negative serials, …)
    rng = random.Random(11)
    mutate = _mutate_attlog if feed == "zkteco" else _mutate_page
    objects = [(k, mutate(d, rng)) for k, d in planted_city()[feed] if _healthy(feed, d)]
    # WHEN parsed both ways THEN every object agrees with the row parser
    got = assert_same(feed, objects, seed=5)
    # AND most objects took the fast path, with rejects and flags of every kind in it
    assert got.row_parsed < len(objects) / 3
    reasons = {r for res in got.results for rej in res.rejects for r in rej.reasons}
    assert "timestamp_outside_partition" in reasons
    if feed == "hikvision":
        assert {"missing_required_field", "bad_value"} <= reasons
        assert any("no_employee" in label for res in got.results for label in res.ignored_by)
    else:
        assert any("unknown_verify_mode" in f for f in got.frame["flags"].to_list())


def _healthy(feed: str, data: bytes) -> bool:
    try:
        if feed == "zkteco":
            return bool(data.decode("utf-8-sig"))
        return isinstance(json.loads(data).get("AcsEvent", {}).get("InfoList"), list)
    except ValueError:  # incl. UnicodeDecodeError: GBK text, truncated pages
        return False


def test_frame_holds_no_personal_data() -> None:
    # GIVEN the registry's Hikvision dataset, which names a personal-data column
    schema = batch.frame_schema("hikvision")
    # THEN the loaded-rows frame never carries it
    assert not set(schema) & feeds.feed("hikvision").main.pii_columns


def test_rejected_entries_keep_their_exact_text_whatever_else_the_page_holds() -> None:
    # GIVEN pages whose rejected entries carry fields the parser does not read (exact
    # decimals, nested JSON, escapes), some spaced out, some naming InfoList twice (the
    # last counts)
    pages = [(k, d) for k, d in planted_city()["hikvision"] if _healthy("hikvision", d)][:12]
    objects = []
    for n, (key, data) in enumerate(pages):
        doc = loads(data.decode("utf-8"))
        for ev in doc["AcsEvent"]["InfoList"]:
            ev["employeeNoString"] = "999" + str(n)  # on no roster: rejected
            ev["currentTemperature"] = Decimal("36.50")
            ev["extra"] = {"a": [1.0, '\u4e2d\\"x'], "b": None}
        text = dump(doc)
        if n % 2:  # spaced out: the raw text is the entry re-rendered, not its bytes
            text = text.replace('":', '" : ').replace(",", " , ")
        if n % 3 == 0:
            text = text.replace('{"AcsEvent":{', '{"AcsEvent":{"InfoList":[{"major":9}],', 1)
        objects.append((key, text.encode()))
    # WHEN parsed both ways THEN every reject's raw text is the row parser's
    got = assert_same("hikvision", objects)
    raws = [rej.raw for res in got.results for rej in res.rejects]
    assert raws and all('"currentTemperature":36.50' in r for r in raws)
    assert got.row_parsed < len(objects)


def test_roster_check_is_the_same_on_a_sorted_roster_slice() -> None:
    # GIVEN candidates of a few projects and a roster of many, sorted by project (as
    # RosterPeriods keeps it) and the same rows unsorted
    objects = planted_city()["zkteco"]
    _, roster = contexts(objects, seed=3)
    assert roster.frame["project_code"].flags["SORTED_ASC"]
    shuffled = roster.frame.sample(fraction=1.0, shuffle=True, seed=1)
    projects = roster.frame["project_code"].unique().sort().to_list()
    rng = random.Random(4)
    candidates = pl.DataFrame(
        {
            "project_code": [rng.choice(projects[2:5]) for _ in range(400)],
            "employee_no": [str(rng.randrange(1, 500)) for _ in range(400)],
            "work_date": [
                date(2026, 10, 1) + timedelta(days=rng.randrange(-40, 60)) for _ in range(400)
            ],
        }
    )
    # WHEN each answers "on the roster that day?"
    sliced = batch.on_roster(candidates, roster.frame)
    whole = batch.on_roster(candidates, shuffled)
    # THEN the answers agree, some yes and some no
    assert sliced.to_list() == whole.to_list()
    assert 0 < sliced.sum() < len(sliced)
