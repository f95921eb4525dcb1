"""Golden evaluation sets built from the facts the corpus actually states.

Only facts that appear in at least one document become questions (a QA item about a fact
no document mentions would measure hallucination, not learning). ``source_doc_ids`` lists
every document that states the fact, which doubles as relevance labels for retrieval.
"""

from __future__ import annotations

from random import Random

from .world import World


def build_golden(world: World, sources: dict[str, list[str]], rng: Random) -> tuple[list[dict], list[dict]]:
    """Return (qa items, multiple-choice items), in the world's fact order."""
    qa: list[dict] = []
    choice_items: list[dict] = []
    for fact in world.facts.values():
        docs = sources.get(fact.id)
        if not docs:
            continue
        qi = rng.randrange(len(fact.questions))
        qa.append({
            "id": f"qa-{len(qa) + 1:04d}",
            "domain": fact.domain,
            "question": fact.questions[qi],
            "answer": fact.answer,
            "aliases": [a for a in fact.aliases if a != fact.answer],
            "source_doc_ids": list(docs),
        })
        wrong = [p for p in dict.fromkeys(fact.pool) if p != fact.answer]
        if not wrong:
            continue
        picked = rng.sample(wrong, min(3, len(wrong)))
        at = rng.randrange(len(picked) + 1)
        picked.insert(at, fact.answer)
        # A different phrasing from the QA item when there is one, so the two sets are not
        # literally the same prompts.
        mq = fact.questions[(qi + 1) % len(fact.questions)]
        choice_items.append({
            "id": f"mc-{len(choice_items) + 1:04d}",
            "domain": fact.domain,
            "question": mq,
            "choices": picked,
            "answer_index": at,
        })
    return qa, choice_items
