"""The lesson tests read the lessons they name: one stated number changed, one test fails.

For one lesson per part, the lesson is copied to a temporary folder, its check runs
against the copy (it must pass), then one number the lesson states is changed in the
copy (every occurrence) and the same check must fail.
"""

import importlib
import shutil

import pytest

from tests.lesson_text import lesson_path, lessons_from

# (part, test module, check, lesson, a number as the lesson writes it, a changed one)
CASES = [
    (1, "test_lessons_part1", "test_01_toy_next_token_distribution", "01",
     "sum $13.1239$", "sum $13.1339$"),
    (2, "test_lessons_part2", "test_12_worked_example", "12", "0.5065", "0.5066"),
    (3, "test_lessons_part3", "test_lesson_16_shift_and_gain", "16", "0.9898", "0.9899"),
    (4, "test_lessons_part3_4", "test_lesson_25_memory", "25", "31.4 GB", "31.5 GB"),
    (5, "test_lessons_part5b", "test_34_prefix_cache_memory", "34",
     "196,608,000 bytes", "196,608,001 bytes"),
    (6, "test_lessons_part6", "test_37_routing_and_balance_numbers", "37", "1.0956", "1.0965"),
]


@pytest.mark.parametrize(("part", "module", "check", "module_id", "stated", "changed"), CASES,
                         ids=[f"part{c[0]}-{c[3]}" for c in CASES])
def test_changing_a_stated_number_fails_the_lesson_test(tmp_path, part, module, check,
                                                        module_id, stated, changed):
    run = getattr(importlib.import_module(f"tests.{module}"), check)
    source = lesson_path(module_id)
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    with lessons_from(tmp_path):
        run()  # the untouched copy passes: the check reads the folder it is given
    text = copy.read_text(encoding="utf-8")
    assert stated in text, f"lesson {module_id} no longer states {stated!r}: update CASES"
    copy.write_text(text.replace(stated, changed), encoding="utf-8")
    with lessons_from(tmp_path), pytest.raises(AssertionError):
        run()


def test_a_check_without_its_lesson_fails(tmp_path):
    run = importlib.import_module("tests.test_lessons_part3_4").test_lesson_25_memory
    with lessons_from(tmp_path), pytest.raises(AssertionError, match="missing"):
        run()
