#!/usr/bin/python3
"""Expected back-test figures for the fixture, from scikit-learn and pandas.

Run by hand when the fixture or a definition changes (not in CI; the Go
tests read the committed JSON):

    apt-get install -y python3-sklearn python3-pandas    # Debian's, not pyenv's
    cd pipeline/report/testdata
    /usr/bin/python3 reference.py --make-fixture   # rewrites backtest_multi.csv (seeded)
    /usr/bin/python3 reference.py                  # writes backtest_multi.expected.json

Every figure follows docs/report.md. KS and AUC come from sklearn.metrics
(roc_curve, roc_auc_score), Spearman's rho from pandas, the regression from
sklearn.linear_model.LogisticRegression(C=1, lbfgs); the binning (deciles
that never split a tie, monotone merging), WoE, IV and PSI are written out
here with pandas, as an analyst would, from the definitions.
"""
import json
import math
import sys
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

FIXTURE = "backtest_multi.csv"
EXPECTED = "backtest_multi.expected.json"
PROVIDERS = [("juhe", "score"), ("td", "score"), ("zc", "fraud_score")]
EMPTY = 0.5  # an empty cell counts as half a row in WoE, IV and PSI
FOLDS = 5


def make_fixture():
    rng = np.random.default_rng(17)
    n = 600
    rows = []
    months = [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    for i in range(n):
        m = i * len(months) // n
        y, mo = months[m]
        drift = 0.5 if m == 3 else 0.0
        r = rng.normal()
        bad = rng.random() < 1 / (1 + math.exp(-(-1.4 + 1.3 * r)))
        label = "1" if bad else "0"
        if i % 61 == 7:
            label = ""
        if i % 97 == 11:
            label = "x"
        day = 1 + int(rng.integers(0, 28))
        fmt = i % 4
        if fmt == 0:
            d = f"{y}-{mo:02d}-{day:02d}"
        elif fmt == 1:
            d = f"{y}/{mo}/{day}"
        elif fmt == 2:
            d = str((date(y, mo, day) - date(1899, 12, 30)).days)
        else:
            d = f"{y}-{mo:02d}-{day:02d} 09:30:00"
        if i % 83 == 5:
            d = ["2026-13-01", "yesterday", "2026-02-30", "20260105", "46000x"][i % 5]
        if i % 71 == 3:
            d = ""
        row = {"date": d, "label": label}

        def status(p_nohit, p_fail):
            u = rng.random()
            return "failed" if u < p_fail else ("no_hit" if u < p_fail + p_nohit else "hit")

        # juhe: integer score 0-100 (ties), drifting up in the last month
        st = status(0.15, 0.03)
        s = int(np.clip(round(50 + 14 * (r + drift + rng.normal(scale=0.8))), 0, 100))
        codes = []
        if st == "hit":
            if r + rng.normal(scale=0.7) > 0.9:
                codes.append("21001 疑似恶意借贷(高)")
            if rng.random() < 0.15:
                codes.append("12001 疑似黑产设备(中)")
            if r > 1.2 and rng.random() < 0.5:
                codes.append("21001 疑似恶意借贷(中)")  # same code, another level
        row.update(juhe_status=st, juhe_score=str(s) if st == "hit" else "", juhe_risk_codes="; ".join(codes))
        # td: scores in steps of 5 (heavy ties)
        st = status(0.10, 0.02)
        s = int(np.clip(5 * round((50 + 15 * (0.8 * r + rng.normal(scale=0.9))) / 5), 0, 100))
        res = "accept" if s < 40 else ("review" if s <= 70 else "decline")
        codes = []
        if st == "hit":
            if r + rng.normal(scale=0.8) > 1.0:
                codes.append("BLKACCNT 账户命中营销黑名单")
            if rng.random() < 0.2:
                codes.append("DVCROOTJ 设备存在Root或越狱环境")
        row.update(td_status=st, td_score=str(s) if st == "hit" else "", td_result=res if st == "hit" else "",
                   td_reasons="; ".join(codes))
        # zc: one decimal, 1-100
        st = status(0.20, 0.02)
        s = float(np.clip(round(50 + 16 * (0.7 * r + rng.normal(scale=0.7)), 1), 1, 100))
        lvl = 1 + min(4, int(s // 20))
        codes = []
        if st == "hit":
            if r + rng.normal(scale=0.6) > 1.1:
                codes.append("法院诉讼/法院-被执行/银行卡号 (2020)")
            if rng.random() < 0.1:
                codes.append("网贷/首逾 M3/本人身份证号 (2023)")
        row.update(zc_status=st, zc_fraud_score=f"{s:.1f}" if st == "hit" else "",
                   zc_fraud_level=str(lvl) if st == "hit" else "", zc_risk_hits="; ".join(codes))
        rows.append(row)
    pd.DataFrame(rows).to_csv(FIXTURE, index=False)


def parse_month(v):
    """YYYY-MM-DD, YYYY/MM/DD (optionally + time) or an Excel serial → 'YYYY-MM'; None if not a date."""
    v = (v or "").strip()
    if not v:
        return None
    cut = [i for i, ch in enumerate(v) if ch in " T"]
    d = v[:cut[0]] if cut and cut[0] > 0 else v
    for sep in "-/":
        p = d.split(sep)
        if len(p) == 3:
            if len(p[0]) != 4 or not all(x.isdigit() and 1 <= len(x) <= (4 if k == 0 else 2)
                                         for k, x in enumerate(p)):
                return None
            try:
                dt = date(int(p[0]), int(p[1]), int(p[2]))
            except ValueError:
                return None
            return f"{dt.year:04d}-{dt.month:02d}" if 1900 <= dt.year <= 2999 else None
    try:
        x = float(v)
    except ValueError:
        return None
    if not (61 <= x < 2958466):
        return None
    dt = date(1899, 12, 30) + timedelta(days=math.floor(x))
    return f"{dt.year:04d}-{dt.month:02d}"


def cut_groups(scores, bads, k):
    """Equal-frequency bins that never split a tie: list of [to, rows, bads]."""
    g = pd.DataFrame({"s": scores, "b": bads}).groupby("s", sort=True)["b"].agg(["count", "sum"])
    n = int(g["count"].sum())
    out, cum, j, open_ = [], 0, 1, False
    for s, row in g.iterrows():
        if not open_:
            out.append([s, 0, 0])
            open_ = True
        out[-1][0] = s
        out[-1][1] += int(row["count"])
        out[-1][2] += int(row["sum"])
        cum += int(row["count"])
        if cum * k >= j * n:
            open_ = False
            j = cum * k // n + 1
    return out


def monotone_bins(scores, bads, min_share):
    raw = cut_groups(scores, bads, 20)
    rising = roc_auc_score(bads, scores) >= 0.5 if 0 < sum(bads) < len(bads) else True
    while True:
        at = None
        for j in range(len(raw) - 1):
            l, r = raw[j][2] * raw[j + 1][1], raw[j + 1][2] * raw[j][1]
            if (rising and l > r) or (not rising and l < r):
                at = j
                break
        if at is None:
            break
        merge(raw, at)
    n = sum(b[1] for b in raw)
    rate = lambda b: b[2] / b[1]
    while len(raw) > 1:
        small = [i for i, b in enumerate(raw) if b[1] < min_share * n]
        if not small:
            break
        j = min(small, key=lambda i: (raw[i][1], i))
        if j == 0:
            merge(raw, 0)
        elif j == len(raw) - 1:
            merge(raw, j - 1)
        elif abs(rate(raw[j]) - rate(raw[j - 1])) <= abs(rate(raw[j]) - rate(raw[j + 1])):
            merge(raw, j - 1)
        else:
            merge(raw, j)
    return raw


def merge(raw, i):
    raw[i] = [raw[i + 1][0], raw[i][1] + raw[i + 1][1], raw[i][2] + raw[i + 1][2]]
    del raw[i + 1]


def smooth(x):
    return EMPTY if x == 0 else float(x)


def woe(g, b, G, B):
    # ln((g/G) / (b/B)) as one division of exact integers (counts doubled,
    # an empty cell 1): equal bad-to-good ratios give bit-identical WoE.
    dbl = lambda n: 1 if n == 0 else 2 * int(n)
    return math.log((dbl(g) * int(B)) / (dbl(b) * int(G)))


def iv(bins, G, B):
    total = 0.0
    for _, rows, bads in bins:
        w = woe(rows - bads, bads, G, B)
        total += (smooth(rows - bads) / G - smooth(bads) / B) * w
    return total


def bin_of(tos, s):
    i = int(np.searchsorted(np.array(tos), s, side="left"))
    return min(i, len(tos) - 1)


def ks_auc(y, s):
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr))), float(roc_auc_score(y, s))


