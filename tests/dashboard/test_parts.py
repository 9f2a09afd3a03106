"""The dashboard's own small parts: the builder's order, the pictures, forms and sessions."""

from __future__ import annotations

import asyncio
import re

import pytest
from starlette.requests import Request

from oto.dashboard import builder, forms, graphs
from oto.domain.documents import ParameterDoc, StepDoc
from oto.fme import Schema
from oto.web import session


def param(flag: str, **fields: object) -> ParameterDoc:
    return ParameterDoc.model_validate({"flag": flag, "executable_tag": "t - 1", **fields})


def test_the_builder_order_keeps_positions_and_before_rules() -> None:
    params = [param("-z"), param("-b", before=["-a"]), param("-a", before=["-c"]), param("-c"),
              param("sub", position=0), param("-p", position=1)]
    order = [p.flag for p in builder.canonical_order(params)]
    assert order == ["sub", "-p", "-z", "-b", "-a", "-c"]
    schema = Schema("t")
    for p in params:
        schema.add_flag(p.flag)
        for later in p.before:
            schema.before(p.flag, later)
        if p.position is not None:
            schema.position(p.flag, p.position)
    picked = builder.ordered(["-c", "-a", "sub", "-b"], params)
    assert picked == ["sub", "-b", "-a", "-c"] and schema.check(picked).ok
    assert builder.ordered(["-nope", "-a"], params) == ["-a", "-nope"]  # unknown flags stay for the verdict


def test_a_before_cycle_still_lists_every_flag() -> None:
    params = [param("-a", before=["-b"]), param("-b", before=["-a"]), param("-c")]
    assert sorted(p.flag for p in builder.canonical_order(params)) == ["-a", "-b", "-c"]


def test_the_rules_picture_draws_only_flags_with_rules() -> None:
    params = [param("-x", value_type="string", require_ids=["-y"]), param("-y", value_type="string"),
              param("-n", interfer_ids=["-R"]), param("-R"), param("-T0", scale="timing"), param("-T1", scale="timing"),
              param("-lonely")]
    diagram = graphs.rules_diagram("t - 1", params)
    assert diagram is not None
    svg = graphs.to_svg(diagram, label="rules <of> t")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'aria-label="rules &lt;of&gt; t"' in svg
    assert "-lonely" not in svg
    assert 'class="edge requires" data-from="-x" data-to="-y"' in svg
    assert svg.count('class="edge conflict"') == 1 and 'stroke-dasharray="6 4"' in svg
    assert "at most one of timing" in svg
    boxes = {m.group(1): float(m.group(2)) for m in re.finditer(r'data-id="([^"]+)"><rect x="([\d.]+)"', svg)}
    assert boxes["-y"] > boxes["-x"]  # what is required stands to the right
    assert graphs.rules_diagram("t - 1", [param("-a"), param("-b")]) is None


def test_the_routine_picture_layers_steps_and_colours_them() -> None:
    steps = [StepDoc(id="a", job="j"), StepDoc(id="b", job="j", after=["a"]),
             StepDoc(id="c", job="k", after=["a", "b"])]
    svg = graphs.to_svg(graphs.routine_diagram("r", steps, {"a": "succeeded", "b": "running"}), label="r")
    xs = {m.group(1): float(m.group(2)) for m in re.finditer(r'data-id="([^"]+)"><rect x="([\d.]+)"', svg)}
    assert xs["a"] < xs["b"] < xs["c"]
    assert 'class="node status-succeeded" data-id="a"' in svg and 'class="node status-running" data-id="b"' in svg
    assert svg.count('class="edge after"') == 3


def test_names_in_pictures_are_escaped() -> None:
    steps = [StepDoc(id="<script>", job='"j"')]
    svg = graphs.to_svg(graphs.routine_diagram("<r>", steps), label="x")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&quot;j&quot;" in svg


def _request(body: bytes, kind: str) -> Request:
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", kind.encode())]}
    return Request(scope, receive)


def test_forms_read_url_encoded_fields_in_order() -> None:
    form = asyncio.run(forms.read(_request(b"flag=b&flag=a&name=x+y&empty=", "application/x-www-form-urlencoded")))
    assert form.all("flag") == ["b", "a"] and form.get("name") == "x y" and form.get("empty") == ""
    assert form.get("missing", "d") == "d"


def test_forms_read_a_file_upload() -> None:
    body = (b'--XX\r\nContent-Disposition: form-data; name="csrf"\r\n\r\ntok\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n'
            b'Content-Type: application/json\r\n\r\n{"oto": 1}\r\n--XX--\r\n')
    form = asyncio.run(forms.read(_request(body, "multipart/form-data; boundary=XX")))
    assert form.get("csrf") == "tok" and form.files == {"file": b'{"oto": 1}'}


def test_forms_refuse_other_bodies() -> None:
    with pytest.raises(forms.InvalidInput):
        asyncio.run(forms.read(_request(b"{}", "application/json")))


def test_a_session_cookie_round_trips_and_expires() -> None:
    login = session.Login("k", "abcd1234", "tok")
    cookie = session.encode(login)
    assert session.decode(cookie) == login
    assert session.decode(cookie, max_age=-1) is None  # older than allowed
    # a changed signature (not its last character, whose low bits base64 ignores)
    assert session.decode(cookie[:-5] + ("A" if cookie[-5] != "A" else "B") + cookie[-4:]) is None
    assert session.csrf_ok("tok", "tok") and not session.csrf_ok("tok", "tik") and not session.csrf_ok("tok", None)


def test_forms_past_a_limit_are_too_large_and_broken_ones_bad() -> None:
    many = "&".join(f"f{i}=x" for i in range(forms.MAX_FIELDS + 1)).encode()
    with pytest.raises(forms.FormTooLarge, match="more than"):
        asyncio.run(forms.read(_request(many, "application/x-www-form-urlencoded")))
    big = b"document=" + b"x" * (forms.MAX_FIELD + 1)
    with pytest.raises(forms.FormTooLarge, match="field of the form is larger"):
        asyncio.run(forms.read(_request(big, "application/x-www-form-urlencoded")))
    with pytest.raises(forms.BadForm, match="cannot be read"):
        asyncio.run(forms.read(_request(b"--XX\r\nnonsense", "multipart/form-data")))


def test_a_group_box_is_as_wide_as_its_label() -> None:
    params = [param("-a", scale="a-long-group-name-that-spills"), param("-b", scale="a-long-group-name-that-spills")]
    diagram = graphs.rules_diagram("t - 1", params)
    assert diagram is not None
    graphs.to_svg(diagram, label="rules")
    group = diagram.groups[0]
    label = f"at most one of {group.name}"
    assert group.w >= len(label) * graphs.LABEL_CHAR_W + 2 * graphs.GROUP_PAD
