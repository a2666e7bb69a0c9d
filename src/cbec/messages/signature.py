"""XML-DSig signatures of CEB messages: read, check the digest, verify, and sign.

A declared message (appStatus 2) carries an enveloped ``ds:Signature`` as the last child of
its root element::

    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
        <ds:SignatureMethod Algorithm="...#sm2-sm3 | ...#rsa-sha256 | ...#ecdsa-sha256"/>
        <ds:Reference URI="">
          <ds:Transforms>
            <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          </ds:Transforms>
          <ds:DigestMethod Algorithm="...#sha1 | ...#sha256 | ...#sm3"/>
          <ds:DigestValue>base64</ds:DigestValue>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue>base64</ds:SignatureValue>
      <ds:KeyInfo><ds:KeyName>the key's filed name</ds:KeyName></ds:KeyInfo>
    </ds:Signature>

The digest covers the C14N form of the whole message without its Signature node; the
signature covers the C14N form of SignedInfo. Reading and the digest check are pure (they
run in intake's parsing processes: :func:`read`); the signature itself is verified against
the public key the sender filed (:func:`verify`), which needs the registry.

Algorithms are recognised by the fragment of their URI (``#sm2-sm3``), since gateways
write the national algorithms under different namespaces. Signature values: RSA PKCS#1
v1.5; ECDSA and SM2 as ``r || s`` (XML-DSig's form) or DER. SM2 uses the default user ID
``1234567812345678`` (GM/T 0009). Cryptography: ``cryptography`` (RSA, ECDSA) and
``tongsuopy`` (SM2-SM3, the same API over the Tongsuo fork of OpenSSL).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
_DS = f"{{{DS_NS}}}"

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = C14N + "#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = EXC_C14N + "WithComments"
ENVELOPED = DS_NS + "enveloped-signature"

#: signature algorithm name -> the URI cbec writes when it signs
SIGNATURE_URIS = {
    "sm2-sm3": "http://www.w3.org/2001/04/xmldsig-more#sm2-sm3",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}
#: digest name -> (URI cbec writes, hashlib name)
DIGEST_URIS = {
    "sha1": ("http://www.w3.org/2000/09/xmldsig#sha1", "sha1"),
    "sha256": ("http://www.w3.org/2001/04/xmlenc#sha256", "sha256"),
    "sm3": ("http://www.w3.org/2001/04/xmldsig-more#sm3", "sm3"),
}
ALGORITHMS = tuple(SIGNATURE_URIS)
_SIGNATURE_ALIASES = {"sm3-sm2": "sm2-sm3", "sm2": "sm2-sm3", "sm2sm3": "sm2-sm3"}
_C14N_METHODS = {
    C14N: (False, False),
    C14N_COMMENTS: (False, True),
    EXC_C14N: (True, False),
    EXC_C14N_COMMENTS: (True, True),
}


class SignatureProblem(Exception):
    """Why a signature does not hold: ``rule`` (``signature.digest``...) and a text."""

    def __init__(self, rule: str, text: str) -> None:
        super().__init__(text)
        self.rule = rule
        self.text = text


@dataclass(frozen=True, slots=True)
class Evidence:
    """What intake needs to verify a message's signature (picklable, no key needed yet).

    ``problem`` is set when the signature is already known bad without a key (malformed,
    unknown algorithm, digest mismatch); then nothing else need be verified."""

    algorithm: str | None = None
    key_name: str | None = None
    signed_info: bytes = b""
    value: bytes = b""
    problem: tuple[str, str] | None = None


def _fragment(uri: str | None) -> str:
    return (uri or "").rsplit("#", 1)[-1].strip().lower()


def _c14n(element: etree._Element, method: str) -> bytes:
    exclusive, comments = _C14N_METHODS[method]
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=comments)


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def find(root: etree._Element) -> etree._Element | None:
    """The message's own ds:Signature (a direct child of the root), if any."""
    for child in root:
        if child.tag == f"{_DS}Signature":
            return child
    return None


