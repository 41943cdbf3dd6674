#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from fixtures/: each decoder target gets every fixture of its
# provider once per selector byte (so each decoder starts from real answers), webhook_headers
# gets the signed webhook fixtures, msisdn_parse a few numbers in every form. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures

seed() { # seed <target> <name> <selector byte or ""> <file>
    local dir="corpus/$1"
    mkdir -p "$dir"
    if [ -n "$3" ]; then
        { printf "\\x$(printf %02x "$3")"; cat "$4"; } > "$dir/$2"
    else
        cp "$4" "$dir/$2"
    fi
}

# decode_<provider>: selector bytes 0..n-1 (map_error at the last selector takes two status bytes
# first: 0x01 0x90 is 400).
for spec in vesicash:6 jpay:7 payonify:7; do
    provider=${spec%%:*}; n=${spec##*:}
    for f in $(find "$fixtures/$provider" -name '*.json' | sort); do
        name=$(echo "${f#"$fixtures/$provider/"}" | tr '/' '_')
        for ((s = 0; s < n - 1; s++)); do
            seed "decode_$provider" "$s-$name" "$s" "$f"
        done
        { printf "\\x$(printf %02x $((n - 1)))\\x01\\x90"; cat "$f"; } > "corpus/decode_$provider/map_error-$name"
    done
done
{ printf '\x05\x01\xf6'; cat "$fixtures/vesicash/errors/bad_gateway.html"; } > corpus/decode_vesicash/map_error-bad_gateway.html

# webhook_headers: "<signature header>\n<body>", even first byte: the header is used as given.
mkdir -p corpus/webhook_headers
for f in "$fixtures"/payonify/webhooks/*.json "$fixtures"/vesicash/webhook_*.json; do
    sig="${f%.json}.signature"
    name=$(basename "$(dirname "$f")")-$(basename "$f" .json)
    { tr -d '\n' < "$sig"; printf '\n'; cat "$f"; } > "corpus/webhook_headers/$name"
done
printf 'x\n{}' > corpus/webhook_headers/signed-empty-object

# msisdn_parse
mkdir -p corpus/msisdn_parse
i=0
for number in '+254712345678' '0712 345 678' '254712345678' '00254712345678' '+263 77 111 1111' \
    '0771111111' '+260 99 999 3000' '+234 803 123 4567' '(0)712-345-678' '+44 (0) 7700 900123'; do
    printf '%s' "$number" > "corpus/msisdn_parse/$i"
    i=$((i + 1))
done
echo "seeded: $(for d in corpus/*/; do printf '%s=%s ' "$(basename "$d")" "$(ls "$d" | wc -l)"; done)"
