#!/usr/bin/env python3
"""tests/fmt/editors.py: the editor grammars in editors/ against the compiler.

Every built-in activation, loss, optimizer and train setting the compiler knows
(compiler/ops.def, runtime/optim.c, compiler/sema_train.c) and every statement
keyword (compiler/lexer.l) is in both the Vim syntax and the TextMate grammar;
the grammar's JSON files parse; and a small TextMate tokenizer (the grammar has
only `match` rules: leftmost match wins, ties to the first rule) gives the
expected scopes on specs/xor.net and a formula spec. Prints ok/FAIL lines."""
import json
import re
import sys

failed = False


def check(name, cond, detail=""):
    global failed
    print(("ok   editors/%s" % name) if cond else ("FAIL editors/%s: %s" % (name, detail)))
    failed |= not cond


def read(path):
    with open(path) as f:
        return f.read()


ops = read("compiler/ops.def")
names = {
    "activation": re.findall(r'^ACT\(\w+,\s*"(\w+)"', ops, re.M),
    "loss": re.findall(r'^LOSS\(\w+,\s*"(\w+)"', ops, re.M),
    "optimizer": re.findall(r'"(\w+)"', re.search(r"optim_names\[\] = \{(.*?)\}", read("runtime/optim.c"), re.S).group(1)),
    "train item": re.findall(r'"(\w+)"', re.search(r"train_item_names\[\] = \{(.*?)\}", read("compiler/sema_train.c"), re.S).group(1)),
    "keyword": re.findall(r'^"(\w+)"\s+\{ return tok\(yyextra, TOK_KW_', read("compiler/lexer.l"), re.M),
}
for kind, words in names.items():
    check("compiler-lists-%s" % kind.replace(" ", "-"), len(words) >= 5, "found %r" % words)

vim = read("editors/vim/syntax/netc.vim")
vim_words = set()
for line in vim.splitlines():
    m = re.match(r"syntax keyword \w+ (.*)", line)
    if m:
        vim_words.update(w for w in m.group(1).split() if w != "contained")
grammar_text = read("editors/vscode/syntaxes/netc.tmLanguage.json")
grammar = json.loads(grammar_text)
json.loads(read("editors/vscode/package.json"))
json.loads(read("editors/vscode/language-configuration.json"))
check("json-parses", True)
for kind, words in names.items():
    missing_vim = [w for w in words if w not in vim_words]
    missing_tm = [w for w in words if not re.search(r"[(|]%s[|)]" % w, grammar_text)]
    check("vim-has-every-%s" % kind.replace(" ", "-"), not missing_vim, "missing %s" % missing_vim)
    check("textmate-has-every-%s" % kind.replace(" ", "-"), not missing_tm, "missing %s" % missing_tm)


def flatten(pats, repo):
    out = []
    for p in pats:
        if "include" in p:
            out += flatten([repo[p["include"][1:]]], repo)
        elif "patterns" in p:
            out += flatten(p["patterns"], repo)
        else:
            out.append(p)
    return out


rules = [(re.compile(p["match"]), p) for p in flatten(grammar["patterns"], grammar["repository"])]


def tokenize(line):
    """[(text, scope)] for one line: the leftmost match of any rule, ties to the first."""
    pos, toks = 0, []
    while pos < len(line):
        best = None
        for rx, p in rules:
            m = rx.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, p)
        if not best:
            break
        m, p = best
        if "name" in p:
            toks.append((m.group(0), p["name"]))
        for k, cap in p.get("captures", {}).items():
            if m.group(int(k)) is not None:
                toks.append((m.group(int(k)), cap["name"]))
        pos = m.end()
    return toks


def scope_of(line, text):
    for t, s in tokenize(line):
        if t == text:
            return s
    return None


expect = [
    ("network xor                 # C prefix", "network", "keyword.control.statement.netc"),
    ("network xor                 # C prefix", "xor", "entity.name.function.netc"),
    ("network xor                 # C prefix", "# C prefix", "comment.line.number-sign.netc"),
    ("dense  h[2] sigmoid", "sigmoid", "support.function.activation.netc"),
    ("dense  h[2] sigmoid", "2", "constant.numeric.netc"),
    ("loss   cross_entropy", "cross_entropy", "support.function.loss.netc"),
    ("regularize l2 1e-4", "1e-4", "constant.numeric.netc"),
    ("regularize l2 1e-4", "l2", "support.constant.option.netc"),
    ("  optimizer sgd lr=0.5 momentum=0.9", "optimizer", "variable.parameter.train-item.netc"),
    ("  optimizer sgd lr=0.5 momentum=0.9", "sgd", "support.type.optimizer.netc"),
    ("  optimizer sgd lr=0.5 momentum=0.9", "lr", "variable.parameter.key.netc"),
    ("  optimizer sgd lr=0.5 momentum=0.9", "0.5", "constant.numeric.netc"),
    ("train", "train", "keyword.control.block.netc"),
    ("end", "end", "keyword.control.block.netc"),
    ("activation swish(z) = z * sigmoid(z)", "swish", "entity.name.function.netc"),
    ("activation swish(z) = z * sigmoid(z)", "*", "keyword.operator.arithmetic.netc"),
    ("loss huber(y, t; d = 1.0) = where(abs(y - t) <= d, 0.5)", "<=", "keyword.operator.comparison.netc"),
    ("loss huber(y, t; d = 1.0) = where(abs(y - t) <= d, 0.5)", "where", "support.function.math.netc"),
    ("feature phi = concat(x, x[0]*x[1])", "concat", "support.function.math.netc"),
    ("dense h2[64] relu", "h2", "entity.name.function.netc"),
    ("param x = -2", "2", "constant.numeric.netc"),
]
for i, (line, text, scope) in enumerate(expect):
    got = scope_of(line, text)
    check("textmate-scope-%d-%s" % (i, re.sub(r"\W+", "_", text)), got == scope,
          "%r in %r: %s, want %s" % (text, line, got, scope))
# a name with digits is not a number
toks = tokenize("feature q = x2 + 3")
check("textmate-no-number-in-name", ("2", "constant.numeric.netc") not in toks
      and ("3", "constant.numeric.netc") in toks, str(toks))
sys.exit(1 if failed else 0)