def _text(element: etree._Element | None, path: str) -> str:
    if element is None or not (element.text or "").strip():
        raise SignatureProblem("signature.malformed", f"Signature has no {path}")
    return "".join((element.text or "").split())


def _b64(value: str, path: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureProblem("signature.malformed", f"{path} is not base64") from None


def read(root: etree._Element) -> Evidence | None:
    """Read the Signature of a parsed message and check its digest; None when unsigned.
    Never raises: a bad signature is described in :attr:`Evidence.problem`."""
    signature = find(root)
    if signature is None:
        return None
    try:
        return _read(root, signature)
    except SignatureProblem as exc:
        return Evidence(problem=(exc.rule, exc.text))


def _read(root: etree._Element, signature: etree._Element) -> Evidence:
    info = signature.find(f"{_DS}SignedInfo")
    if info is None:
        raise SignatureProblem("signature.malformed", "Signature has no SignedInfo")
    c14n_method = info.find(f"{_DS}CanonicalizationMethod")
    method = c14n_method.get("Algorithm") if c14n_method is not None else None
    if method not in _C14N_METHODS:
        raise SignatureProblem(
            "signature.algorithm", f"unsupported CanonicalizationMethod {method!r}"
        )
    sig_method = info.find(f"{_DS}SignatureMethod")
    algorithm = _fragment(sig_method.get("Algorithm") if sig_method is not None else None)
    algorithm = _SIGNATURE_ALIASES.get(algorithm, algorithm)
    if algorithm not in SIGNATURE_URIS:
        raise SignatureProblem(
            "signature.algorithm",
            f"unsupported SignatureMethod {algorithm or '(none)'}; "
            f"supported: {', '.join(ALGORITHMS)}",
        )
    references = info.findall(f"{_DS}Reference")
    if len(references) != 1 or references[0].get("URI", None) != "":
        raise SignatureProblem(
            "signature.reference", 'SignedInfo must hold one Reference with URI="" (the message)'
        )
    reference = references[0]
    transforms = [t.get("Algorithm") for t in reference.findall(f"{_DS}Transforms/{_DS}Transform")]
    if ENVELOPED not in transforms:
        raise SignatureProblem(
            "signature.reference", "the Reference must use the enveloped-signature transform"
        )
    # After the enveloped transform the node set is canonicalised: by the C14N transform
    # named, else inclusive C14N without comments (XML-DSig 4.3.3.2).
    body_method = next((t for t in transforms if t in _C14N_METHODS), C14N)
    if body_method in (C14N_COMMENTS, EXC_C14N_COMMENTS):  # URI="" drops comments anyway
        body_method = C14N if body_method == C14N_COMMENTS else EXC_C14N
    digest_method = reference.find(f"{_DS}DigestMethod")
    digest_name = _fragment(digest_method.get("Algorithm") if digest_method is not None else None)
    if digest_name not in DIGEST_URIS:
        raise SignatureProblem(
            "signature.algorithm",
            f"unsupported DigestMethod {digest_name or '(none)'}; "
            f"supported: {', '.join(DIGEST_URIS)}",
        )
    declared = _b64(_text(reference.find(f"{_DS}DigestValue"), "DigestValue"), "DigestValue")
    value = _b64(_text(signature.find(f"{_DS}SignatureValue"), "SignatureValue"), "SignatureValue")
    key_name_element = signature.find(f"{_DS}KeyInfo/{_DS}KeyName")
    key_name = (
        (key_name_element.text or "").strip() or None if key_name_element is not None else None
    )

    unsigned = copy.deepcopy(root)
    own = find(unsigned)
    assert own is not None
    _remove_keeping_tail(own)
    actual = _digest(DIGEST_URIS[digest_name][1], _c14n(unsigned, body_method))
    if actual != declared:
        raise SignatureProblem(
            "signature.digest",
            "the message does not match its signed digest (altered after signing?)",
        )
    return Evidence(algorithm, key_name, _c14n(info, method), value)


def _remove_keeping_tail(element: etree._Element) -> None:
    # The enveloped transform removes the Signature element only; lxml's remove() would
    # take the text after it (its "tail", e.g. the newline before the root's end tag) too.
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# -- keys ---------------------------------------------------------------------------------


def load_public_key(algorithm: str, pem: str) -> Any:
    """A public key for ``algorithm``: PEM SubjectPublicKeyInfo, or for RSA and ECDSA also
    an X.509 certificate. Raises ValueError naming what is wrong."""
    if algorithm not in SIGNATURE_URIS:
        raise ValueError(f"unknown algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")
    data = pem.strip().encode("ascii", "replace")
    if algorithm == "sm2-sm3":
        from tongsuopy.crypto import serialization as t_serialization
        from tongsuopy.crypto.asymciphers import ec as t_ec

        if b"CERTIFICATE" in data:
            raise ValueError("file an SM2 key as its PEM public key (SubjectPublicKeyInfo)")
        from tongsuopy.crypto.exceptions import UnsupportedAlgorithm

        try:
            key: Any = t_serialization.load_pem_public_key(data)
        except UnsupportedAlgorithm:
            raise ValueError("an sm2-sm3 key must be an SM2 elliptic-curve public key") from None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a PEM public key: {exc}") from None
        if not isinstance(key, t_ec.EllipticCurvePublicKey) or key.curve.name.lower() != "sm2":
            raise ValueError("an sm2-sm3 key must be an SM2 elliptic-curve public key")
        return key
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key or certificate: {exc}") from None
    if algorithm == "rsa-sha256" and not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("an rsa-sha256 key must be an RSA public key")
    if algorithm == "ecdsa-sha256" and not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("an ecdsa-sha256 key must be an elliptic-curve public key")
    return key


def fingerprint(pem: str) -> str:
    """SHA-256 of the key's PEM text without whitespace: identifies a filed key."""
    return hashlib.sha256("".join(pem.split()).encode("ascii", "replace")).hexdigest()


def _der_from_raw(value: bytes, size: int) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if len(value) != 2 * size:
        return value  # not r || s: perhaps DER already
    return encode_dss_signature(
        int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
    )


def verify(evidence: Evidence, algorithm: str, key: Any) -> None:
    """Check ``evidence`` against a filed key (loaded by :func:`load_public_key`) of
    ``algorithm``; raises :class:`SignatureProblem` if it does not hold."""
    if evidence.problem is not None:
        raise SignatureProblem(*evidence.problem)
    if evidence.algorithm != algorithm:
        raise SignatureProblem(
            "signature.algorithm",
            f"signed with {evidence.algorithm} but the filed key is {algorithm}",
        )
    try:
        if algorithm == "sm2-sm3":
            from tongsuopy.crypto import hashes as t_hashes
            from tongsuopy.crypto.asymciphers import ec as t_ec
            from tongsuopy.crypto.exceptions import InvalidSignature as TInvalid

            try:
                key.verify(
                    _der_from_raw(evidence.value, 32),
                    evidence.signed_info,
                    t_ec.ECDSA(t_hashes.SM3()),
                )
            except TInvalid:
                raise SignatureProblem(
                    "signature.invalid", "the signature does not verify with the filed key"
                ) from None
            return
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        try:
            if algorithm == "rsa-sha256":
                key.verify(
                    evidence.value, evidence.signed_info, padding.PKCS1v15(), hashes.SHA256()
                )
            else:
                size = (key.curve.key_size + 7) // 8
                key.verify(
                    _der_from_raw(evidence.value, size),
                    evidence.signed_info,
                    ec.ECDSA(hashes.SHA256()),
                )
        except InvalidSignature:
            raise SignatureProblem(
                "signature.invalid", "the signature does not verify with the filed key"
            ) from None
    except ValueError as exc:  # malformed DER and the like
        raise SignatureProblem("signature.invalid", f"unreadable signature value: {exc}") from None


# -- signing (for senders, cbec sim and tests) --------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key and the name it is filed under."""

    algorithm: str
    key_name: str
    private_key: Any

    @classmethod
    def generate(cls, algorithm: str, key_name: str) -> SigningKey:
        if algorithm == "sm2-sm3":
            from tongsuopy.crypto.asymciphers import ec as t_ec

            return cls(algorithm, key_name, t_ec.generate_private_key(t_ec.SM2()))
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if algorithm == "rsa-sha256":
            return cls(algorithm, key_name, rsa.generate_private_key(65537, 2048))
        if algorithm == "ecdsa-sha256":
            return cls(algorithm, key_name, ec.generate_private_key(ec.SECP256R1()))
        raise ValueError(f"unknown algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")

    def public_pem(self) -> str:
        if self.algorithm == "sm2-sm3":
            from tongsuopy.crypto import serialization as t_serialization

            raw = self.private_key.public_key().public_bytes(
                t_serialization.Encoding.PEM,
                t_serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        else:
            from cryptography.hazmat.primitives import serialization

            raw = self.private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        return str(raw.decode("ascii"))

    def private_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM (test and simulation keys only)."""
        if self.algorithm == "sm2-sm3":
            from tongsuopy.crypto import serialization as t_serialization

            raw = self.private_key.private_bytes(
                t_serialization.Encoding.PEM,
                t_serialization.PrivateFormat.PKCS8,
                t_serialization.NoEncryption(),
            )
        else:
            from cryptography.hazmat.primitives import serialization

            raw = self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        return str(raw.decode("ascii"))

    def sign_bytes(self, data: bytes) -> bytes:
        """XML-DSig's signature value of ``data``: PKCS#1 for RSA, ``r || s`` for the rest."""
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        if self.algorithm == "sm2-sm3":
            from tongsuopy.crypto import hashes as t_hashes
            from tongsuopy.crypto.asymciphers import ec as t_ec

            der = self.private_key.sign(data, t_ec.ECDSA(t_hashes.SM3()))
            size = 32
        else:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec, padding

            if self.algorithm == "rsa-sha256":
                return bytes(self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
            der = self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
            size = (self.private_key.curve.key_size + 7) // 8
        r, s = decode_dss_signature(der)
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign(xml: bytes, key: SigningKey, *, digest: str = "sha1") -> bytes:
    """``xml`` (a CEB message, unsigned) with an enveloped signature by ``key`` appended as
    the root's last child. The default digest is SHA-1, as the e-port's messages use."""
    from cbec.messages.codec import parse_tree

    root = parse_tree(xml)
    old = find(root)
    if old is not None:
        _remove_keeping_tail(old)
    body = _c14n(root, C14N)
    digest_uri, digest_name = DIGEST_URIS[digest]
    ds = etree.SubElement(root, f"{_DS}Signature", nsmap={"ds": DS_NS})
    info = etree.SubElement(ds, f"{_DS}SignedInfo")
    etree.SubElement(info, f"{_DS}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(info, f"{_DS}SignatureMethod", Algorithm=SIGNATURE_URIS[key.algorithm])
    reference = etree.SubElement(info, f"{_DS}Reference", URI="")
    transforms = etree.SubElement(reference, f"{_DS}Transforms")
    etree.SubElement(transforms, f"{_DS}Transform", Algorithm=ENVELOPED)
    etree.SubElement(reference, f"{_DS}DigestMethod", Algorithm=digest_uri)
    etree.SubElement(reference, f"{_DS}DigestValue").text = base64.b64encode(
        _digest(digest_name, body)
    ).decode("ascii")
    value = key.sign_bytes(_c14n(info, C14N))
    etree.SubElement(ds, f"{_DS}SignatureValue").text = base64.b64encode(value).decode("ascii")
    key_info = etree.SubElement(ds, f"{_DS}KeyInfo")
    etree.SubElement(key_info, f"{_DS}KeyName").text = key.key_name
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
