#!/usr/bin/env bash
# docs_test.sh - the documentation is current and stands on its own:
#   1. every generated part of README.md and docs/*.md (example outputs, included
#      files, tables) is what scripts/update-readme produces from this build;
#   2. every <!-- BEGIN ... --> has its <!-- END -->, so no part is silently skipped;
#   3. relative links in README.md and docs/ lead to files of the tree;
#   4. nothing in the tree points to the project's shared directory outside the
#      repository, which users do not have;
#   5. every section of docs/kernel-behaviour.md that the tree cites exists.
. "$(dirname "$0")/lib.sh"
cd "$S" || exit 1

# 1. regenerate into a scratch directory and compare
if ! scripts/update-readme --build "$B" --out "$T/gen" > "$T/gen.log" 2>&1; then
  fail "scripts/update-readme failed: $(cat "$T/gen.log")"
else
  for f in README.md docs/*.md; do
    if ! diff -u "$f" "$T/gen/$f" > "$T/diff"; then
      fail "$f is not what scripts/update-readme generates (run it and commit the result)"
      head -30 "$T/diff"
    fi
  done
fi

# 2. balanced markers
for f in README.md docs/*.md; do
  b=$(grep -c '^<!-- BEGIN .* -->$' "$f"); e=$(grep -c '^<!-- END -->$' "$f")
  [ "$b" -eq "$e" ] || fail "$f: $b BEGIN markers but $e END markers"
done

# 3. relative links
for f in README.md docs/*.md; do
  dir=$(dirname "$f")
  grep -o '](\([^)#]*\)[^)]*)' "$f" | sed 's/^](\([^)#]*\).*/\1/' | sort -u | while read -r link; do
    case $link in http://*|https://*|mailto:*|'') continue ;; esac
    [ -e "$dir/$link" ] || echo "$f: link to $link, which does not exist"
  done
done > "$T/links"
[ -s "$T/links" ] && fail "broken links: $(cat "$T/links")"

# 4. no reference to a directory outside the repository
git_files=$(grep -rlE '\.\./shared|/work/shar[e]d' --exclude-dir=.git --exclude-dir='build*' . || true)
[ -z "$git_files" ] || fail "files referring to a directory outside the repository: $(echo $git_files)"

# 5. cited sections of docs/kernel-behaviour.md exist
grep -E '^#{2,4} [0-9]+(\.[0-9]+)*\.? ' docs/kernel-behaviour.md | sed -E 's/^#+ ([0-9.]*[0-9]).*/\1/' > "$T/sections"
grep -rhoE 'kernel-behaviour\.md,? (§|section |sections )[0-9]+(\.[0-9]+)*' --exclude-dir=.git --exclude-dir='build*' . \
  | grep -oE '[0-9]+(\.[0-9]+)*$' | sort -u > "$T/cited"
[ -s "$T/sections" ] || fail "docs/kernel-behaviour.md has no numbered sections"
while read -r n; do
  # a cited number is a section, or an item of one (1.10.2 is item 2 of 1.10)
  grep -qx "$n" "$T/sections" || grep -qx "${n%.*}" "$T/sections" \
    || fail "docs/kernel-behaviour.md has no section $n, which the tree cites"
done < "$T/cited"

finish docs_test
