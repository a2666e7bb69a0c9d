"""Personal data is masked in logs and in screens that do not need it."""

from __future__ import annotations

import logging

import pytest

from cbec.privacy import MaskingFilter, mask_address, mask_id, mask_name, mask_phone, scrub


def test_masks_keep_only_what_identifies_the_record_to_its_owner() -> None:
    assert mask_id("11010519491231002X") == "110*************2X"
    assert mask_name("张三丰") == "张**"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_address("北京市朝阳区建国路88号") == "北京市朝阳区******"
    assert mask_id(None) == ""


def test_scrub_masks_ids_and_phones_in_free_text() -> None:
    text = "buyer 11010519491231002X called from 13812345678 about order T2026"
    scrubbed = scrub(text)
    assert "11010519491231002X" not in scrubbed
    assert "13812345678" not in scrubbed
    assert "T2026" in scrubbed


def test_log_records_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("cbec.test.privacy")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="cbec.test.privacy"):
        logger.info("rejected list for buyer %s", "11010519491231002X")
    assert "11010519491231002X" not in caplog.text
    assert "110*************2X" in caplog.text
