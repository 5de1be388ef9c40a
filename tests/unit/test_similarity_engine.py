"""The similarity adapter without a database: the kNN-graph average link, nearest neighbours,
exact and graph clustering, lexical features and sketches, the corpus, and MiniLM itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from escalation.adapters.similarity import cluster as graph
from escalation.adapters.similarity import engine, lexical
from escalation.adapters.similarity.engine import Corpus, Settings, ticket_text
from escalation.adapters.similarity.minilm import DIMENSIONS, MiniLM, shared_model

Matrix = npt.NDArray[np.float32]


def knn_graph(n: int, pairs: dict[tuple[int, int], float],
              k: int) -> tuple[npt.NDArray[np.int64], Matrix]:
    """A k-nearest-neighbour graph (as `cluster.nearest` returns it) from symmetric pairs;
    rows with fewer than k neighbours are padded with -1."""
    idx = np.full((n, k), -1, dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float32)
    for i in range(n):
        mine = sorted(((s, b if a == i else a) for (a, b), s in pairs.items() if i in (a, b)),
                      reverse=True)[:k]
        for slot, (s, j) in enumerate(mine):
            idx[i, slot] = j
            sims[i, slot] = s
    return idx, sims


# Rows 0, 2, 5 are one issue, 1 and 3 another, 4 is alone (weakly like everything).
GROUPS = {
    (0, 2): 0.90, (0, 5): 0.85, (2, 5): 0.80,
    (1, 3): 0.70,
    (2, 3): 0.35,
    (0, 4): 0.30, (1, 4): 0.20, (3, 4): 0.10,
}


def test_average_link_finds_two_groups_and_an_outlier_labelled_by_first_member() -> None:
    idx, sims = knn_graph(6, GROUPS, k=3)
    labels = graph.average_link(idx, sims, threshold=0.5)
    assert labels.tolist() == [0, 1, 0, 1, 2, 0]
    assert [sorted(g) for g in graph.groups(labels)] == [[0, 2, 5], [1, 3]]


@pytest.mark.parametrize(("threshold", "expected"), [
    (0.75, [0, 1, 0, 2, 3, 0]),  # 1-3 at 0.70 stays apart
    (0.88, [0, 1, 0, 2, 3, 4]),  # {0, 2} to 5 averages 0.825
    (0.95, [0, 1, 2, 3, 4, 5]),
])
def test_average_link_never_merges_below_the_threshold(threshold: float,
                                                         expected: list[int]) -> None:
    idx, sims = knn_graph(6, GROUPS, k=3)
    assert graph.average_link(idx, sims, threshold).tolist() == expected


def test_pairs_the_graph_does_not_hold_count_as_unrelated() -> None:
    # 0 is like 1 and like 2, but the graph knows nothing of 1-2: {0, 1} to 2 averages
    # (0.9 + 0) / 2 = 0.45.
    idx, sims = knn_graph(3, {(0, 1): 0.9, (0, 2): 0.9}, k=1)
    idx[0] = [1]  # row 0 keeps one neighbour only; 2 still lists 0
    assert graph.average_link(idx, sims, threshold=0.5).tolist() == [0, 0, 1]
    assert graph.average_link(idx, sims, threshold=0.44).tolist() == [0, 0, 0]


def test_average_link_of_an_empty_graph_keeps_everyone_apart() -> None:
    idx = np.zeros((4, 0), dtype=np.int64)
    sims = np.zeros((4, 0), dtype=np.float32)
    assert graph.average_link(idx, sims, 0.5).tolist() == [0, 1, 2, 3]
    assert list(graph.groups(np.asarray([0, 1, 2, 3]))) == []


def unit_rows(rng: np.random.Generator, n: int, d: int) -> Matrix:
    rows = rng.normal(size=(n, d)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_nearest_excludes_self_and_returns_the_best_first() -> None:
    rng = np.random.default_rng(3)
    vectors = unit_rows(rng, 40, 16)
    idx, sims = graph.nearest(vectors, k=5, block=7)  # several blocks
    assert idx.shape == sims.shape == (40, 5)
    full = vectors @ vectors.T
    for i in range(40):
        assert i not in idx[i].tolist()
        assert np.all(np.diff(sims[i]) <= 1e-7)
        others = np.delete(np.arange(40), i)
        best = others[np.argsort(-full[i, others])[:5]]
        assert idx[i].tolist() == best.tolist()
        assert np.allclose(sims[i], full[i, best], atol=1e-6)


def test_nearest_against_other_vectors_may_return_an_identical_row() -> None:
    rng = np.random.default_rng(4)
    vectors = unit_rows(rng, 5, 8)
    idx, sims = graph.nearest(vectors, k=1, others=vectors)
    assert idx[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert np.allclose(sims[:, 0], 1.0, atol=1e-6)


def test_nearest_asks_for_at_most_everyone_else() -> None:
    vectors = unit_rows(np.random.default_rng(5), 4, 8)
    idx, _ = graph.nearest(vectors, k=30)
    assert idx.shape == (4, 3)
    assert all(sorted(row) == sorted(set(range(4)) - {i}) for i, row in enumerate(idx.tolist()))


def separated(rng: np.random.Generator) -> tuple[Matrix, list[int]]:
    """Three tight groups of six around orthogonal centres plus two loners, shuffled."""
    d = 48
    centres = np.eye(d, dtype=np.float32)
    rows, truth = [], []
    for group in range(3):
        for _ in range(6):
            rows.append(centres[group] + rng.normal(scale=0.08, size=d))
            truth.append(group)
    for loner in range(2):
        rows.append(centres[10 + loner] + rng.normal(scale=0.08, size=d))
        truth.append(3 + loner)
    order = rng.permutation(len(rows))
    vectors = np.asarray([rows[i] for i in order], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, [truth[i] for i in order]


def renumbered(labels: Sequence[int]) -> list[int]:
    seen: dict[int, int] = {}
    return [seen.setdefault(label, len(seen)) for label in labels]


def test_exact_and_graph_clustering_agree_on_a_well_separated_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, truth = separated(np.random.default_rng(11))
    calls: list[int] = []
    real = graph.average_link

    def spy(idx: npt.NDArray[np.int64], sims: Matrix, threshold: float
            ) -> npt.NDArray[np.int64]:
        calls.append(len(idx))
        return real(idx, sims, threshold)

    monkeypatch.setattr(graph, "average_link", spy)
    exact = engine.cluster(vectors, Settings())
    assert calls == []  # 20 rows: the exact (scipy) path
    via_graph = engine.cluster(vectors, Settings(exact_limit=2, neighbours=5))
    assert calls == [20]
    assert exact.tolist() == via_graph.tolist()
    assert exact.tolist() == renumbered(truth)
    assert len(set(exact.tolist())) == 5


def test_cluster_of_zero_or_one_vector() -> None:
    assert engine.cluster(np.zeros((0, 8), dtype=np.float32)).tolist() == []
    assert engine.cluster(np.ones((1, 8), dtype=np.float32)).tolist() == [0]


def test_ticket_text_joins_subject_and_description() -> None:
    assert ticket_text(" CSV export fails ", "Error 500.") == "CSV export fails. Error 500."
    assert ticket_text(None, "only a description") == "only a description"
    assert ticket_text("  ", None) == ""


# -- lexical features and sketches -------------------------------------------------------------


def test_cjk_text_gives_character_bigrams_and_no_character_grams() -> None:
    bag = lexical.features("报表导出失败")
    assert set(bag) == {"w:报表", "w:表导", "w:导出", "w:出失", "w:失败"}
    assert all(weight == 1.0 for weight in bag.values())


def test_a_latin_word_gives_itself_and_its_4_grams_with_boundaries() -> None:
    bag = lexical.features("timeout")
    grams = {k for k in bag if k.startswith("c:")}
    assert "w:timeout" in bag
    assert grams == {"c:<tim", "c:time", "c:imeo", "c:meou", "c:eout", "c:out>"}
    # The grams of a word together weigh what the word does.
    assert sum(bag[g] for g in grams) == pytest.approx(bag["w:timeout"])


def test_a_repeated_word_weighs_one_plus_log_count_and_short_words_get_no_grams() -> None:
    bag = lexical.features("timeout timeout timeout csv")
    assert bag["w:timeout"] == pytest.approx(1 + np.log(3))
    assert bag["w:csv"] == 1.0
    assert not any(k.startswith("c:") and "csv" in k for k in bag)


def test_plural_and_singular_share_most_features() -> None:
    one, other = lexical.features("timeout"), lexical.features("timeouts")
    shared = set(one) & set(other)
    assert len(shared) >= len(one) - 1


TEXTS = [
    "CSV export fails with HTTP 500 on the reports page",
    "Export to CSV returns error 500",
    "报表导出失败",
    "",
    "Password reset e-mail never arrives",
]


def test_sketch_rows_are_unit_vectors_and_an_empty_text_is_a_zero_row() -> None:
    bags = [lexical.features(t) for t in TEXTS]
    df = lexical.DocumentFrequencies()
    df.add(bags)
    sketches = lexical.sketch(bags, df)
    assert sketches.shape == (5, lexical.DIMENSIONS)
    norms = np.linalg.norm(sketches, axis=1)
    assert np.allclose(norms[[0, 1, 2, 4]], 1.0, atol=1e-5)
    assert norms[3] == 0.0
    assert sketches[0] @ sketches[1] > sketches[0] @ sketches[4]


def test_sketches_are_the_same_across_calls() -> None:
    def once() -> Matrix:
        bags = [lexical.features(t) for t in TEXTS]
        df = lexical.DocumentFrequencies()
        df.add(bags)
        return lexical.sketch(bags, df)

    assert np.array_equal(once(), once())


@pytest.mark.slow
def test_sketches_are_the_same_in_processes_with_other_hash_seeds() -> None:
    script = (
        "import json, sys\n"
        "from escalation.adapters.similarity import lexical\n"
        "texts = json.loads(sys.argv[1])\n"
        "bags = [lexical.features(t) for t in texts]\n"
        "df = lexical.DocumentFrequencies(); df.add(bags)\n"
        "print(json.dumps(lexical.sketch(bags, df).round(5).tolist()))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-c", script, json.dumps(TEXTS)],
                                env={**os.environ, "PYTHONHASHSEED": seed},
                                capture_output=True, text=True, timeout=60, check=True)
        outputs.append(json.loads(result.stdout))
    bags = [lexical.features(t) for t in TEXTS]
    df = lexical.DocumentFrequencies()
    df.add(bags)
    here = lexical.sketch(bags, df).round(5).tolist()
    assert outputs[0] == outputs[1] == here


def test_idf_weighs_rare_features_more() -> None:
    df = lexical.DocumentFrequencies()
    df.add([lexical.features("export fails"), lexical.features("export slow"),
            lexical.features("login fails")])
    assert df.documents == 3
    assert df.idf("w:unseen") > df.idf("w:slow") > df.idf("w:export")


# -- the corpus ----------------------------------------------------------------------------------


def fake_embed(texts: Sequence[str]) -> Matrix:
    """A deterministic stand-in for MiniLM: the sum of one random unit vector per word."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            rng = np.random.default_rng(zlib.crc32(word.encode("utf-8")))
            out[row] += rng.normal(size=DIMENSIONS).astype(np.float32)
        norm = np.linalg.norm(out[row])
        if norm > 0:
            out[row] /= norm
    return out


