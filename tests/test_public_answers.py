"""The public corpus (lab/examples/public.py): correct answers written in the idioms of
public code, and plausible copies that break a clause. Their scores, on both runners, are checked
with the rest of the example class (tests/test_examples.py: full marks for the correct ones,
exactly the broken checks for the others)."""

from __future__ import annotations

from lab.examples import public


def _answers(correct: bool) -> list[str]:
    return [line for e in public.EXAMPLES if (not e.fails) == correct for line in public.IDIOMS[e.name]]


def test_at_least_twenty_correct_answers_and_ten_broken_copies():
    assert len(_answers(correct=True)) >= 20, _answers(correct=True)
    assert len(_answers(correct=False)) >= 10, _answers(correct=False)


def test_every_answer_names_its_function_and_idiom():
    for example in public.EXAMPLES:
        lines = public.IDIOMS[example.name]
        assert all(line in example.why for line in lines), example.name
        for line in lines:
            function, _, idiom = line.partition(": ")
            assert function and len(idiom) > 10, f"{example.name}: {line!r} should say 'function: the idiom it follows'"


def test_every_broken_copy_counts_as_one_mistake():
    for example in public.EXAMPLES:
        if example.fails:
            assert example.mistakes == len(public.IDIOMS[example.name]), example.name
