import io
import os
import uuid

import httpx
import pytest

from connectors import minio
from connectors.settings import MinioSettings

pytestmark = pytest.mark.integration


def test_put_and_get():
    settings = MinioSettings()
    mc = minio.client(settings)
    key = f"private/{uuid.uuid4().hex}.bin"
    mc.put_object(settings.originals_bucket, key, io.BytesIO(b"hello"), 5,
                  content_type="application/octet-stream")
    response = mc.get_object(settings.originals_bucket, key)
    try:
        assert response.read() == b"hello"
    finally:
        response.close()


def test_multipart_upload_of_a_stream_of_unknown_length():
    settings = MinioSettings()
    mc = minio.client(settings)
    data = os.urandom(12 * 1024 * 1024)  # over two 5 MiB parts
    key = f"private/{uuid.uuid4().hex}.bin"
    mc.put_object(settings.originals_bucket, key, io.BytesIO(data), length=-1,
                  part_size=5 * 1024 * 1024)
    assert mc.stat_object(settings.originals_bucket, key).size == len(data)
    response = mc.get_object(settings.originals_bucket, key)
    try:
        assert response.read() == data
    finally:
        response.close()


def test_presigned_get_works_and_anonymous_private_read_is_refused():
    settings = MinioSettings()
    mc = minio.client(settings)
    key = f"private/{uuid.uuid4().hex}.txt"
    mc.put_object(settings.originals_bucket, key, io.BytesIO(b"secret"), 6)
    url = mc.presigned_get_object(settings.originals_bucket, key)
    assert httpx.get(url).content == b"secret"
    plain = f"http://{settings.endpoint}/{settings.originals_bucket}/{key}"
    assert httpx.get(plain).status_code == 403
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered).status_code == 403