DOCS = [
    "CSV export fails with HTTP 500 on the reports page",
    "Export to CSV returns error 500 for every report",
    "Reports cannot be exported as CSV: server error 500",
    "Password reset e-mail never arrives",
    "The password reset mail does not arrive",
    "Dashboard charts load very slowly in the morning",
    "SSO login loops back to the sign-in page",
    "Invoices show the wrong currency symbol",
    "Webhook deliveries are delayed by an hour",
]
PROBE = "CSV export of the reports page fails with error 500"


def probe_order(corpus: Corpus) -> tuple[list[int], Matrix]:
    sims = corpus.similarities(corpus.query(PROBE))
    return np.argsort(-sims).tolist(), sims


@pytest.mark.parametrize("first", [3, 8])
def test_adding_tickets_one_batch_at_a_time_matches_adding_them_at_once(first: int) -> None:
    texts = DOCS[:first + 1]
    whole = Corpus(embed=fake_embed)
    whole.add(texts)
    parts = Corpus(embed=fake_embed)
    parts.add(texts[:first])
    assert parts.vectors.shape[0] == first
    parts.add(texts[first:])
    assert len(parts) == first + 1
    assert parts.vectors.shape == whole.vectors.shape == (first + 1,
                                                         DIMENSIONS + lexical.DIMENSIONS)
    order_whole, sims_whole = probe_order(whole)
    order_parts, sims_parts = probe_order(parts)
    assert order_parts == order_whole
    assert np.max(np.abs(sims_parts - sims_whole)) < 0.05


