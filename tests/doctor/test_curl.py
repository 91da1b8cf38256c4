"""Reading curl command lines and written-out HTTP requests as people paste them; writing curl back."""

from __future__ import annotations

import pytest

from architect.doctor.curl import parse_curl
from architect.doctor.curl import parse_curl_text
from architect.doctor.curl import render_curl
from architect.doctor.request import DoctorInputError
from architect.doctor.request import looks_like_http_message
from architect.doctor.request import parse_http_message

URL = "https://api.mypurecloud.com/api/v2/conversations/c1/participants/p1/attributes"


def test_a_pasted_multi_line_command_with_continuations_and_quotes_is_read_whole():
    request = parse_curl_text(f"""curl -X PATCH "{URL}" \\
      -H "Authorization: Bearer abc" \\
      -H 'Content-Type: application/json' \\
      -d '{{"attributes": {{"a": "b c"}}}}'
    """)
    assert request.method == "PATCH"
    assert request.url == URL
    assert request.header("content-type") == "application/json"
    assert request.json_body() == {"attributes": {"a": "b c"}}


def test_data_without_a_method_is_a_post_sent_as_a_form_the_way_curl_sends_it():
    request = parse_curl(["curl", URL, "-d", '{"attributes": {}}'])
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"


def test_json_option_sets_the_json_content_type():
    request = parse_curl(["curl", "--request=PATCH", URL, "--json", '{"attributes": {}}'])
    assert (request.method, request.header("Content-Type"), request.header("Accept")) == (
        "PATCH", "application/json", "application/json")


def test_clustered_short_options_and_an_attached_method_are_split():
    request = parse_curl(["curl", "-sSXPATCH", URL, "-HContent-Type: application/json", "--data-raw", "{}"])
    assert (request.method, request.header("Content-Type"), request.body) == ("PATCH", "application/json", "{}")


def test_data_from_a_file_is_read(tmp_path):
    body = tmp_path / "body.json"
    body.write_text('{"attributes":\n {"a": "b"}}\n', encoding="utf-8")
    request = parse_curl(["curl", "-X", "PATCH", URL, "-H", "Content-Type: application/json", "-d", f"@{body}"])
    assert request.body == '{"attributes": {"a": "b"}}'  # -d @file drops newlines, as curl does


@pytest.mark.parametrize(("words", "message"), [
    (["curl"], "empty curl command"),
    (["curl", "-X", "PATCH"], "has no URL"),
    (["curl", URL, "--frobnicate"], "unknown curl option --frobnicate"),
    (["curl", URL, "-X"], "-X needs a value"),
    (["curl", URL, "https://example.com/other"], "2 URLs"),
    (["curl", URL, "-H", "no colon here"], "is not `Name: value`"),
    (["curl", URL, "-F", "a=b"], "multipart form"),
    (["curl", URL, "-d", "@/nonexistent/body.json"], "cannot read"),
])
def test_a_command_doctor_cannot_read_is_refused_with_the_reason(words, message):
    with pytest.raises(DoctorInputError, match=message):
        parse_curl(words)


def test_an_unclosed_quote_is_refused():
    with pytest.raises(DoctorInputError, match="unclosed quote"):
        parse_curl_text(f"curl -X PATCH {URL} -d '{{\"attributes\": ")


def test_the_rendered_command_reads_back_as_the_same_request():
    request = parse_curl(["curl", "-X", "PATCH", URL, "-H", "Content-Type: application/json",
                          "-d", '{"attributes": {"note": "it\'s \\"quoted\\""}}'])
    assert parse_curl_text(render_curl(request)) == request


def test_a_request_written_out_as_http_is_read_even_without_the_blank_line_before_the_body():
    request = parse_http_message("PATCH /api/v2/conversations/c1/participants/p1/attributes HTTP/1.1\n"
                                 "Host: api.mypurecloud.com\nContent-Type: application/json\n"
                                 '{"attributes": {"a": "b"}}\n')
    assert (request.method, request.url) == ("PATCH", URL)
    assert request.json_body() == {"attributes": {"a": "b"}}


def test_text_that_is_neither_curl_nor_http_is_refused():
    assert not looks_like_http_message("curl -X PATCH " + URL)
    with pytest.raises(DoctorInputError, match="first line must be"):
        parse_http_message("hello\nthere")


@pytest.mark.parametrize("words", [
    # Postman's "Code snippet: cURL" layout: long options, --location, --request, --header, --data-raw.
    ["curl", "--location", "--request", "PATCH", URL, "--header", "Content-Type: application/json",
     "--header", "Authorization: Bearer abc", "--data-raw", '{"attributes": {"a": "b"}}'],
    # A browser's "Copy as cURL": URL first, lower-case headers, --compressed at the end.
    ["curl", URL, "-X", "PATCH", "-H", "accept: application/json", "-H", "content-type: application/json",
     "--data-raw", '{"attributes":{"a":"b"}}', "--compressed"],
])
def test_commands_as_postman_and_browsers_copy_them_are_read(words):
    request = parse_curl(words)
    assert (request.method, request.url, request.header("Content-Type")) == ("PATCH", URL, "application/json")
    assert request.json_body() == {"attributes": {"a": "b"}}
