"""The forms of one E.164 number that vendor searches are given (docs/crm.md, "Phone numbers").

CRMs keep phone numbers as typed. Where a vendor's search ignores punctuation (Salesforce SOSL splits words
on it; Zendesk's `phone:*digits` matches any format), the digits are enough; where it matches exactly
(Dataverse $filter eq), we ask for each form phonenumbers produces: E.164, international and national.
"""

from __future__ import annotations

import dataclasses
import re

import phonenumbers


@dataclasses.dataclass(frozen=True)
class PhoneForms:
    """+13175550116 as "+13175550116", "13175550116", "3175550116", "+1 317-555-0116", "(317) 555-0116";
    exact_forms adds the national groups joined by "-", "." and " " (317-555-0116, 317.555.0116, 317 555 0116)."""

    e164: str
    e164_digits: str
    national_digits: str
    international: str
    national: str

    @property
    def exact_forms(self) -> tuple[str, ...]:
        """Each distinct written form, for searches that match the stored text exactly."""
        groups = re.findall(r"\d+", self.national)
        grouped = tuple(separator.join(groups) for separator in ("-", ".", " ")) if len(groups) > 1 else ()
        forms = (self.e164, self.international, self.national, *grouped, self.national_digits, self.e164_digits)
        return tuple(dict.fromkeys(form for form in forms if form))


def phone_forms(e164: str) -> PhoneForms:
    """The forms of a number the service already normalised to E.164 (service/crm/keys.py)."""
    digits = e164.lstrip("+")
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return PhoneForms(e164, digits, digits, e164, digits)
    return PhoneForms(
        e164=e164,
        e164_digits=digits,
        national_digits=phonenumbers.national_significant_number(number),
        international=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )
