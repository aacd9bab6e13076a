"""The one idempotency mechanism (oms_project.idempotency) as every creating POST uses it."""

from __future__ import annotations

import pytest

from oms_project.errors import IdempotencyInFlight, IdempotencyKeyReused
from oms_project.idempotency import Answer, idempotent
from oms_project.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


class Work:
    def __init__(self, *answers: Answer | Exception) -> None:
        self.answers = list(answers)
        self.keys: list[str] = []

    def __call__(self, service_key: str) -> Answer:
        self.keys.append(service_key)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(work: Work, *, owner: str = "session:s1", key: str = "k", body: object = None) -> Answer:
    return idempotent(owner=owner, key=key, scope="storefront.checkout:c1", body=body or {"a": 1}, work=work)


def test_a_final_answer_is_kept_and_replayed_without_running_the_work_again() -> None:
    work = Work(Answer(status=302, location="/order/x/?placed=1"))
    assert run(work) == run(work) == Answer(status=302, location="/order/x/?placed=1")
    assert len(work.keys) == 1
    with pytest.raises(IdempotencyKeyReused):
        run(work, body={"a": 2})
    # Keys are per owner: another visitor's same key is another request.
    other = Work(Answer(status=302, location="/elsewhere/"))
    assert run(other, owner="customer:7").location == "/elsewhere/"


def test_a_form_to_correct_is_forgotten_so_the_same_key_may_come_back_with_another_body() -> None:
    work = Work(Answer(status=200, final=False), Answer(status=302, location="/done/"))
    assert run(work).final is False
    assert not IdempotencyRecord.objects.exists()
    assert run(work, body={"a": 2}).location == "/done/"


def test_an_exception_or_a_5xx_releases_the_key_to_a_retry_with_the_same_service_key() -> None:
    work = Work(RuntimeError("temporal down"), Answer(status=503), Answer(status=201, body={"n": 1}))
    with pytest.raises(RuntimeError):
        run(work)
    assert run(work).status == 503
    assert run(work).body == {"n": 1}
    assert len(set(work.keys)) == 1  # the same service key every time: still one order


def test_a_request_still_in_flight_is_409() -> None:
    def reenter(service_key: str) -> Answer:
        with pytest.raises(IdempotencyInFlight):
            run(Work(Answer(status=201)))
        return Answer(status=201)

    assert idempotent(owner="session:s1", key="k", scope="storefront.checkout:c1", body={"a": 1}, work=reenter)
