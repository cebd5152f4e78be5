"""CPU time of one owner's BM25 search at a size, on the texts ``opm bench latency`` generates.

    python benchmarks/lexical_cpu.py 1000000      # ~1 minute to index a million texts in process

One ``UserLexicon`` (store/lexical_index.py) holds N generated memories of one owner; 200 of the bench's questions
("What did <name> do in <place>?") are searched for the top 30 after 20 warm-up ones, plainly and with four
expansion terms at weight 0.2 (the shape of the vocabulary expansion's additions). Prints the mean process CPU
time per search. At this size a name or a place is in every tenth or twentieth memory, so a question's terms
match a large share of the owner's rows.
"""

from __future__ import annotations

import argparse
import random
import time

from openmemory.bench import latency
from openmemory.store.lexical_index import UserLexicon

EXPANSION = {"maria": 0.2, "paris": 0.2, "oslo": 0.2, "tom": 0.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("memories", type=int)
    args = parser.parse_args()
    rng = random.Random(7)
    lexicon = UserLexicon()
    for i in range(args.memories):
        lexicon.put(f"m{i}", latency.sentence(rng))
    questions = [f"What did {rng.choice(latency._NAMES)} do in {rng.choice(latency._PLACES)}?" for _ in range(220)]
    for q in questions[:20]:
        lexicon.search(q, 30)
    for label, expansion in (("plain", None), ("expanded", EXPANSION)):
        started = time.process_time()
        for q in questions[20:]:
            lexicon.search(q, 30, expansion=expansion)
        per = (time.process_time() - started) / (len(questions) - 20) * 1000
        print(f"{args.memories} memories, {label}: {per:.2f} ms CPU a search")


if __name__ == "__main__":
    main()
