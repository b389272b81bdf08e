"""Registry of every raw file auxbench reads: canonical URLs, sizes, SHA-256, mirror layout.

Two kinds of entries:

- :class:`Source`: a file exactly as published at its canonical URL(s) (``*.gz``, ``*.tar``,
  ``*.tgz``). It is verified by the SHA-256 of the file itself. In a mirror folder (and in
  ``<data_root>/raw/``, which uses the same layout) it lives at ``mirror_path``.
- :class:`Member`: a content file that a parser reads (a CIFAR-10 ``.bin`` batch, a DBpedia
  ``.csv``). It is verified by the SHA-256 of its *decompressed* bytes, whichever way it arrived:
  extracted from its published archive, or found in a mirror as a plain or differently-compressed
  copy (:class:`MirrorCopy`; e.g. the staged CIFAR-10 batches are ``.bin.xz``). When a mirror copy
  is compressed and the SHA-256 of the compressed file is known, that is checked as well.

The mirror layout (relative to a mirror root, e.g. ``/work/shared/data``)::

    mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
    cifar10/cifar-10-binary.tar.gz                       (the published archive), or
    cifar10/cifar-10-batches-bin/<batch>.bin[.xz|.gz]    (its members)
    dbpedia_csv.tgz                                      (the published archive), or
    dbpedia_csv/{train,test}.csv[.xz|.gz]                (its members)
    stanford_dogs/{images.tar,lists.tar}
    uci_digits/digits.csv.gz                             (or the installed scikit-learn's copy)

Checksums: MNIST and CIFAR-10 computed from verified copies of the published files (the MNIST
files are bit-identical to the originals, whose MD5s are published; the decompressed CIFAR-10
batches are md5-identical to the official binary version); DBpedia from Hugging Face
``dbpedia_14``'s dataset_infos.json; Stanford Dogs from TensorFlow Datasets' url_checksums; the
UCI digits from scikit-learn's wheels (the same file in 1.3.2 and 1.9.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MIRROR_ENV = "AUXBENCH_DATA_MIRROR"


@dataclass(frozen=True)
class Source:
    """A file as published: fetched from ``urls`` (in order) or found at ``<mirror>/mirror_path``."""

    name: str
    urls: tuple[str, ...]
    sha256: str
    size: int | None
    mirror_path: str
    description: str = ""

    def with_(self, **changes) -> Source:
        return replace(self, **changes)

    def record(self) -> dict:
        """The manifest entry for this file."""
        return {
            "name": self.name,
            "kind": "file",
            "sha256": self.sha256,
            "size": self.size,
            "urls": list(self.urls),
            "mirror_path": self.mirror_path,
        }


@dataclass(frozen=True)
class MirrorCopy:
    """Where a mirror may hold a member directly: ``path`` compressed with ``compression``."""

    path: str
    compression: str | None = None  # None, "xz" or "gz"
    sha256: str | None = None  # SHA-256 of the stored (compressed) file, when known


@dataclass(frozen=True)
class Member:
    """A content file inside a published archive, verified by the SHA-256 of its own bytes."""

    name: str
    sha256: str
    size: int | None
    archive: Source | None
    path_in_archive: str | None
    plain_path: str  # mirror-relative path of the uncompressed member (also where it is extracted)
    mirror_copies: tuple[MirrorCopy, ...] = field(default=())

    def with_(self, **changes) -> Member:
        return replace(self, **changes)

    def copies(self) -> tuple[MirrorCopy, ...]:
        """Every way a mirror may hold this member, the declared ones first."""
        out = list(self.mirror_copies)
        known = {c.path for c in out}
        for path, comp in (
            (self.plain_path, None),
            (self.plain_path + ".xz", "xz"),
            (self.plain_path + ".gz", "gz"),
        ):
            if path not in known:
                out.append(MirrorCopy(path, comp, None))
        return tuple(out)

    def record(self) -> dict:
        return {
            "name": self.name,
            "kind": "member",
            "sha256": self.sha256,
            "size": self.size,
            "archive": self.archive.record() if self.archive else None,
            "path_in_archive": self.path_in_archive,
            "plain_path": self.plain_path,
        }


# --------------------------------------------------------------------------------------------
# MNIST: the four original IDX files (gzip).
_MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _mnist(name: str, size: int, sha256: str) -> Source:
    return Source(
        name=name,
        urls=tuple(prefix + name for prefix in _MNIST_URLS),
        sha256=sha256,
        size=size,
        mirror_path=f"mnist/{name}",
        description="MNIST (LeCun et al.), IDX format, gzip",
    )


MNIST_SOURCES: dict[str, Source] = {
    "train_images": _mnist(
        "train-images-idx3-ubyte.gz", 9_912_422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": _mnist(
        "train-labels-idx1-ubyte.gz", 28_881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": _mnist(
        "t10k-images-idx3-ubyte.gz", 1_648_877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": _mnist(
        "t10k-labels-idx1-ubyte.gz", 4_542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}

# --------------------------------------------------------------------------------------------
# CIFAR-10, official binary version.
CIFAR10_ARCHIVE = Source(
    name="cifar-10-binary.tar.gz",
    urls=("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
    sha256="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    size=170_052_171,
    mirror_path="cifar10/cifar-10-binary.tar.gz",
    description="CIFAR-10 (Krizhevsky 2009), binary version",
)

_CIFAR_BIN_SIZE = 10_000 * 3073
_CIFAR = (
    # name, sha256 of the .bin, sha256 of the staged .bin.xz
    ("data_batch_1", "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
     "8668cf1cbbe4e794a59b4b20888e196c16b31def99b7f6a7be73c523c182ad63"),
    ("data_batch_2", "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
     "589182c6f0fa8102576871e419e3436bee6ee46718e18744f5ef1ff2995798ad"),
    ("data_batch_3", "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
     "73e4e57a89e1c39ed67e83083391bd146b9d4e9c499fd92c7bd97355226b8915"),
    ("data_batch_4", "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
     "f893dab3af71c44e4b6dc31155f35d6d42399dae772ed9b4cd80da34d87f92d1"),
    ("data_batch_5", "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
     "815667daa69c8e2581ae2351a0f26bd2999bbc73e9ee0f6aa62531c9a338a012"),
    ("test_batch", "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
     "cb26fd996b6f75e0925696b3eb82101de7815ebf3f0ab32466ad90feffcf8292"),
)

CIFAR10_MEMBERS: dict[str, Member] = {
    name: Member(
        name=f"{name}.bin",
        sha256=sha,
        size=_CIFAR_BIN_SIZE,
        archive=CIFAR10_ARCHIVE,
        path_in_archive=f"cifar-10-batches-bin/{name}.bin",
        plain_path=f"cifar10/cifar-10-batches-bin/{name}.bin",
        mirror_copies=(
            MirrorCopy(f"cifar10/cifar-10-batches-bin/{name}.bin.xz", "xz", xz_sha),
            MirrorCopy(f"cifar10/cifar-10-batches-bin/{name}.bin", None, None),
        ),
    )
    for name, sha, xz_sha in _CIFAR
}

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

# --------------------------------------------------------------------------------------------
# DBpedia ontology classification (Zhang, Zhao and LeCun 2015).
DBPEDIA_ARCHIVE = Source(
    name="dbpedia_csv.tgz",
    urls=("https://s3.amazonaws.com/fast-ai-nlp/dbpedia_csv.tgz",),
    sha256="42db5221ddedddb673a4cabcc5f3a7d869714c878bcfe4ba94b29d14aa38e417",
    size=68_341_743,
    mirror_path="dbpedia_csv.tgz",
    description="DBpedia ontology classification, CSV (Zhang et al. 2015)",
)

DBPEDIA_MEMBERS: dict[str, Member] = {
    "train": Member(
        name="train.csv",
        sha256="3fea0c8c6ae73d0911f9cf37ec68606d169c4edd9214c6443b035649a3fb38ce",
        size=174_148_970,
        archive=DBPEDIA_ARCHIVE,
        path_in_archive="dbpedia_csv/train.csv",
        plain_path="dbpedia_csv/train.csv",
    ),
    "test": Member(
        name="test.csv",
        sha256="3d7b5fc00870e3446e322479af553629f55e313dd3b4249c08b68132d1230804",
        size=21_775_285,
        archive=DBPEDIA_ARCHIVE,
        path_in_archive="dbpedia_csv/test.csv",
        plain_path="dbpedia_csv/test.csv",
    ),
}

# classes.txt, in label order 1..14 (sha256 3390a11c...7a02c).
DBPEDIA_CLASSES = (
    "Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder",
    "MeanOfTransportation", "Building", "NaturalPlace", "Village", "Animal", "Plant", "Album",
    "Film", "WrittenWork",
)
DBPEDIA_ROWS = {"train": 560_000, "test": 70_000}

# --------------------------------------------------------------------------------------------
# Stanford Dogs (Khosla et al. 2011).
_DOGS_URL = "http://vision.stanford.edu/aditya86/ImageNetDogs/"
DOGS_SOURCES: dict[str, Source] = {
    "images": Source(
        name="images.tar",
        urls=(_DOGS_URL + "images.tar",),
        sha256="a443fc2f9a851aa1a7b8e4fa4af94b8459fce2c9f5a2f4dd4669cf9673a4ec58",
        size=793_579_520,
        mirror_path="stanford_dogs/images.tar",
        description="Stanford Dogs images, Images/<wnid>-<Breed>/<wnid>_<n>.jpg",
    ),
    "lists": Source(
        name="lists.tar",
        urls=(_DOGS_URL + "lists.tar",),
        sha256="34b47cacd9a98b5d150e084f24d29391c084c55272295ec65c85651bc35f4d6c",
        size=481_280,
        mirror_path="stanford_dogs/lists.tar",
        description="Stanford Dogs official split: train_list.mat, test_list.mat",
    ),
}

# --------------------------------------------------------------------------------------------
# UCI Optical Recognition of Handwritten Digits (Alpaydin and Kaynak 1998, CC BY 4.0): the copy
# scikit-learn's wheel ships (sklearn/datasets/data/digits.csv.gz); read where the installed
# package keeps it (auxbench.data.uci_digits), or from a mirror at mirror_path. No download URL.
UCI_DIGITS = Source(
    name="digits.csv.gz",
    urls=(),
    sha256="09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
    size=57_523,
    mirror_path="uci_digits/digits.csv.gz",
    description="UCI handwritten digits (8x8, grey levels 0..16) as shipped by scikit-learn",
)
