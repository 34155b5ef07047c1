"""JSON bodies, with one more refusal than DRF's parser: nesting too deep for Python's decoder."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ApiJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # "[[[[…" a few thousand deep exhausts the decoder's stack: bad input, not a server error.
            raise ParseError(_("JSON nested too deeply.")) from None
