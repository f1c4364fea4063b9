"""Reason codes for rejected, flagged and ignored landing records.

A reason code is attached to a record in one of three ways (its ``outcome``):

* ``reject`` — the record is not loaded; it goes to quarantine with all its reason codes;
* ``flag`` — the record is loaded, and the code is listed in the row's ``flags`` column;
* ``ignore`` / ``count`` — the record is not loaded and not quarantined, only counted.

``docs/reason-codes.md`` is generated from :data:`REASONS`::

    python -m ingest.landing.reasons > docs/reason-codes.md

and a unit test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- structure and encoding ------------------------------------------------------------
BAD_ENCODING = "bad_encoding"
MALFORMED_LINE = "malformed_line"
MALFORMED_JSON = "malformed_json"
MALFORMED_RECORD = "malformed_record"
MISSING_REQUIRED_FIELD = "missing_required_field"
BAD_VALUE = "bad_value"
BAD_DATE = "bad_date"
BAD_PROJECT_CODE = "bad_project_code"
# --- identity numbers ------------------------------------------------------------------
BAD_ID_FORMAT = "bad_id_format"
BAD_ID_CHECKSUM = "bad_id_checksum"
BAD_USCC_FORMAT = "bad_uscc_format"
BAD_USCC_CHECKSUM = "bad_uscc_checksum"
# --- code tables (dbt/seeds/codes) ------------------------------------------------------
UNKNOWN_PROJECT_CATEGORY = "unknown_project_category"
UNKNOWN_PROJECT_STATUS = "unknown_project_status"
UNKNOWN_CORP_TYPE = "unknown_corp_type"
UNKNOWN_ID_CARD_TYPE = "unknown_id_card_type"
UNKNOWN_WORK_TYPE = "unknown_work_type"
UNKNOWN_WORK_ROLE = "unknown_work_role"
UNKNOWN_TRAINING_TYPE = "unknown_training_type"
UNKNOWN_DEVICE_ROLE = "unknown_device_role"
UNKNOWN_INSPECTION_KIND = "unknown_inspection_kind"
UNKNOWN_FINDING_SEVERITY = "unknown_finding_severity"
UNKNOWN_DEVICE_VENDOR = "unknown_device_vendor"
UNKNOWN_VERIFY_MODE = "unknown_verify_mode"
UNKNOWN_PUNCH_STATUS = "unknown_punch_status"
UNKNOWN_BANK_CODE = "unknown_bank_code"
UNKNOWN_CONTRACT_PERIOD_TYPE = "unknown_contract_period_type"
UNKNOWN_STATEMENT_PURPOSE = "unknown_statement_purpose"
# --- references to other data -----------------------------------------------------------
UNKNOWN_PROJECT = "unknown_project"
UNKNOWN_EMPLOYEE = "unknown_employee"
UNKNOWN_DEVICE = "unknown_device"
PROJECT_MISMATCH = "project_mismatch"
# --- time -------------------------------------------------------------------------------
FUTURE_TIMESTAMP = "future_timestamp"
TIMESTAMP_OUTSIDE_PARTITION = "timestamp_outside_partition"
BAD_DATE_ORDER = "bad_date_order"
# --- payroll ----------------------------------------------------------------------------
NEGATIVE_AMOUNT = "negative_amount"
PAY_MONTH_FORMAT = "pay_month_format"
PAY_MONTH_MISMATCH = "pay_month_mismatch"
ACTUAL_EXCEEDS_TOTAL = "actual_exceeds_total"
BACK_PAY_MONTH_MISMATCH = "back_pay_month_mismatch"
# --- wage-account statements ------------------------------------------------------------
STATEMENT_UNBALANCED = "statement_unbalanced"
# --- duplicates and ignored records -----------------------------------------------------
DUPLICATE = "duplicate"
CONFLICTING_DUPLICATE = "conflicting_duplicate"
NOT_PERSON_EVENT = "not_person_event"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    outcome: str  # reject | flag | reject/flag | ignore | count
    en: str
    zh: str

    @property
    def description(self) -> str:
        return f"{self.en} / {self.zh}"


_R = Reason
REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        _R(
            BAD_ENCODING,
            "reject",
            "Record bytes are neither valid UTF-8 nor GB18030 (e.g. a character cut in half).",
            "记录字节既非合法 UTF-8 也非 GB18030（如被截断的多字节字符）。",
        ),
        _R(
            MALFORMED_LINE,
            "reject",
            "attlog line does not have the PIN, timestamp, Verified, Status, VerifyMode fields.",
            "考勤日志行缺少 PIN/时间/Verified/Status/VerifyMode 字段（格式错误或被截断）。",
        ),
        _R(
            MALFORMED_JSON,
            "reject",
            "Not parseable JSON (a JSONL line, or a whole JSON file: record_no 0).",
            "JSON 无法解析（JSONL 的一行，或整个 JSON 文件：record_no 为 0）。",
        ),
        _R(
            MALFORMED_RECORD,
            "reject",
            "Valid JSON of the wrong shape (not an object, a nested list that is not a list).",
            "JSON 合法但结构不符（不是对象、应为列表的字段不是列表等）。",
        ),
        _R(
            MISSING_REQUIRED_FIELD,
            "reject",
            "A required field is absent, null or empty.",
            "必填字段缺失、为 null 或为空。",
        ),
        _R(
            BAD_VALUE,
            "reject",
            "A field has the wrong type, format or range (number, boolean, HH:MM, …).",
            "字段类型、格式或取值范围错误（数字、布尔、时:分等）。",
        ),
        _R(
            BAD_DATE,
            "reject",
            "A date or timestamp is not a real calendar date/time in a supported format.",
            "日期或时间不是受支持格式的有效日期/时间。",
        ),
        _R(
            BAD_PROJECT_CODE,
            "reject",
            "projectCode is not 6-digit area code + valid yyyymmdd + 4-digit serial.",
            "项目编码不是 6 位区划码 + 有效 yyyymmdd + 4 位流水号。",
        ),
        _R(
            BAD_ID_FORMAT,
            "reject/flag",
            "Resident ID (type 01) is not 17 digits + digit/X, or its birth date is impossible.",
            "居民身份证号不是 17 位数字加数字/X，或其出生日期不合理。",
        ),
        _R(
            BAD_ID_CHECKSUM,
            "reject/flag",
            "Resident ID (type 01) fails the GB 11643 mod-11 check character.",
            "居民身份证号未通过 GB 11643 模 11 校验码。",
        ),
        _R(
            BAD_USCC_FORMAT,
            "reject/flag",
            "Corp code is not 18 characters of the GB 32100 charset (no I, O, Z, S, V).",
            "统一社会信用代码不是 GB 32100 字符集（不含 I、O、Z、S、V）的 18 位。",
        ),
        _R(
            BAD_USCC_CHECKSUM,
            "reject/flag",
            "Corp code fails the GB 32100 mod-31 check character (sub-contractor: reject; "
            "elsewhere: flag).",
            "统一社会信用代码未通过 GB 32100 模 31 校验（分包单位记录：拒收；其他位置：标记）。",
        ),
        _R(
            UNKNOWN_PROJECT_CATEGORY,
            "reject",
            "category is not in code_project_category.",
            "项目类别不在 code_project_category 中。",
        ),
        _R(
            UNKNOWN_PROJECT_STATUS,
            "reject",
            "prjStatus is not in code_project_status.",
            "项目状态不在 code_project_status 中。",
        ),
        _R(
            UNKNOWN_CORP_TYPE,
            "reject",
            "corpType is not in code_corp_type.",
            "参建单位类型不在 code_corp_type 中。",
        ),
        _R(
            UNKNOWN_ID_CARD_TYPE,
            "reject",
            "idCardType is not in code_id_card_type.",
            "证件类型不在 code_id_card_type 中。",
        ),
        _R(
            UNKNOWN_WORK_TYPE,
            "reject",
            "workType is not in code_work_type.",
            "工种不在 code_work_type 中。",
        ),
        _R(
            UNKNOWN_WORK_ROLE,
            "reject",
            "workRole is not in code_work_role.",
            "工人类型不在 code_work_role 中。",
        ),
        _R(
            UNKNOWN_TRAINING_TYPE,
            "reject",
            "trainingType is not in code_training_type (rejects that training record).",
            "培训类型不在 code_training_type 中（仅拒收该培训记录）。",
        ),
        _R(
            UNKNOWN_DEVICE_ROLE,
            "reject",
            "devices[].role is not in code_device_role (in, out, both).",
            "设备通道方向不在 code_device_role（in、out、both）中。",
        ),
        _R(
            UNKNOWN_INSPECTION_KIND,
            "reject",
            "Inspection kind is not in code_inspection_kind.",
            "检查类型不在 code_inspection_kind 中。",
        ),
        _R(
            UNKNOWN_FINDING_SEVERITY,
            "reject",
            "Finding severity is not in code_finding_severity.",
            "问题等级不在 code_finding_severity 中。",
        ),
        _R(
            UNKNOWN_DEVICE_VENDOR,
            "flag",
            "Device vendor is not in code_device_vendor; its files cannot be parsed.",
            "设备厂商不在 code_device_vendor 中，其文件无法解析。",
        ),
        _R(
            UNKNOWN_VERIFY_MODE,
            "flag",
            "ZKTeco VerifyMode is not in code_verify_mode_zkteco.",
            "中控验证方式不在 code_verify_mode_zkteco 中。",
        ),
        _R(
            UNKNOWN_PUNCH_STATUS,
            "flag",
            "ZKTeco Status / Hikvision attendanceStatus not in its code table; no direction "
            "from it.",
            "中控 Status / 海康 attendanceStatus 不在代码表中，无法据此判断进出方向。",
        ),
        _R(
            UNKNOWN_BANK_CODE,
            "flag",
            "Bank code is not in code_bank (the table is not exhaustive).",
            "银行代码不在 code_bank 中（该表并不完整）。",
        ),
        _R(
            UNKNOWN_CONTRACT_PERIOD_TYPE,
            "flag",
            "contract.contractPeriodType is not in code_contract_period_type.",
            "合同期限类型不在 code_contract_period_type 中。",
        ),
        _R(
            UNKNOWN_PROJECT,
            "reject",
            "The project code is not in the latest registry snapshot.",
            "项目编码不在最新的项目登记快照中。",
        ),
        _R(
            UNKNOWN_EMPLOYEE,
            "reject",
            "No roster entry for this employeeNo at this project on the punch's local date "
            "(123 = 000123).",
            "打卡当日该项目花名册中无此工号（123 与 000123 视为同一人）。",
        ),
        _R(
            UNKNOWN_DEVICE,
            "flag",
            "The device serial number is not registered for the project.",
            "设备序列号未在该项目登记。",
        ),
        _R(
            PROJECT_MISMATCH,
            "reject",
            "The projectCode inside the file differs from the projectCode in the object key.",
            "文件内的项目编码与对象路径中的项目编码不一致。",
        ),
        _R(
            FUTURE_TIMESTAMP,
            "reject",
            "Timestamp/date after the end of the run's data interval.",
            "时间/日期晚于本次运行数据区间的结束时间。",
        ),
        _R(
            TIMESTAMP_OUTSIDE_PARTITION,
            "reject",
            "Punch local date more than one day from the file's dt= partition.",
            "打卡本地日期与文件 dt= 分区相差超过一天。",
        ),
        _R(
            BAD_DATE_ORDER,
            "flag",
            "An end date is before its start date (exit < entry, balance before pay month, …).",
            "结束日期早于开始日期（退场早于进场、发放日早于工资所属月等）。",
        ),
        _R(NEGATIVE_AMOUNT, "reject", "A money amount is negative.", "金额为负数。"),
        _R(
            PAY_MONTH_FORMAT,
            "reject",
            "payMonth is not YYYY-MM.",
            "工资所属月份 payMonth 不是 YYYY-MM 格式。",
        ),
        _R(
            PAY_MONTH_MISMATCH,
            "reject",
            "payMonth differs from the month= partition of the object key.",
            "payMonth 与对象路径中的 month= 分区不一致。",
        ),
        _R(
            ACTUAL_EXCEEDS_TOTAL,
            "flag",
            "actualAmount is greater than totalPayAmount.",
            "实发金额大于应发金额。",
        ),
        _R(
            UNKNOWN_STATEMENT_PURPOSE,
            "reject",
            "A statement transaction's purpose is not in code_statement_purpose.",
            "专户流水的用途不在 code_statement_purpose 中。",
        ),
        _R(
            STATEMENT_UNBALANCED,
            "reject",
            "openingBalance + Σ in − Σ out ≠ closingBalance (to the cent): the whole statement "
            "is quarantined, every transaction with this reason.",
            "期初余额 + 收入合计 − 支出合计 ≠ 期末余额（精确到分）：整份流水隔离。",
        ),
        _R(
            BACK_PAY_MONTH_MISMATCH,
            "reject",
            "backPayMonth is given but is not YYYY-MM or differs from payMonth (a back-pay line "
            "stays under the month worked; contract v1.1).",
            "补发所属月份 backPayMonth 格式错误或与 payMonth 不一致（补发记录归属实际工作月份）。",
        ),
        _R(
            DUPLICATE,
            "count",
            "Repeat of an earlier record in the same file (device resend): counted, not loaded.",
            "与同一文件中前一条记录重复（设备重传）：只计数，不入库。",
        ),
        _R(
            CONFLICTING_DUPLICATE,
            "reject",
            "Same identifying key as an earlier record in the file but different content.",
            "与文件中前一条记录标识相同但内容不同。",
        ),
        _R(
            NOT_PERSON_EVENT,
            "ignore",
            "Hikvision door/alarm event, or no employeeNo: not a punch; counted, not an error.",
            "海康门禁/报警事件或无工号事件：不是打卡记录，仅计数，不视为错误。",
        ),
    )
}

DESCRIPTIONS: dict[str, str] = {code: r.description for code, r in REASONS.items()}


def render_markdown() -> str:
    """The text of ``docs/reason-codes.md``."""
    lines = [
        "# Landing reason codes",
        "",
        "<!-- Generated by `python -m ingest.landing.reasons > docs/reason-codes.md`;",
        "     do not edit by hand (a unit test compares this file with the code). -->",
        "",
        "Every landing record that is not loaded as-is carries one or more of these codes.",
        "Outcome `reject`: the record goes to quarantine (file key, record number, raw text,",
        "all applicable codes). `flag`: the record is loaded and the code is listed in its",
        "`flags` column. `reject/flag`: depends on where the value sits (see the description",
        "and `docs/landing-fields.md`). `ignore`: counted in `ignored`, not an error. `count`:",
        "counted in `duplicates`. Per file: read = loaded + quarantined + duplicates + ignored.",
        "",
        "| code | outcome | meaning | 含义 |",
        "|---|---|---|---|",
    ]
    for r in REASONS.values():
        lines.append(f"| `{r.code}` | {r.outcome} | {r.en} | {r.zh} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