def test_combined_vectors_weigh_semantic_and_lexical_cosines() -> None:
    corpus = Corpus(Settings(semantic_weight=0.8), embed=fake_embed)
    corpus.add(DOCS[:3])
    vectors = corpus.vectors
    semantic = fake_embed(DOCS[:3])
    bags = [lexical.features(t) for t in DOCS[:3]]
    sketches = lexical.sketch(bags, corpus.df)
    expected = 0.8 * (semantic[0] @ semantic[1]) + 0.2 * (sketches[0] @ sketches[1])
    assert vectors[0] @ vectors[1] == pytest.approx(expected, abs=1e-5)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_semantic_vectors_can_be_given_instead_of_embedded() -> None:
    def refuse(texts: Sequence[str]) -> Matrix:
        raise AssertionError("embedded although the vectors were given")

    corpus = Corpus(embed=refuse)
    corpus.add(DOCS[:2], semantic=fake_embed(DOCS[:2]))
    assert np.allclose(corpus.semantic_row(1), fake_embed([DOCS[1]])[0])
    assert corpus.vectors.shape[0] == 2


def test_match_returns_rows_at_or_above_the_threshold_best_first_up_to_the_limit() -> None:
    corpus = Corpus(embed=fake_embed)
    corpus.add(DOCS)
    vector = corpus.query(PROBE)
    sims = corpus.similarities(vector)
    everything = corpus.match(vector, limit=len(DOCS), threshold=-1.0)
    assert [row for row, _ in everything] == np.argsort(-sims).tolist()
    assert [s for _, s in everything] == sorted((s for _, s in everything), reverse=True)
    top2 = corpus.match(vector, limit=2, threshold=-1.0)
    assert top2 == everything[:2]
    floor = (everything[2][1] + everything[3][1]) / 2  # between the 3rd and 4th best
    assert [r for r, _ in corpus.match(vector, limit=20, threshold=floor)] == [
        r for r, _ in everything[:3]]
    assert corpus.match(vector, limit=20, threshold=1.01) == []
    # Without a threshold, the settings' one applies.
    strict = Corpus(Settings(threshold=float(sims.max()) + 0.01), embed=fake_embed)
    strict.add(DOCS)
    assert strict.match(vector) == []
    lenient = Corpus(Settings(threshold=float(np.sort(sims)[-2]) - 1e-4), embed=fake_embed)
    lenient.add(DOCS)
    assert len(lenient.match(vector)) == 2


