"""Fill or correct msgstrs in a .po file from a JSON map {"[context|]msgid": "msgstr"}; clears fuzzy flags.

Plural entries (key: the singular msgid; value a string or [singular, plural]) get msgstr[0]. Run
makemessages with --no-wrap, so every msgid is on one line.

Usage: python scripts/po_fill.py locale/zh_Hans/LC_MESSAGES/django.po translations.json
"""

import json
import re
import sys
from pathlib import Path


def main(po_path: str, map_path: str) -> None:
    translations = json.loads(Path(map_path).read_text(encoding="utf-8"))
    blocks = Path(po_path).read_text(encoding="utf-8").split("\n\n")
    done = set()
    for i, block in enumerate(blocks):
        ctx = re.search(r'^msgctxt "(.*)"$', block, re.M)
        mid = re.search(r'^msgid "(.*)"$', block, re.M)
        if not mid:
            continue
        msgid = mid.group(1).replace('\\"', '"')  # the map holds msgids as the code spells them
        key = f"{ctx.group(1)}|{msgid}" if ctx else msgid
        if key not in translations:
            continue
        lines = [line for line in block.split("\n") if not line.startswith("#|") and line != "#, fuzzy"]
        lines = [line.replace("#, fuzzy, ", "#, ") for line in lines]
        start = next(n for n, line in enumerate(lines) if line.startswith("msgstr"))
        # Chinese has one plural form (nplurals=1): a plural entry gets its one msgstr[0].
        # (A fuzzy entry's "#| msgid_plural" is the previous msgid's, not this entry's.)
        msgstr = "msgstr[0]" if re.search(r"^msgid_plural ", block, re.M) else "msgstr"
        text = translations[key]
        if isinstance(text, list):  # [singular, plural]: Chinese uses the one form
            text = text[0]
        text = text.replace('"', '\\"')
        lines = lines[:start] + [f'{msgstr} "{text}"']
        blocks[i] = "\n".join(lines)
        done.add(key)
    Path(po_path).write_text("\n\n".join(blocks), encoding="utf-8")
    missing = set(translations) - done
    if missing:
        sys.exit(f"not found in {po_path}: {sorted(missing)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
