"""moto's distribution ids are made to look like CloudFront's (origin502 recognises ids by
their shape; moto's own are random and sometimes do not look like one)."""

from __future__ import annotations

from tests.support.aws import MotoServer
from workers.aws.access import is_cloudfront_domain, is_distribution_id


def test_every_distribution_id_moto_makes_is_shaped_like_cloudfronts():
    from moto.cloudfront import models

    with MotoServer():
        assert all(is_distribution_id(models.random_id()) for _ in range(2000))
        assert is_cloudfront_domain(f"{models.random_id(uppercase=False)}.cloudfront.net")
