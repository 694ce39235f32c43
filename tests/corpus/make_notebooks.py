"""Write the noisy-notebook submissions of the correct corpus (run from anywhere).

They look like real lab notebooks: markdown, IPython magics, shell lines, matplotlib
plots, prints, a cell that fails, help lookups, and the graded functions spread over
several cells (some defined after a failing line in the same cell). The grader must
still give them full marks. Kept as a script so the notebooks are easy to change.
"""
import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = pathlib.Path(__file__).resolve().parent


def code(source, *outputs, count=None):
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = list(outputs)
    return cell


def stream(text):
    return new_output("stream", name="stdout", text=text)


def error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


WEEK08 = [
    new_markdown_cell("# Week 8 lab: a neural network layer by layer\n\nName: Mei Lin  \nStudent ID: 0123"),
    code("!pip install numpy matplotlib\n%matplotlib inline", stream("Requirement already satisfied: numpy\n"), count=1),
    code("import numpy as np\nimport matplotlib.pyplot as plt\nnp.random.seed(0)\nprint(np.__version__)", stream("1.26.4\n"), count=2),
    new_markdown_cell("## 1. ReLU\nNegative values become 0."),
    code("def relu(x):\n    return np.maximum(0, x)\n", count=3),
    code("z = np.linspace(-5, 5, 101)\nplt.plot(z, relu(z))\nplt.title('ReLU')\nplt.grid(True)\nplt.show()",
         new_output("display_data", data={"text/plain": "<Figure size 640x480 with 1 Axes>"}), count=4),
    code("np.pad?", count=5),
    new_markdown_cell("## 2. Dense layer\n$y = xW + b$"),
    code("W = np.random.randn(4, 3)\nb = np.zeros(3)\nprint(W.shape)\n\n"
         "def dense(x, kernel, bias=None):\n"
         "    out = x @ kernel\n"
         "    if bias is not None:\n"
         "        out = out + bias\n"
         "    return out\n\n"
         "print(dense(np.ones((2, 4)), W, b))", stream("(4, 3)\n"), count=6),
    code("# this cell used the data file from class, which is not here while grading\n"
         "data = np.load('week8_data.npz')\nX_train = data['x']\nprint(X_train.shape)",
         error("FileNotFoundError", "[Errno 2] No such file or directory: 'week8_data.npz'"), count=7),
    new_markdown_cell("## 3. Softmax\nSubtract the max first so that `exp` does not overflow."),
    code("%%time\ntotal = 0\nfor i in range(1000):\n    total += i\nprint(total)", stream("499500\n"), count=8),
    code("print(undefined_variable)  # left over from class\n\n"
         "def softmax(x):\n"
         "    x = np.asarray(x, dtype=float)\n"
         "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
         "    return e / np.sum(e, axis=-1, keepdims=True)\n",
         error("NameError", "name 'undefined_variable' is not defined"), count=9),
    code("p = softmax(np.array([[1000.0, 0.0], [1.0, 2.0]]))\nprint(p)\nplt.bar(range(2), p[1])\nplt.show()", count=10),
    code("!ls -la\n%timeit relu(z)", count=11),
    new_markdown_cell("Done! :)"),
]

