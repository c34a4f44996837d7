"""`zoo-app` start-up: flags, safe defaults, and an empty models folder."""

import gradio as gr

from apps import classifier


def test_defaults_listen_on_localhost():
    args = classifier.parse_args([])
    assert (args.host, args.port, args.models) == ("127.0.0.1", 7860, None)
    args = classifier.parse_args(["--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)


def test_starts_without_models_and_says_so(tmp_path, monkeypatch):
    launched = {}

    def fake_launch(demo, host, port, **kwargs):
        launched.update(demo=demo, host=host, port=port)

    monkeypatch.setattr(classifier, "launch", fake_launch)
    classifier.main(["--models", str(tmp_path / "none"), "--port", "7999"])
    demo = launched["demo"]
    assert isinstance(demo, gr.Blocks)
    assert (launched["host"], launched["port"]) == ("127.0.0.1", 7999)
    texts = [
        block.value
        for block in demo.blocks.values()
        if isinstance(block, gr.Markdown) and isinstance(block.value, str)
    ]
    assert any("No trained models found" in text for text in texts)
    assert any("seqmnist_tcn" in text for text in texts)
    assert demo._queue.max_size == classifier.QUEUE_SIZE
    limit = demo._queue.default_concurrency_limit
    assert limit == classifier.CONCURRENCY_LIMIT


def test_handlers_without_models_are_friendly(tmp_path):
    from apps.models import ModelStore

    app = classifier.App(ModelStore(tmp_path))
    label, view, status, current = app.draw(
        {"background": None, "layers": [], "composite": None}, None
    )
    assert label is None and "Draw a digit" in status
    rows, text = app.architecture(None)
    assert rows == [] and "No model" in text
