"""moto's dispatch helpers remembered (``fast_dispatch``) answer as moto's own."""

from __future__ import annotations

import random
import string

import moto.core.responses
import moto.sqs.models
from moto.core import utils
from moto.core.responses import BaseResponse

from delaydesk_local import fast_dispatch


def _response_classes() -> list[type]:
    import moto.dynamodb.responses
    import moto.sesv2.responses
    import moto.sns.responses
    import moto.sqs.responses
    import moto.ssm.responses  # noqa: F401 - the services the stack calls

    found, todo = [], [BaseResponse]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_the_remembered_helpers_answer_as_moto_and_are_put_back() -> None:
    rng = random.Random(3)
    names = ["ReceiveMessage", "VisibilityTimeout", "KmsMasterKeyId", "", "A", "aB", "ABc", "SSEKey", "x y"]
    names += ["".join(rng.choice(string.ascii_letters + " _1") for _ in range(rng.randrange(12))) for _ in range(300)]
    classes = _response_classes()
    assert len(classes) > 5
    with fast_dispatch.installed():
        for module in (moto.core.responses, moto.sqs.models):
            convert = module.camelcase_to_underscores
            assert convert is not utils.camelcase_to_underscores
            for _ in range(2):  # computed, then remembered
                assert [convert(n) for n in names] == [utils.camelcase_to_underscores(n) for n in names]
        methods = moto.core.responses.method_names_from_class
        for cls in classes:
            first = methods(cls)
            assert first == utils.method_names_from_class(cls)
            first.append("changed by a caller")
            assert methods(cls) == utils.method_names_from_class(cls)  # each caller its own list
    assert moto.core.responses.method_names_from_class is utils.method_names_from_class
    assert moto.sqs.models.camelcase_to_underscores is utils.camelcase_to_underscores
