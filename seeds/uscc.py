#!/usr/bin/env python3
"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters over 0123456789ABCDEFGHJKLMNPQRTUWXY (no I, O, Z, S, V):
registration authority (1), institution category (1), administrative
division (6), organisation code (9, itself check-digited per GB 11714),
check character (1): 31 - (sum of value * weight mod 31), 31 -> 0.

  python3 seeds/uscc.py check seeds        # every code in the seed files
  python3 seeds/uscc.py digit 91510114MA6CQ0F8L  # the check character
"""
import json
import os
import sys

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17):
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def org_check_char(first8):
    """GB 11714 organisation code check: digits 0-9, letters A=10 ... Z=35."""
    def value(ch):
        return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
    c = 11 - sum(value(ch) * w for ch, w in zip(first8, ORG_WEIGHTS)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make(prefix8, org8):
    """A full code from registration + category + division (8) and 8 chars."""
    org = org8 + org_check_char(org8)
    body = prefix8 + org
    assert len(body) == 17 and all(ch in CHARSET for ch in body), body
    return body + check_char(body)


def valid(code):
    return (len(code) == 18 and all(ch in CHARSET for ch in code)
            and check_char(code[:17]) == code[17])


def codes_in(folder):
    """(file, where, code) for every credit code the seed files hold."""
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, list):
            continue
        for i, obj in enumerate(data):
            if "applicant_credit_code" in obj:
                yield name, "[%d].applicant_credit_code" % i, obj["applicant_credit_code"]
            for k, c in enumerate(obj.get("conflicts", [])):
                yield name, "[%d].conflicts[%d]" % (i, k), c


def main(argv):
    if len(argv) == 3 and argv[1] == "digit":
        print(check_char(argv[2][:17]))
        return 0
    if len(argv) == 3 and argv[1] == "check":
        bad = n = 0
        for name, where, code in codes_in(argv[2]):
            n += 1
            if not valid(code):
                bad += 1
                print("%s%s: %s: invalid check character" % (name, where, code))
        print("%d codes, %d invalid" % (n, bad))
        return 1 if bad else 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
