from django import template

from accounts import masking

register = template.Library()
register.filter("mask_phone", masking.mask_phone)
register.filter("mask_email", masking.mask_email)
