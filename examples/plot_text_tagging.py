"""
==========================================
Tagging texts: from tag lists and back
==========================================

Multi-label data often comes as a list of tags per document. This example
encodes the tag lists with ``MultiLabelBinarizer``, turns the texts into
TF-IDF features with ``TfidfVectorizer`` (a sparse matrix, which
``MultiLabelNNClassifier`` accepts as is), and maps the predictions back to
tag names with ``inverse_transform``.

The posts are generated here, so that the example runs offline: each one
mixes words of its tags' topics with filler words and stray words of other
topics.

Set ``SKLEARN_MULTILABEL_EXAMPLE_FAST=1`` for a quick run; figures go to
``SKLEARN_MULTILABEL_EXAMPLE_OUT`` (default: a folder in the system's
temporary directory).
"""

# Each cell imports what it uses, as a notebook would.

# %%
# Settings
# --------
import os
import tempfile
from pathlib import Path

FAST = os.environ.get("SKLEARN_MULTILABEL_EXAMPLE_FAST") == "1"
OUT = Path(
    os.environ.get(
        "SKLEARN_MULTILABEL_EXAMPLE_OUT",
        Path(tempfile.gettempdir()) / "sklearn_multilabel_examples",
    )
)
OUT.mkdir(parents=True, exist_ok=True)

# %%
# A small corpus of tagged posts
# ------------------------------
import numpy as np

TOPICS = {
    "python": ["python", "pandas", "numpy", "dataframe", "pip", "import", "api"],
    "databases": ["sql", "query", "index", "postgres", "table", "join", "server"],
    "web": ["http", "browser", "css", "html", "table", "api", "server"],
    "machine-learning": ["model", "training", "features", "gradient", "pipeline"],
    "devops": ["docker", "deploy", "kubernetes", "container", "server", "pipeline"],
}
FILLER = [
    "how",
    "to",
    "the",
    "a",
    "with",
    "my",
    "error",
    "when",
    "using",
    "slow",
    "help",
]


def make_posts(n_posts, seed):
    """Random posts, each with one to three tags.

    A post has two words of each of its topics (some words belong to several
    topics), filler words, and often stray words of other topics.
    """
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    texts, tags = [], []
    for _ in range(n_posts):
        n_tags = rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])
        post_tags = sorted(rng.choice(names, size=n_tags, replace=False).tolist())
        words = [w for tag in post_tags for w in rng.choice(TOPICS[tag], size=2)]
        words += rng.choice(FILLER, size=5).tolist()
        for _ in range(rng.poisson(0.8)):
            words.append(rng.choice(TOPICS[rng.choice(names)]))
        rng.shuffle(words)
        texts.append(" ".join(words))
        tags.append(post_tags)
    return texts, tags


texts, tags = make_posts(300 if FAST else 1000, seed=0)
print(texts[0], "->", tags[0])

# %%
# Encode the tags, vectorise the texts
# ------------------------------------
# ``MultiLabelBinarizer`` turns the tag lists into the 0/1 indicator matrix the
# classifier expects, one column per tag (``mlb.classes_``).
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.metrics import per_label_report

mlb = MultiLabelBinarizer()
Y = mlb.fit_transform(tags)
print("tags:", list(mlb.classes_))
texts_train, texts_test, Y_train, Y_test = train_test_split(
    texts, Y, test_size=0.3, random_state=0
)

# %%
# Fit the pipeline
# ----------------
# ``min_labels=1`` makes every post get at least its best-scoring tag.
model = make_pipeline(
    TfidfVectorizer(),
    MultiLabelNNClassifier(
        hidden_layer_sizes=(64,),
        max_iter=10 if FAST else 200,
        min_labels=1,
        random_state=0,
    ),
)
model.fit(texts_train, Y_train)
Y_pred = model.predict(texts_test)
print(f"test micro F1: {f1_score(Y_test, Y_pred, average='micro'):.3f}")

# %%
# Back to tag names
# -----------------
# ``inverse_transform`` turns predicted rows into tuples of tag names.
for text, true, predicted in zip(
    texts_test[:5],
    mlb.inverse_transform(Y_test[:5]),
    mlb.inverse_transform(Y_pred[:5]),
    strict=True,
):
    print(f"{text!r}\n    true: {true}\n    predicted: {predicted}")

new_posts = [
    "my pandas dataframe query against postgres is slow",
    "deploy the docker container behind an http server",
]
for post, predicted in zip(
    new_posts, mlb.inverse_transform(model.predict(new_posts)), strict=True
):
    print(f"{post!r} -> {predicted}")

# %%
# Per-tag quality
# ---------------
network = model[-1]
report = per_label_report(
    Y_test,
    model.predict_proba(texts_test),
    network.thresholds_,
    label_names=mlb.classes_,
    as_frame=False,
)
print(report)

import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.bar(report["label"], report["f1"])
ax.set_ylim(0, 1)
ax.set_ylabel("test F1")
ax.set_title("Per-tag F1 of TF-IDF + MultiLabelNNClassifier")
path = OUT / "text_tagging.png"
fig.savefig(path)
print(f"Wrote {path}")
plt.show()