def test_an_empty_corpus_matches_nothing_and_clusters_nothing() -> None:
    corpus = Corpus(embed=fake_embed)
    assert corpus.match(np.ones(DIMENSIONS + lexical.DIMENSIONS, dtype=np.float32)) == []
    assert corpus.cluster().tolist() == []
    corpus.add([])
    assert len(corpus) == 0


# -- the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> MiniLM:
    return shared_model()


@pytest.mark.slow
def test_minilm_gives_unit_vectors_and_a_zero_row_for_empty_text(minilm: MiniLM) -> None:
    vectors = minilm.embed(["CSV export fails", "", "CSV export fails"])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-4)
    assert not vectors[1].any()
    assert np.allclose(vectors[0], vectors[2], atol=1e-5)


@pytest.mark.slow
def test_paraphrases_of_one_bug_cluster_and_a_how_to_question_stays_apart(
        minilm: MiniLM) -> None:
    texts = [
        ticket_text("CSV export fails with HTTP 500",
                    "When I click Export to CSV on the reports page the download fails with "
                    "a 500 Internal Server Error."),
        ticket_text("Export to CSV returns 500 error",
                    "Our team cannot export reports as CSV anymore; the server answers with "
                    "error 500."),
        ticket_text("Report CSV download broken (server error 500)",
                    "Since yesterday, exporting any report to a CSV file gives an internal "
                    "server error."),
        ticket_text("How do I change my password?",
                    "I would like to know where in the settings I can change my account "
                    "password."),
    ]
    corpus = Corpus(embed=minilm.embed)
    corpus.add(texts)
    labels = corpus.cluster().tolist()
    assert labels == [0, 0, 0, 1]
    rows = [row for row, _ in corpus.match(corpus.query(texts[0]), limit=4)]
    assert rows[0] == 0
    assert sorted(rows) == [0, 1, 2]  # the how-to question is below the threshold


@pytest.mark.slow
def test_a_chinese_pair_about_the_same_export_error_clusters_together(minilm: MiniLM) -> None:
    texts = ["报表导出失败。导出联系人报表时一直提示服务器错误500。",
             "导出报表失败，错误500。联系人报表导出时服务器返回500错误。",
             "How do I change my password?"]
    corpus = Corpus(embed=minilm.embed)
    corpus.add(texts)
    assert corpus.cluster().tolist() == [0, 0, 1]
    vectors = corpus.vectors
    assert vectors[0] @ vectors[1] >= corpus.settings.threshold


@pytest.mark.slow
def test_unrelated_chinese_tickets_stay_apart(minilm: MiniLM) -> None:
    texts = ["报表导出失败。导出联系人报表时一直提示服务器错误500。",
             "导出报表失败，错误500。联系人报表导出时服务器返回500错误。",
             "无法登录账户", "发票上的货币符号错误"]
    corpus = Corpus(embed=minilm.embed)
    corpus.add(texts)
    labels = corpus.cluster().tolist()
    assert labels[0] == labels[1]
    assert len({labels[0], labels[2], labels[3]}) == 3
