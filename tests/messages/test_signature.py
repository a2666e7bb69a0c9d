"""XML-DSig signatures: what a sender signs verifies with the key it filed; any change to
the message, the signature or the key is caught and named."""

from __future__ import annotations

import base64

import pytest
from gmssl import sm2
from lxml import etree

from cbec.messages import codec, signature
from cbec.messages.signature import SignatureProblem, SigningKey

ALGORITHMS = ["sm2-sm3", "rsa-sha256", "ecdsa-sha256"]


@pytest.fixture(scope="module", params=ALGORITHMS)
def key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param, f"test-{request.param}")


def _evidence(xml: bytes) -> signature.Evidence:
    found = signature.read(codec.parse_tree(xml))
    assert found is not None
    return found


def _check(xml: bytes, key: SigningKey) -> None:
    public = signature.load_public_key(key.algorithm, key.public_pem())
    signature.verify(_evidence(xml), key.algorithm, public)


def test_signed_message_verifies_and_still_parses(order_xml: bytes, key: SigningKey) -> None:
    signed = signature.sign(order_xml, key)
    _check(signed, key)
    message = codec.from_xml(signed)
    assert getattr(message, "signature", None) is not None
    assert _evidence(signed).key_name == key.key_name


def test_unsigned_message_has_no_evidence(order_xml: bytes) -> None:
    assert signature.read(codec.parse_tree(order_xml)) is None


def test_changed_content_fails_the_digest(order_xml: bytes, key: SigningKey) -> None:
    signed = signature.sign(order_xml, key)
    tampered = signed.replace(b"<ceb:goodsValue>398.00<", b"<ceb:goodsValue>39.80<")
    assert tampered != signed
    with pytest.raises(SignatureProblem) as caught:
        _check(tampered, key)
    assert caught.value.rule == "signature.digest"


def test_whitespace_reformatting_outside_text_is_still_a_change(order_xml: bytes) -> None:
    # C14N keeps whitespace text: a re-indented message is another message.
    key = SigningKey.generate("ecdsa-sha256", "k")
    signed = signature.sign(order_xml, key)
    with pytest.raises(SignatureProblem) as caught:
        _check(signed.replace(b"\n  <ceb:Order>", b"<ceb:Order>"), key)
    assert caught.value.rule == "signature.digest"


def test_other_key_is_refused(order_xml: bytes, key: SigningKey) -> None:
    signed = signature.sign(order_xml, key)
    other = SigningKey.generate(key.algorithm, "other")
    public = signature.load_public_key(other.algorithm, other.public_pem())
    with pytest.raises(SignatureProblem) as caught:
        signature.verify(_evidence(signed), key.algorithm, public)
    assert caught.value.rule == "signature.invalid"


def test_forged_signature_value_is_refused(order_xml: bytes, key: SigningKey) -> None:
    root = codec.parse_tree(signature.sign(order_xml, key))
    value = root.find(f"{{{signature.DS_NS}}}Signature/{{{signature.DS_NS}}}SignatureValue")
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureProblem) as caught:
        _check(etree.tostring(root), key)
    assert caught.value.rule == "signature.invalid"


def test_key_of_another_algorithm_is_named(order_xml: bytes) -> None:
    rsa = SigningKey.generate("rsa-sha256", "r")
    ecdsa = SigningKey.generate("ecdsa-sha256", "e")
    signed = signature.sign(order_xml, rsa)
    public = signature.load_public_key("ecdsa-sha256", ecdsa.public_pem())
    with pytest.raises(SignatureProblem) as caught:
        signature.verify(_evidence(signed), "ecdsa-sha256", public)
    assert caught.value.rule == "signature.algorithm"
    assert "rsa-sha256" in caught.value.text


def test_signature_after_reindented_document_keeps_the_tail(order_xml: bytes) -> None:
    # A real signer's pretty-printed output puts a newline after </ds:Signature>; removing
    # the Signature for the digest must keep that text (the enveloped transform removes
    # the element only).
    key = SigningKey.generate("ecdsa-sha256", "k")
    root = codec.parse_tree(signature.sign(order_xml, key))
    own = signature.find(root)
    assert own is not None
    previous = own.getprevious()
    assert previous is not None
    own.tail, previous.tail = previous.tail, (previous.tail or "")
    # re-sign the document in this new layout and check it
    resigned = signature.sign(etree.tostring(root), key)
    assert b"</ds:Signature>\n" in resigned or b"</ds:Signature>" in resigned
    _check(resigned, key)


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (
            lambda x: (
                x.replace(b"#sm2-sm3", b"#dsa-sha1")
                .replace(b"#rsa-sha256", b"#dsa-sha1")
                .replace(b"#ecdsa-sha256", b"#dsa-sha1")
            ),
            "signature.algorithm",
        ),
        (lambda x: x.replace(b'URI=""', b'URI="#other"'), "signature.reference"),
        (lambda x: x.replace(b"enveloped-signature", b"base64"), "signature.reference"),
        (lambda x: x.replace(b"<ds:DigestValue>", b"<ds:DigestValue>!!"), "signature.malformed"),
    ],
)
def test_malformed_signatures_are_named(order_xml: bytes, key: SigningKey, edit, rule) -> None:  # type: ignore[no-untyped-def]
    evidence = _evidence(edit(signature.sign(order_xml, key)))
    assert evidence.problem is not None
    assert evidence.problem[0] == rule


def test_sm2_interoperates_with_gmssl(order_xml: bytes) -> None:
    """A signature made by another SM2 implementation (gmssl, pure Python, default user ID)
    verifies: the national algorithm is the standard one, not a private variant."""
    ours = SigningKey.generate("sm2-sm3", "gm")
    numbers = ours.private_key.private_numbers()
    public = ours.private_key.public_key().public_numbers()
    other = sm2.CryptSM2(
        private_key=f"{numbers.private_value:064x}", public_key=f"{public.x:064x}{public.y:064x}"
    )

    class GmsslKey(SigningKey):
        def sign_bytes(self, data: bytes) -> bytes:
            return bytes.fromhex(other.sign_with_sm3(data))

    signed = signature.sign(order_xml, GmsslKey("sm2-sm3", "gm", ours.private_key))
    _check(signed, ours)
    # ... and gmssl accepts ours
    evidence = _evidence(signature.sign(order_xml, ours))
    assert other.verify_with_sm3(evidence.value.hex(), evidence.signed_info)


def test_bad_public_keys_are_refused_with_a_reason() -> None:
    rsa = SigningKey.generate("rsa-sha256", "r")
    with pytest.raises(ValueError, match="elliptic-curve"):
        signature.load_public_key("ecdsa-sha256", rsa.public_pem())
    with pytest.raises(ValueError, match="SM2"):
        signature.load_public_key("sm2-sm3", SigningKey.generate("ecdsa-sha256", "e").public_pem())
    with pytest.raises(ValueError, match="PEM"):
        signature.load_public_key("rsa-sha256", "not a key")
    with pytest.raises(ValueError, match="unknown algorithm"):
        signature.load_public_key("dsa", rsa.public_pem())
