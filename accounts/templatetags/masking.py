from django import template

from accounts import masking

register = template.Library()
register.filter("mask_phone", masking.mask_phone)
register.filter("mask_email", masking.mask_email)
register.filter("mask_reference", masking.mask_reference)
register.filter("mask_name", masking.mask_name)