def main():
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df["row"] = np.arange(len(df))
    df["y"] = df["label"].map({"0": 0, "1": 1})
    df["month"] = df["date"].map(parse_month)
    for p, col in PROVIDERS:
        df[p] = pd.to_numeric(df[f"{p}_{col}"].where(df[f"{p}_status"] == "hit", ""), errors="coerce")
    out = {"providers": {}, "rank_correlation": {}, "months": {}, "regression": {}}
    out["dates"] = {"dated": int(df["month"].notna().sum()),
                    "empty": int((df["date"].str.strip() == "").sum())}
    out["dates"]["bad"] = len(df) - out["dates"]["dated"] - out["dates"]["empty"]
    lab = df[df["y"].notna()]
    for p, _ in PROVIDERS:
        d = lab[lab[p].notna()]
        y, s = d["y"].astype(int).to_numpy(), d[p].to_numpy()
        B, G = int(y.sum()), int(len(y) - y.sum())
        ks, auc = ks_auc(y, s)
        dec = cut_groups(s, y, 10)
        mono = monotone_bins(s, y, 0.05)
        out["providers"][p] = {"rows": len(y), "bads": B, "ks": ks, "auc": auc, "iv": iv(dec, G, B),
                               "iv_monotone": iv(mono, G, B), "monotone_bins": len(mono),
                               "monotone_to": [float(b[0]) for b in mono]}
    # Overlap: rows by the exact set of providers that hit; list codes.
    hit = pd.DataFrame({p: df[f"{p}_status"] == "hit" for p, _ in PROVIDERS})
    combo = hit.apply(lambda r: " + ".join(p for p, _ in PROVIDERS if r[p]) or "none", axis=1)
    out["overlap"] = {c: {"rows": int(len(g)), "bads": int((g["y"] == 1).sum()), "labelled": int(g["y"].notna().sum())}
                      for c, g in df.groupby(combo)}
    out["lists"] = {}
    for p, col in [("juhe", "risk_codes"), ("td", "reasons"), ("zc", "risk_hits")]:
        ans = df[df[f"{p}_status"].isin(["hit", "no_hit"])]
        codes = {}
        for _, r in ans[ans[f"{p}_status"] == "hit"].iterrows():
            seen = []
            for item in r[f"{p}_{col}"].split(";"):
                c = item.strip()
                if c.endswith(")") and c.rfind("(") > 0:
                    c = c[:c.rfind("(")].strip()
                if p == "zc" and c.count("/") >= 2:
                    c = "/".join(c.split("/")[:2])
                if c and c not in seen:
                    seen.append(c)
            for c in seen:
                x = codes.setdefault(c, {"rows": 0, "labelled": 0, "bads": 0})
                x["rows"] += 1
                x["labelled"] += int(not pd.isna(r["y"]))
                x["bads"] += int(r["y"] == 1)
        lab_ans = ans[ans["y"].notna()]
        for x in codes.values():
            x["hit_rate"] = x["rows"] / len(ans)
            x["lift"] = (x["bads"] / x["labelled"]) / lab_ans["y"].mean()
        out["lists"][p] = codes
    # Spearman over rows both scored (pandas ranks within the complete pairs).
    for i, (a, _) in enumerate(PROVIDERS):
        for b, _ in PROVIDERS[i + 1:]:
            out["rank_correlation"][f"{a}~{b}"] = float(df[[a, b]].corr(method="spearman").iloc[0, 1])
    # PSI by month against the first month, over rows with a date and a score.
    for p, _ in PROVIDERS:
        d = df[df["month"].notna() & df[p].notna()]
        first = min(d["month"])
        base = d[d["month"] == first]
        tos = [b[0] for b in cut_groups(base[p].to_numpy(), np.zeros(len(base)), 10)]
        bins = d[p].map(lambda s: bin_of(tos, s))
        e = bins[d["month"] == first].value_counts().reindex(range(len(tos)), fill_value=0)
        res = {}
        for m, grp in bins.groupby(d["month"]):
            a = grp.value_counts().reindex(range(len(tos)), fill_value=0)
            ae = [(smooth(a[j]) / a.sum(), smooth(e[j]) / e.sum()) for j in range(len(tos))]
            res[m] = sum((x - y_) * math.log(x / y_) for x, y_ in ae)
        out["months"][p] = res
    # The regression: labelled rows every provider answered; fold = row mod 5.
    for binning in ("deciles", "monotone"):
        pop = lab[lab[[f"{p}_status" for p, _ in PROVIDERS]].isin(["hit", "no_hit"]).all(axis=1)].copy()
        pop["fold"] = pop["row"] % FOLDS
        names = [p for p, _ in PROVIDERS]
        models = {"all providers": names}
        models.update({f"{p} alone": [p] for p in names})
        models.update({f"all but {p}": [q for q in names if q != p] for p in names})
        oof = {m: pd.Series(np.nan, index=pop.index) for m in models}
        for k in range(FOLDS):
            tr, te = pop[pop["fold"] != k], pop[pop["fold"] == k]
            G, B = int((tr["y"] == 0).sum()), int((tr["y"] == 1).sum())
            feats = {}
            for p in names:
                sc = tr[tr[p].notna()]
                if binning == "deciles":
                    bins = cut_groups(sc[p].to_numpy(), sc["y"].astype(int).to_numpy(), 10)
                else:
                    bins = monotone_bins(sc[p].to_numpy(), sc["y"].astype(int).to_numpy(), 0.05)
                tos = [b[0] for b in bins]
                w = [woe(r - b, b, G, B) for _, r, b in bins]
                ns = tr[tr[p].isna()]
                w_ns = woe(int((ns["y"] == 0).sum()), int((ns["y"] == 1).sum()), G, B) if len(ns) else 0.0
                feats[p] = pop[p].map(lambda s: w_ns if pd.isna(s) else w[bin_of(tos, s)])
            X = pd.DataFrame(feats)
            for m, cols in models.items():
                lr = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10, max_iter=1000)
                lr.fit(X.loc[tr.index, cols].to_numpy(), tr["y"].astype(int).to_numpy())
                oof[m].loc[te.index] = lr.decision_function(X.loc[te.index, cols].to_numpy())
        res = {"rows": len(pop), "bads": int(pop["y"].sum()), "models": {}}
        for m in models:
            ks, auc = ks_auc(pop["y"].astype(int).to_numpy(), oof[m].to_numpy())
            res["models"][m] = {"ks": ks, "auc": auc}
        out["regression"][binning] = res
    with open(EXPECTED, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    if "--make-fixture" in sys.argv:
        make_fixture()
    main()
