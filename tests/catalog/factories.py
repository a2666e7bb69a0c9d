"""Small catalogue CSVs for the tests, built from rows."""

from __future__ import annotations

POSITIVE_HEADER = "tariff_code8,name,remark,bonded_only,direct_only,annual_weight_cap_kg"
HS_HEADER = "code10,name,legal_unit,second_unit,vat_rate,consumption_rate,tariff_rate"
POLICY_HEADER = "name,value,effective_from,effective_to,remark"


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def positive_list(*rows: str) -> bytes:
    return csv_bytes(POSITIVE_HEADER, *rows)


def hs_codes(*rows: str) -> bytes:
    return csv_bytes(HS_HEADER, *rows)


def policy(*rows: str) -> bytes:
    return csv_bytes(POLICY_HEADER, *rows)
