"""The regulator's monthly report: one self-contained HTML file per city-month.

No JavaScript and no external resources: inline SVG charts and tables, so the file opens
anywhere (e-mail, an air-gapped office PC) and prints as it shows. Labels are Chinese
with English in brackets where it helps. Every chart has its table next to it.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.config import Settings
from ingest.results import ReportResult
from ingest.storage import put_bytes
from ingest.warehouse.db import connect

log = logging.getLogger(__name__)

LEVEL_ZH = {"red": "红色预警", "yellow": "黄色预警", "green": "正常", "pending": "未到期"}
LEVEL_COLOR = {"red": "#d7301f", "yellow": "#f0a202", "green": "#2b8a3e", "pending": "#868e96"}
GRADE_COLOR = {"A": "#2b8a3e", "B": "#74b816", "C": "#f0a202", "D": "#d7301f"}


@dataclass(slots=True)
class ReportData:
    city: str
    month: str
    as_of: str
    pay_month: str = ""
    headline: dict[str, Any] = field(default_factory=dict)
    districts: list[dict[str, Any]] = field(default_factory=list)
    wage_levels: list[dict[str, Any]] = field(default_factory=list)
    wage_by_district: list[dict[str, Any]] = field(default_factory=list)
    wage_warnings: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    grades: list[dict[str, Any]] = field(default_factory=list)
    worst: list[dict[str, Any]] = field(default_factory=list)
    mismatch: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)


def _rows(cur: Any, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur.execute(sql, params)
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def load(settings: Settings, city: str, month: str) -> ReportData:
    """Read everything the report shows from the marts (schema ``marts``)."""
    first = date.fromisoformat(month + "-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    pay_month = f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"
    # Wage warnings: the pay month due during the report month (wages of month M are due
    # on the pay day in month M+1), so the report shows final statuses, not "pending".
    p = {"city": city, "month": month, "first": first, "next": nxt, "pay_month": pay_month}
    data = ReportData(city, month, "", pay_month)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        data.districts = _rows(
            cur,
            """
            select m.district_code, count(distinct m.project_code) as projects,
                   count(distinct m.worker_key) as workers,
                   round(avg(m.attendance_rate)::numeric, 3) as attendance_rate,
                   count(*) filter (where m.is_low_attendance) as low_workers,
                   count(*) filter (where m.is_three_month_low) as three_month_low
              from marts.fct_attendance_monthly m
              join marts.dim_project d using (project_code)
             where d.city_code = %(city)s and m.month::text like %(month)s || '%%'
             group by 1 order by 1""",
            p,
        )
        data.wage_levels = _rows(
            cur,
            """
            select w.level, count(*) as projects
              from marts.fct_project_wage_warning w join marts.dim_project d using (project_code)
             where d.city_code = %(city)s and w.pay_month::text like %(pay_month)s || '%%'
             group by 1""",
            p,
        )
        data.wage_by_district = _rows(
            cur,
            """
            select d.district_code,
                   count(*) filter (where w.level = 'red') as red,
                   count(*) filter (where w.level = 'yellow') as yellow,
                   count(*) filter (where w.level = 'green') as green,
                   count(*) filter (where w.level = 'pending') as pending,
                   coalesce(sum(w.arrears_total), 0) as arrears
              from marts.fct_project_wage_warning w join marts.dim_project d using (project_code)
             where d.city_code = %(city)s and w.pay_month::text like %(pay_month)s || '%%'
             group by 1 order by 1""",
            p,
        )
        data.wage_warnings = _rows(
            cur,
            """
            select w.project_code, d.project_name, d.district_code, w.level,
                   (select string_agg(coalesce(r.name_zh || ' ' || u.code, u.code), '、'
                                      order by u.ord)
                      from unnest(w.reasons) with ordinality as u (code, ord)
                      left join ref.rule_wage_warning_reason r on r.code = u.code) as reasons,
                   (select string_agg(coalesce(g.name_zh || ' ' || u.code, u.code), '、'
                                      order by u.ord)
                      from unnest(w.data_gaps) with ordinality as u (code, ord)
                      left join ref.rule_wage_data_gap g on g.code = u.code) as data_gaps,
                   w.flagged_workers, w.arrears_total,
                   w.attendance_headcount, w.paid_headcount, w.due_date
              from marts.fct_project_wage_warning w join marts.dim_project d using (project_code)
             where d.city_code = %(city)s and w.pay_month::text like %(pay_month)s || '%%'
               and (w.level in ('red', 'yellow') or cardinality(w.data_gaps) > 0)
             order by case w.level when 'red' then 0 else 1 end, w.arrears_total desc nulls last,
                      w.project_code""",
            p,
        )
        data.scores = _rows(
            cur,
            """
            select s.project_code, s.total_score, s.grade
              from marts.fct_inspection_score s
             where s.city_code = %(city)s and s.month::text like %(month)s || '%%'""",
            p,
        )
        data.grades = _rows(
            cur,
            """
            select grade, count(*) as projects from marts.fct_inspection_score
             where city_code = %(city)s and month::text like %(month)s || '%%' group by 1
             order by 1""",
            p,
        )
        data.worst = _rows(
            cur,
            """
            select s.project_code, d.project_name, s.district_code, s.total_score, s.grade,
                   s.city_rank, s.registration_score, s.attendance_score, s.wage_score,
                   s.site_score, s.wage_level
              from marts.fct_inspection_score s join marts.dim_project d using (project_code)
             where s.city_code = %(city)s and s.month::text like %(month)s || '%%'
             order by s.total_score, s.project_code limit 10""",
            p,
        )
        data.mismatch = _rows(
            cur,
            """
            select a.project_code, d.project_name, d.district_code,
                   sum(a.verified_punch_count) as verified,
                   sum(a.mismatch_punch_count) as mismatched,
                   round(sum(a.mismatch_punch_count)::numeric
                         / nullif(sum(a.verified_punch_count) + sum(a.mismatch_punch_count), 0),
                         4) as mismatch_rate
              from marts.fct_attendance_daily a join marts.dim_project d using (project_code)
             where d.city_code = %(city)s and a.work_date >= %(first)s and a.work_date < %(next)s
             group by 1, 2, 3
            having sum(a.verified_punch_count) + sum(a.mismatch_punch_count) > 0
             order by mismatch_rate desc, a.project_code""",
            p,
        )
        data.quality = _rows(
            cur,
            """
            select feed, count(*) as days, sum(objects) as objects, sum(rows_read) as rows_read,
                   sum(rows_loaded) as rows_loaded, sum(rows_quarantined) as quarantined,
                   sum(rows_duplicated) as duplicated, sum(rows_ignored) as ignored,
                   count(*) filter (where is_gate_passed) as days_gate_passed
              from marts.fct_data_quality_daily
             where data_date >= %(first)s and data_date < %(next)s
             group by 1 order by 1""",
            p,
        )
        data.sample = _rows(
            cur,
            """
            select r.draw_order, r.project_code, d.project_name, r.district_code, r.grade,
                   r.total_score, r.selection_reason
              from marts.rpt_random_inspection_sample r
              join marts.dim_project d using (project_code)
             where r.city_code = %(city)s and r.month::text like %(month)s || '%%'
             order by r.draw_order""",
            p,
        )
        cur.execute("select max(as_of)::text from marts.fct_alerts")
        row = cur.fetchone()
        data.as_of = row[0] if row and row[0] else ""
        cur.execute(
            """select count(*) filter (where rule like 'identity_fraud%%'),
                              count(*) filter (where rule = 'proxy_punch'), count(*)
                         from marts.fct_alerts a join marts.dim_project d using (project_code)
                        where d.city_code = %(city)s""",
            p,
        )
        fraud, proxy, alerts = cur.fetchone() or (0, 0, 0)
    workers = sum(d["workers"] for d in data.districts)
    rates = [float(d["attendance_rate"]) for d in data.districts if d["attendance_rate"]]
    data.headline = {
        "projects": len(data.scores),
        "workers": workers,
        "attendance_rate": sum(rates) / len(rates) if rates else None,
        "red": sum(w["projects"] for w in data.wage_levels if w["level"] == "red"),
        "yellow": sum(w["projects"] for w in data.wage_levels if w["level"] == "yellow"),
        "grade_d": sum(g["projects"] for g in data.grades if g["grade"] == "D"),
        "mismatched": sum(int(m["mismatched"]) for m in data.mismatch),
        "identity_fraud": fraud,
        "proxy_alerts": proxy,
        "alerts": alerts,
    }
    return data


# --------------------------------------------------------------------------- rendering


def _e(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return html.escape(str(value))


def _bar_chart(
    items: list[tuple[str, float, str]],
    *,
    title: str,
    max_value: float | None = None,
    fmt: str = "{:.0%}",
    width: int = 560,
) -> str:
    """Horizontal bars: (label, value, colour)."""
    if not items:
        return f'<p class="empty">{_e(title)}：无数据</p>'
    top = max_value if max_value is not None else max(v for _, v, _ in items) or 1.0
    row_h, label_w = 26, 150
    height = row_h * len(items) + 30
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="t">{_e(title)}</text>',
    ]
    for i, (label, value, colour) in enumerate(items):
        y = 28 + i * row_h
        w = 0 if top <= 0 else (width - label_w - 70) * max(value, 0) / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"/><text x="{label_w + w + 6:.1f}" y="{y + 15}">'
            f"{_e(fmt.format(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(scores: list[float], *, title: str, width: int = 560) -> str:
    bins = [0] * 10
    for s in scores:
        bins[min(int(s // 10), 9)] += 1
    top = max(bins) or 1
    height, base = 220, 190
    bar_w = (width - 40) / 10
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="t">{_e(title)}</text>',
    ]
    for i, n in enumerate(bins):
        h = 150 * n / top
        x = 20 + i * bar_w
        grade = "A" if i >= 9 else "B" if i >= 7 else "C" if i >= 6 else "D"
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{bar_w - 4:.1f}" '
            f'height="{h:.1f}" fill="{GRADE_COLOR[grade]}"/>'
            f'<text x="{x + bar_w / 2:.1f}" y="{base - h - 4:.1f}" '
            f'text-anchor="middle">{n}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{i * 10}–{i * 10 + 9 if i < 9 else 100}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], *, empty: str = "无") -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(label)}</th>" for _, label in columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{_e(k)}">{_cell(k, r.get(k))}</td>' for k, _ in columns)
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(key: str, value: Any) -> str:
    if key == "level" and value in LEVEL_ZH:
        return (
            f'<span class="pill" style="background:{LEVEL_COLOR[value]}">{LEVEL_ZH[value]}</span>'
        )
    if key in {"attendance_rate", "mismatch_rate"} and value is not None:
        return f"{float(value):.1%}"
    if key == "grade" and value in GRADE_COLOR:
        return f'<b style="color:{GRADE_COLOR[value]}">{value}</b>'
    return _e(float(value) if hasattr(value, "as_tuple") else value)


CSS = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:24px auto;max-width:1180px;color:#212529}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:2px solid #dee2e6;
padding-bottom:4px;margin-top:32px}.sub{color:#666}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{border:1px solid #dee2e6;
border-radius:6px;padding:10px 14px;min-width:140px}.card b{display:block;font-size:22px}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #dee2e6;
padding:4px 8px;text-align:left}th{background:#f1f3f5}.pill{color:#fff;border-radius:3px;
padding:1px 6px}svg text{font-size:12px;fill:#212529}svg .t{font-size:14px;font-weight:bold}
.empty{color:#868e96}footer{margin-top:40px;color:#868e96;font-size:12px}
"""


def render(data: ReportData) -> str:
    h = data.headline
    rate = h["attendance_rate"]
    cards = [
        ("在建项目 projects", h["projects"]),
        ("出勤工人 workers", h["workers"]),
        ("平均出勤率 attendance", f"{rate:.1%}" if rate is not None else "—"),
        ("欠薪红色预警 red", h["red"]),
        ("欠薪黄色预警 yellow", h["yellow"]),
        ("D级项目 grade D", h["grade_d"]),
        ("人脸不符 proxy punches", h["mismatched"]),
        ("身份冒用线索 identity fraud", h["identity_fraud"]),
    ]
    district_bars = [
        (
            d["district_code"],
            float(d["attendance_rate"] or 0),
            "#d7301f" if float(d["attendance_rate"] or 0) < 0.9 else "#1c7ed6",
        )
        for d in data.districts
    ]
    level_order = ["red", "yellow", "green", "pending"]
    counts = {w["level"]: int(w["projects"]) for w in data.wage_levels}
    level_bars = [(LEVEL_ZH[lv], float(counts.get(lv, 0)), LEVEL_COLOR[lv]) for lv in level_order]
    grade_counts = {g["grade"]: int(g["projects"]) for g in data.grades}
    grade_bars = [(f"{g} 级", float(grade_counts.get(g, 0)), GRADE_COLOR[g]) for g in "ABCD"]
    mismatch_bars = [
        (m["project_code"][-8:], float(m["mismatch_rate"] or 0), "#ae3ec9")
        for m in data.mismatch[:12]
    ]
    sections = [
        f"<h1>{_e(data.city)} 市建筑工人实名制月度监管报告 · {_e(data.month)}</h1>",
        f'<p class="sub">数据截至 as of {_e(data.as_of)} · 来源：sitepass marts</p>',
        '<div class="cards">'
        + "".join(f'<div class="card">{_e(k)}<b>{_e(v)}</b></div>' for k, v in cards)
        + "</div>",
        "<h2>一、各区出勤率 Attendance rate by district</h2>",
        '<div class="row">'
        + _bar_chart(district_bars, title="平均出勤率（低于90%标红）", max_value=1.0)
        + _table(
            data.districts,
            [
                ("district_code", "区县"),
                ("projects", "项目数"),
                ("workers", "工人数"),
                ("attendance_rate", "出勤率"),
                ("low_workers", "低出勤人数"),
                ("three_month_low", "连续三月低出勤"),
            ],
        )
        + "</div>",
        f"<h2>二、欠薪预警 Wage-arrears warnings (欠薪预警) · 工资月份 {_e(data.pay_month)}"
        "（本月到期）</h2>",
        '<div class="row">'
        + _bar_chart(level_bars, title="项目预警等级", fmt="{:.0f}")
        + _table(
            data.wage_by_district,
            [
                ("district_code", "区县"),
                ("red", "红"),
                ("yellow", "黄"),
                ("green", "绿"),
                ("pending", "未到期"),
                ("arrears", "欠薪金额(元)"),
            ],
        )
        + "</div>",
        _table(
            data.wage_warnings,
            [
                ("project_code", "项目编码"),
                ("project_name", "项目名称"),
                ("district_code", "区县"),
                ("level", "等级"),
                ("reasons", "原因"),
                ("data_gaps", "数据缺口(不影响等级)"),
                ("flagged_workers", "异常工人月数"),
                ("arrears_total", "欠薪金额"),
                ("attendance_headcount", "出勤人数"),
                ("paid_headcount", "发薪人数"),
                ("due_date", "应发日期"),
            ],
            empty="本月无红色或黄色预警, 无数据缺口",
        ),
        "<h2>三、考核评分 Inspection scores (考核评分)</h2>",
        '<div class="row">'
        + _histogram([float(s["total_score"]) for s in data.scores], title="总分分布")
        + _bar_chart(grade_bars, title="等级分布", fmt="{:.0f}")
        + "</div>",
        "<h3>得分最低的项目 Worst sites</h3>",
        _table(
            data.worst,
            [
                ("project_code", "项目编码"),
                ("project_name", "项目名称"),
                ("district_code", "区县"),
                ("total_score", "总分"),
                ("grade", "等级"),
                ("city_rank", "全市排名"),
                ("registration_score", "实名登记"),
                ("attendance_score", "考勤"),
                ("wage_score", "工资"),
                ("site_score", "现场"),
                ("wage_level", "欠薪等级"),
            ],
        ),
        "<h2>四、人脸核验不符（代打卡）Face mismatches (buddy punching)</h2>",
        '<div class="row">'
        + _bar_chart(
            mismatch_bars,
            title="不符率最高的项目",
            max_value=max([b[1] for b in mismatch_bars] + [0.01]),
            fmt="{:.1%}",
        )
        + _table(
            data.mismatch[:12],
            [
                ("project_code", "项目编码"),
                ("district_code", "区县"),
                ("verified", "核验通过"),
                ("mismatched", "不符"),
                ("mismatch_rate", "不符率"),
            ],
        )
        + "</div>",
        "<h2>五、双随机抽查名单 Random inspection draw (双随机)</h2>",
        _table(
            data.sample,
            [
                ("draw_order", "序号"),
                ("project_code", "项目编码"),
                ("project_name", "项目名称"),
                ("district_code", "区县"),
                ("grade", "等级"),
                ("total_score", "总分"),
                ("selection_reason", "抽取原因"),
            ],
        ),
        "<h2>六、数据质量 Data quality</h2>",
        _table(
            data.quality,
            [
                ("feed", "数据源"),
                ("days", "天数"),
                ("objects", "文件数"),
                ("rows_read", "读取行"),
                ("rows_loaded", "入库行"),
                ("quarantined", "隔离行"),
                ("duplicated", "重复行"),
                ("ignored", "忽略事件"),
                ("days_gate_passed", "校验通过天数"),
            ],
        ),
        "<footer>sitepass · 建设工地实名制管理数据平台 · 本报告由数据平台自动生成，"
        "口径见 docs/rules.md</footer>",
    ]
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_e(data.city)} {_e(data.month)} 实名制月报</title><style>{CSS}</style>"
        "</head><body>" + "\n".join(sections) + "</body></html>"
    )


def write_report(
    settings: Settings, city: str, month: str, out_dir: Path | None = None
) -> ReportResult:
    """Render the city-month report; store it locally and in the bucket."""
    data = load(settings, city, month)
    page = render(data).encode()
    directory = out_dir or settings.home / "reports"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"report-{city}-{month}.html"
    path.write_bytes(page)
    key = f"reports/city={city}/month={month}/report.html"
    put_bytes(settings.s3, key, page, "text/html; charset=utf-8")
    log.info("report %s %s: %s and s3://%s/%s", city, month, path, settings.s3.bucket, key)
    return ReportResult(
        path=str(path), s3_key=key, bytes=len(page), projects=int(data.headline["projects"])
    )