WEEK09 = [
    new_markdown_cell("# Week 9 lab: CNN from scratch\n\nThe lecture's 7x7 image and feature detector."),
    code("%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n!pip install -q tensorflow", count=1),
    code("import numpy as np\nimport matplotlib.pyplot as plt\nfrom tensorflow import keras\nimport math", count=2),
    code("def relu(x):\n    return np.maximum(x, 0)\n\ndef softmax(x):\n"
         "    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n\n"
         "def dense(x, kernel, bias=None):\n    y = x.dot(kernel)\n    return y if bias is None else y + bias", count=3),
    new_markdown_cell("## Padding\nTensorFlow puts the odd padding cell at the bottom/right."),
    code("def pads(size, k, s, padding):\n"
         "    if padding == 'valid':\n"
         "        return (size - k) // s + 1, 0, 0\n"
         "    out = math.ceil(size / s)\n"
         "    total = max((out - 1) * s + k - size, 0)\n"
         "    return out, total // 2, total - total // 2\n\n"
         "def pair(v):\n    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)\n"
         "print(pads(7, 3, 2, 'same'))", stream("(4, 1, 1)\n"), count=4),
    code("def conv2d(x, kernel, bias=None, strides=1, padding='valid'):\n"
         "    n, h, w, c = x.shape\n"
         "    kh, kw, _, co = kernel.shape\n"
         "    sh, sw = pair(strides)\n"
         "    oh, t, b_ = pads(h, kh, sh, padding)\n"
         "    ow, l, r = pads(w, kw, sw, padding)\n"
         "    xp = np.pad(x, ((0, 0), (t, b_), (l, r), (0, 0)))\n"
         "    out = np.zeros((n, oh, ow, co))\n"
         "    for i in range(oh):\n"
         "        for j in range(ow):\n"
         "            patch = xp[:, i*sh:i*sh+kh, j*sw:j*sw+kw, :]\n"
         "            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))\n"
         "    if bias is not None:\n"
         "        out = out + bias\n"
         "    return out", count=5),
    code("image = np.array([[0,0,0,0,0,0,0],[0,1,0,0,0,1,0],[0,0,0,0,0,0,0],[0,0,0,1,0,0,0],\n"
         "                  [0,1,0,0,0,1,0],[0,0,1,1,1,0,0],[0,0,0,0,0,0,0]])\n"
         "detector = np.array([[0,0,1],[1,0,0],[0,1,1]])\n"
         "fmap = conv2d(image[None, :, :, None], detector[:, :, None, None])[0, :, :, 0]\n"
         "print(fmap)\nplt.imshow(fmap, cmap='gray')\nplt.colorbar()\nplt.show()", count=6),
    code("model = keras.Sequential([keras.layers.Conv2D(2, 3)])\nmodel.summary()",
         error("ModuleNotFoundError", "No module named 'tensorflow'"), count=7),
    new_markdown_cell("## Pooling"),
    code("def pool(x, pool_size, strides, padding, how):\n"
         "    ph, pw = pair(pool_size)\n"
         "    sh, sw = pair(pool_size if strides is None else strides)\n"
         "    n, h, w, c = x.shape\n"
         "    oh, t, b_ = pads(h, ph, sh, padding)\n"
         "    ow, l, r = pads(w, pw, sw, padding)\n"
         "    fill = -np.inf if how == 'max' else np.nan\n"
         "    xp = np.pad(x.astype(float), ((0, 0), (t, b_), (l, r), (0, 0)), constant_values=fill)\n"
         "    out = np.empty((n, oh, ow, c))\n"
         "    for i in range(oh):\n"
         "        for j in range(ow):\n"
         "            win = xp[:, i*sh:i*sh+ph, j*sw:j*sw+pw, :]\n"
         "            out[:, i, j, :] = win.max(axis=(1, 2)) if how == 'max' else np.nanmean(win, axis=(1, 2))\n"
         "    return out\n\n"
         "def max_pool2d(x, pool_size=2, strides=None, padding='valid'):\n"
         "    return pool(x, pool_size, strides, padding, 'max')", count=8),
    code("print(max_pool2d(fmap[None, :, :, None], 2, padding='same')[0, :, :, 0])",
         stream("[[1. 1. 0.]\n [4. 2. 1.]\n [0. 2. 1.]]\n"), count=9),
    code("def avg_pool2d(x, pool_size=2, strides=None, padding='valid'):\n"
         "    return pool(x, pool_size, strides, padding, 'avg')\n\n"
         "def flatten(x):\n    return x.reshape(x.shape[0], -1)", count=10),
    code("!nvidia-smi\n1 / 0", error("ZeroDivisionError", "division by zero"), count=11),
    new_markdown_cell("## The whole network"),
    code("def cnn_forward(x, weights):\n"
         "    k, b, W, c = weights\n"
         "    h = max_pool2d(relu(conv2d(x, k, b)), 2)\n"
         "    return softmax(dense(flatten(h), W, c))\n\n"
         "for name in ['conv', 'pool']:\n    print(name, 'ok')", count=12),
    code("fig, axes = plt.subplots(1, 2)\naxes[0].imshow(image)\naxes[1].imshow(fmap)\nplt.savefig('maps.png')", count=13),
]


def write(cells, path):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


if __name__ == "__main__":
    write(WEEK08, HERE / "week08" / "correct" / "noisy_notebook.ipynb")
    write(WEEK09, HERE / "week09" / "correct" / "noisy_notebook.ipynb")
