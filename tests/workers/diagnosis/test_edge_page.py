"""Reading CloudFront's edge answers: a table of status, headers and page text → family, and
properties over arbitrary input (hypothesis). Pure, no network.

The page sentences are third-party captures (shared cloudfront-facts §7.5); every family read
from them must be marked uncertain. Only a 504 read from the status alone is not.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cloudfront_edge import POP, REQUEST_ID, VIA, error_page
from workers.diagnosis.edge_page import page_text, read_answer
from workers.models.edge import EdgeErrorFamily, cloudfront_marks

ERROR = {"x-cache": "Error from cloudfront", "via": VIA, "x-amz-cf-pop": POP,
         "x-amz-cf-id": REQUEST_ID, "server": "CloudFront"}

# (status, headers, page, family, uncertain)
TABLE = [
    (502, ERROR, error_page(502, "CloudFront wasn't able to connect to the origin."),
     "cannot_connect", True),
    (502, ERROR, error_page(502, "CloudFront attempted to establish a connection with the "
                                 "origin, but either the attempt failed or the origin closed "
                                 "the connection."), "cannot_connect", True),
    (504, ERROR, error_page(504, "CloudFront attempted to establish a connection with the "
                                 "origin, but either the attempt failed or the origin closed "
                                 "the connection."), "origin_timeout", True),
    (502, ERROR, error_page(502, "CloudFront couldn't connect to the origin or the origin "
                                 "returned an incorrect response."), "cannot_connect", True),
    (502, ERROR, error_page(502, "CloudFront wasn\u2019t able to resolve the origin domain "
                                 "name."), "dns_error", True),
    (502, ERROR, "NonS3OriginDnsError", "dns_error", True),
    (502, ERROR, error_page(502, "The Lambda function returned invalid JSON: The JSON output "
                                 "must be an object type."), "lambda_validation", True),
    (502, ERROR, error_page(502, "The Lambda function result failed validation: The function "
                                 "tried to add, delete, or change a read-only header."),
     "lambda_validation", True),
    (502, {**ERROR, "x-cache": "LambdaValidationError from cloudfront"}, "", "lambda_validation",
     True),
    (502, {**ERROR, "x-cache": "FunctionValidationError from cloudfront"}, error_page(502, ""),
     "function_validation", True),
    (503, {**ERROR, "x-cache": "LambdaExecutionError from cloudfront"}, "", "lambda_execution",
     True),
    (503, {**ERROR, "x-cache": "LambdaLimitExceeded from cloudfront"}, "", "lambda_execution",
     True),
    (503, ERROR, error_page(503, "The Lambda function associated with the CloudFront "
                                 "distribution was throttled."), "lambda_execution", True),
    (503, ERROR, error_page(503, "The CloudFront function associated with the CloudFront "
                                 "distribution is invalid or could not run."),
     "function_execution", True),
    (503, ERROR, error_page(503, ""), "capacity", True),
    (504, ERROR, error_page(504, ""), "origin_timeout", False),
    (502, ERROR, error_page(502, "Something AWS may write one day."), "unrecognised", True),
    # The origin's own page passed on (Server is the origin's, no CloudFront page marks).
    (502, {**ERROR, "server": "nginx/1.22.1"},
     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
     "</h1></center><hr><center>nginx/1.22.1</center></body></html>", "relayed", True),
    (200, {**ERROR, "x-cache": "Hit from cloudfront"}, "", None, False),
    (403, {**ERROR, "x-cache": "Error from cloudfront"}, error_page(403, ""), None, False),
]


@pytest.mark.parametrize(("status", "headers", "page", "family", "uncertain"), TABLE)
def test_family_table(status, headers, page, family, uncertain):
    answer = read_answer("192.0.2.1", status, headers, page)
    assert answer.family == family
    assert answer.family_uncertain is uncertain
    assert answer.pop == POP
    if family is not None and family != "relayed":
        assert answer.error_from_cloudfront and answer.generated_by_cloudfront


def test_the_matched_sentence_is_quoted_whole():
    page = error_page(502, "The Lambda function returned invalid JSON: The JSON output must be "
                           "an object type.")
    answer = read_answer("192.0.2.1", 502, ERROR, page)
    assert answer.matched == ("The Lambda function returned invalid JSON: The JSON output must "
                              "be an object type.")


def test_request_id_is_read_from_the_page_when_the_header_is_missing():
    headers = {k: v for k, v in ERROR.items() if k != "x-amz-cf-id"}
    answer = read_answer("192.0.2.1", 502, headers, error_page(502, "", request_id="Zz_9-abc=="))
    assert answer.request_id == "Zz_9-abc=="


@pytest.mark.parametrize(("headers", "marks"), [
    ({"x-cache": "Miss from cloudfront"}, ["x-cache"]),
    ({"x-cache": "MISS"}, []),  # Varnish, Squid...: not CloudFront
    ({"via": "1.1 varnish"}, []),
    ({"via": VIA}, ["via"]),
    ({"server": "CloudFront"}, ["server"]),
    ({"server": "cloudfront-proxy/2"}, []),
    ({"x-amz-cf-pop": POP, "x-amz-cf-id": REQUEST_ID}, ["x-amz-cf-pop", "x-amz-cf-id"]),
    ({}, []),
])
def test_cloudfront_marks(headers, marks):
    assert cloudfront_marks(headers) == marks


SENTENCES = {
    "CloudFront wasn't able to connect to the origin.": "cannot_connect",
    "CloudFront wasn't able to resolve the origin domain name.": "dns_error",
    "The Lambda function returned invalid JSON: The JSON output must be an object type.":
        "lambda_validation",
}
noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda t: "cloudfront" not in t.lower() and "lambda" not in t.lower()
    and "origin" not in t.lower())


# No deadline: a loaded CI machine must not turn a slow example into a failure.
@settings(deadline=None)
@given(status=st.integers(100, 599), x_cache=st.text(max_size=60), body=st.text(max_size=400),
       server=st.one_of(st.none(), st.text(max_size=20)))
def test_reading_never_fails_and_names_only_known_families(status, x_cache, body, server):
    headers = {"x-cache": x_cache} | ({"server": server} if server is not None else {})
    answer = read_answer("192.0.2.1", status, headers, body)
    if status < 500:
        assert answer.family is None
    else:
        assert answer.family in set(EdgeErrorFamily)
        assert answer.family_uncertain or (status == 504 and answer.matched == "status 504")
    assert answer.matched is None or len(answer.matched) <= 240


@settings(deadline=None)
@given(before=noise, after=noise, sentence=st.sampled_from(sorted(SENTENCES)),
       tag=st.sampled_from(["p", "H2", "div class='x'", "BR"]))
def test_a_known_sentence_is_found_in_any_surrounding_markup(before, after, sentence, tag):
    body = f"<{tag}>{before}</{tag.split()[0]}>\n{sentence}\n<{tag}>{after}"
    answer = read_answer("192.0.2.1", 502, ERROR, body)
    assert answer.family == SENTENCES[sentence]
    assert answer.family_uncertain


def test_page_text_drops_tags_and_entities():
    assert page_text("<H1>502&nbsp;ERROR</H1>\n<p>a &amp; b</p>") == "502 ERROR a & b"
