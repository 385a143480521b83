#!/bin/sh
# bench/table.sh RUNS.tsv: the markdown results table from bench/accuracy.sh's runs
# (impl, task, seed, test metric, seconds, note per line). Test metric: accuracy %
# (MSE for diabetes) as mean ± sample standard deviation over the seeds; time: the
# median wall-clock / CPU seconds of one run. `met` compares netc's mean with the
# task's bar.
runs=${1:-build/accuracy/runs.tsv}
grep -v '^#' bench/tasks.txt | awk -v runs="$runs" '
function fmt(v, big) { return big ? sprintf("%.1f", v) : sprintf("%.2f", v) }
function secs(v) { return v < 0.0005 ? "<0.001" : v < 0.1 ? sprintf("%.3f", v) : v < 10 ? sprintf("%.2f", v) : sprintf("%.1f", v) }
function median(k, col, n,    a, i, j, tmp) {
    for (i = 1; i <= n; i++) a[i] = (col == 5) ? sec[k, i] : cpu[k, i]
    for (i = 2; i <= n; i++) {       # insertion sort
        tmp = a[i]
        for (j = i - 1; j >= 1 && a[j] > tmp; j--) a[j + 1] = a[j]
        a[j + 1] = tmp
    }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function cell(impl, t,    k, i, n, s, q, m, sd, out) {
    k = impl SUBSEP t
    n = cnt[k]
    if (n == 0) return "| – | – "
    s = 0; q = 0
    for (i = 1; i <= n; i++) { s += val[k, i]; q += val[k, i] * val[k, i] }
    m = s / n
    sd = (n > 1) ? sqrt((q - n * m * m) / (n - 1)) : 0
    if (sd < 1e-9 * (m < 0 ? -m : m) || sd != sd) sd = 0
    mean[k] = m
    out = (n > 1) ? fmt(m, m >= 1000) " ± " fmt(sd, m >= 1000) : fmt(m, m >= 1000)
    if (n > 1 && n != 5) out = out " (" n " seeds)"
    if (impl == "linear" || impl == "lstsq") out = out " " note[k]
    return "| " out " | " secs(median(k, 5, n)) " / " secs(median(k, 6, n)) " s "
}
BEGIN {
    FS = "\t"
    while ((getline line < runs) > 0) {
        split(line, f, "\t")
        if (f[4] == "NA" || f[4] == "") { failed[f[1] SUBSEP f[2]] = f[7]; continue }
        k = f[1] SUBSEP f[2]
        i = ++cnt[k]
        val[k, i] = f[4] + 0; sec[k, i] = f[5] + 0; cpu[k, i] = f[6] + 0
        note[k] = (f[7] ~ /LogisticRegression/) ? "(LogisticRegression)" : \
                  (f[7] ~ /LinearRegression/) ? "(LinearRegression)" : \
                  (f[7] ~ /lstsq/) ? "(least squares)" : ""
    }
    FS = " "
    print "| task | spec | bar | netc | time (wall / cpu) | PyTorch, same settings | time | scikit-learn MLP | time | met |"
    print "|---|---|---|---|---|---|---|---|---|---|"
}
NF >= 4 {
    t = $1; spec = $2; bar = $4
    if (cnt["netc" SUBSEP t] + cnt["torch" SUBSEP t] + cnt["sklearn" SUBSEP t] == 0 && \
        !(("netc" SUBSEP t) in failed)) next
    row = "| " t " | `" spec "` | "
    b = bar
    sub(/^acc>=/, "≥ ", b); sub(/^mse<=lstsq\+/, "MSE ≤ least squares + ", b)
    if (b == "-") b = "–"
    row = row b " "
    c = cell("netc", t)
    if ((("netc" SUBSEP t) in failed) && cnt["netc" SUBSEP t] == 0) c = "| failed | – "
    row = row c cell("torch", t)
    s = cell("sklearn", t)
    row = row s
    met = "–"
    k = "netc" SUBSEP t
    if (cnt[k] > 0 && bar ~ /^acc>=/) {
        x = bar; sub(/^acc>=/, "", x)
        met = (mean[k] >= x - 1e-9) ? "yes" : "**no**"
    } else if (cnt[k] > 0 && bar ~ /^mse<=lstsq\+/) {
        x = bar; sub(/^mse<=lstsq\+/, "", x); sub(/%$/, "", x)
        l = "lstsq" SUBSEP t
        if (cnt[l] > 0) met = (mean[k] <= val[l, 1] * (1 + x / 100)) ? "yes" : "**no**"
        else met = "? (no least-squares run)"
    }
    print row "| " met " |"
    if (cnt["lstsq" SUBSEP t] > 0 || cnt["linear" SUBSEP t] > 0) {
        extra[++nextra] = t
    }
}
END {
    if (nextra == 0) exit
    print ""
    print "| task | closed form / scikit-learn linear model | time (wall / cpu) |"
    print "|---|---|---|"
    for (i = 1; i <= nextra; i++) {
        t = extra[i]
        if (cnt["lstsq" SUBSEP t] > 0) print "| " t " " cell("lstsq", t) "|"
        if (cnt["linear" SUBSEP t] > 0) print "| " t " " cell("linear", t) "|"
    }
}'
