"""Which column of a bank file holds which field: guessed from the headers (English or Chinese), editable.

Pure: no database. A mapping is {column header: field name}; columns mapped to nothing are ignored.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from accounts.customer_intake import CUSTOMER_FIELDS

CUSTOMER_LABELS = {
    "bank_reference": _("Bank reference"),
    "name": _("Name"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "language": _("Language"),
    "time_zone": _("Time zone"),
    "preferred_channel": _("Preferred channel"),
    "preferred_time_of_day": _("Preferred time of day"),
    "device_os": _("Device OS"),
    "device_os_version": _("OS version"),
    "app_version": _("App version"),
    "wallet_product": _("Wallet product"),
    "segment": _("Segment"),
    "enrolled_on": _("Enrolled on"),
    "region": _("Region"),
    "opt_out": _("Opted out (every channel)"),
    "phone_opt_out": _("Opted out of calls"),
    "sms_opt_out": _("Opted out of SMS"),
    "email_opt_out": _("Opted out of e-mail"),
    "do_not_contact": _("Do not contact"),
    "consent": _("Consent"),
}
assert set(CUSTOMER_LABELS) == set(CUSTOMER_FIELDS)

EVENT_LABELS = {
    "bank_reference": _("Event reference"),
    "customer_reference": _("Customer's bank reference"),
    "kind": _("Event kind"),
    "occurred_at": _("Occurred at"),
    "access_channel": _("Access channel"),
}

REQUIRED = {
    "customers": ("bank_reference", "name"),
    "events": ("bank_reference", "customer_reference", "kind", "occurred_at"),
}

# Header names as banks write them, compared after normalising (lower case, no spaces, _ or -).
_CUSTOMER_ALIASES = {
    "bank_reference": ("bankreference", "customerreference", "customerid", "customerno", "reference", "ref", "clientid",
                       "客户号", "客户编号", "银行客户号", "客户id", "客户代码", "客户编码"),
    "name": ("name", "customername", "fullname", "姓名", "客户姓名", "客户名称", "名字"),
    "phone": ("phone", "mobile", "mobilephone", "phonenumber", "tel", "手机号", "手机", "手机号码", "电话", "联系电话"),
    "email": ("email", "mail", "emailaddress", "邮箱", "电子邮件", "电子邮箱", "邮件地址"),
    "language": ("language", "lang", "locale", "语言", "首选语言"),
    "time_zone": ("timezone", "tz", "zone", "时区"),
    "preferred_channel": ("preferredchannel", "channel", "contactchannel", "首选渠道", "联系渠道", "联系方式"),
    "preferred_time_of_day": ("preferredtimeofday", "timeofday", "preferredtime", "偏好时段", "联系时段", "首选时段"),
    "device_os": ("deviceos", "os", "platform", "deviceplatform", "设备系统", "操作系统", "手机系统", "系统"),
    "device_os_version": ("deviceosversion", "osversion", "系统版本", "操作系统版本"),
    "app_version": ("appversion", "app版本", "应用版本", "客户端版本"),
    "wallet_product": ("walletproduct", "product", "钱包产品", "产品"),
    "segment": ("segment", "customersegment", "客户分群", "分群", "客户类别", "客群"),
    "enrolled_on": ("enrolledon", "enrolmentdate", "enrollmentdate", "enrolled", "开通日期", "开户日期", "注册日期"),
    "region": ("region", "country", "地区", "国家", "国家地区"),
    "opt_out": ("optout", "optedout", "unsubscribed", "退订", "全部退订", "拒绝回访"),
    "phone_opt_out": ("phoneoptout", "calloptout", "电话退订", "拒绝电话"),
    "sms_opt_out": ("smsoptout", "短信退订", "拒绝短信"),
    "email_opt_out": ("emailoptout", "邮件退订", "拒绝邮件"),
    "do_not_contact": ("donotcontact", "dnc", "请勿联系", "勿扰", "免打扰", "禁止联系"),
    "consent": ("consent", "consentgiven", "同意", "同意回访", "授权", "客户授权"),
}  # fmt: skip
_EVENT_ALIASES = {
    "bank_reference": ("bankreference", "eventreference", "eventid", "eventno", "reference", "ref",
                       "事件编号", "事件号", "事件id", "流水号", "交易流水号"),
    "customer_reference": ("customerreference", "customerbankreference", "customerid", "customerno", "customer",
                           "客户号", "客户编号", "银行客户号", "客户id"),
    "kind": ("kind", "eventkind", "eventtype", "type", "事件类型", "类型", "事件"),
    "occurred_at": ("occurredat", "occurred", "time", "eventtime", "timestamp", "datetime",
                    "发生时间", "时间", "事件时间"),
    "access_channel": ("accesschannel", "channel", "渠道", "接入渠道", "访问渠道"),
}  # fmt: skip


def labels(kind: str) -> dict:
    return CUSTOMER_LABELS if kind == "customers" else EVENT_LABELS


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-./()（）]+", "", header).lower()


def guess_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Each header matched to a field by its name (field name, English or Chinese alias); first match wins."""
    aliases = _CUSTOMER_ALIASES if kind == "customers" else _EVENT_ALIASES
    lookup = {}
    for field_name, names in aliases.items():
        for name in (field_name, *names):
            lookup.setdefault(_normal(name), field_name)
    mapping, taken = {}, set()
    for header in headers:
        field_name = lookup.get(_normal(header)) if header else None
        if field_name and field_name not in taken:
            mapping[header] = field_name
            taken.add(field_name)
    return mapping


def parse_map_options(options: list[str]) -> dict[str, str]:
    """--map col=field options from the command line."""
    found = {}
    for option in options:
        column, sep, field_name = option.partition("=")
        if not sep:
            raise ValueError(option)
        found[column.strip()] = field_name.strip()
    return found


def mapping_problems(mapping: dict[str, str], headers: list[str], kind: str) -> list[str]:
    """What is wrong with a mapping, for people: unknown columns or fields, a field twice, a required one missing."""
    problems = []
    known = labels(kind)
    for column, field_name in mapping.items():
        if column not in headers:
            problems.append(str(_("The file has no column “%(column)s”.")) % {"column": column})
        if field_name not in known:
            problems.append(str(_("“%(field)s” is not a field of this import.")) % {"field": field_name})
    fields = list(mapping.values())
    for field_name in sorted({f for f in fields if fields.count(f) > 1}):
        problems.append(str(_("Two columns are mapped to %(field)s.")) % {"field": known.get(field_name, field_name)})
    missing = [str(known[f]) for f in REQUIRED[kind] if f not in fields]
    if missing:
        problems.append(str(_("No column holds the required fields: %(fields)s.")) % {"fields": ", ".join(missing)})
    return problems
